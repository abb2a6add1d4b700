"""Translation by generation: encoder-decoder models with quantum (or classical) attention,
decoding, the copy policy, metrics and baselines (issue 14; docs/translation.md (part 2))."""
