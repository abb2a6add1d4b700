"""Settings presets of the attention models: per dataset, for MiniLM token states and for
fine-tuning a pretrained model.

These are the product defaults that ``qnlp train --model attention``, the benchmarks and a
user's own code share; every one was chosen on the stored splits as docs/attention.md records.

>>> quantum_config("rp")["positional"]
True
>>> quantum_config("my_reviews.tsv") == QUANTUM_CONFIGS["default"]
True
"""

from __future__ import annotations

from qnlp.models.attention.pretrained import pretrained_architecture

#: Quantum settings per dataset, chosen on seeds 0-1 (RP: 0-4) of the stored splits (see
#: docs/attention.md): RP is about word order, so it gets positional phases and one layer; on the
#: UCI sentiment sets, L2 weight decay on the word angles pulls rare words towards one neutral state.
QUANTUM_CONFIGS = {
    "mc": dict(n_qubits=4, n_layers=2, n_heads=1, epochs=30, batch_size=32, learning_rate=0.05),
    "rp": dict(n_qubits=4, n_layers=1, n_heads=1, epochs=30, batch_size=32, learning_rate=0.05,
               positional=True),
    "default": dict(n_qubits=4, n_layers=2, n_heads=1, epochs=30, batch_size=32, learning_rate=0.05,
                    weight_decay=0.003),
}


#: Fine-tuning settings (``init_from`` set, e.g. ``--pretrained sst2``): a smaller learning rate
#: and fewer epochs than from scratch, and weight decay towards the pretrained values. Chosen on
#: yelp/imdb seeds 0-4 among lr {0.005, 0.01, 0.02} x weight decay {0.003, 0.01} (docs/attention.md).
FINETUNE_CONFIG = dict(n_qubits=4, n_layers=2, n_heads=1, epochs=10, batch_size=32, learning_rate=0.01,
                       weight_decay=0.01)

#: Settings of ``quantum-minilm`` (token states from frozen MiniLM embeddings, the sentence
#: embedding as an extra token, no skip connection); ``--set`` overrides them too. Chosen on yelp
#: seeds 0-1 (docs/attention.md): a small initial projection (init_scale 0.1) was the one large effect.
MINILM_CONFIG = dict(source="minilm", n_qubits=4, n_layers=2, n_heads=1, epochs=30, batch_size=32,
                     learning_rate=0.01, init_scale=0.1, sentence_token=True, residual=False)


def quantum_config(dataset: str, overrides: dict | None = None) -> dict:
    """Settings of the quantum model on ``dataset``: :data:`MINILM_CONFIG` when the overrides ask
    for ``source="minilm"`` (the word-state settings overfit that source), else the dataset's
    :data:`QUANTUM_CONFIGS` entry; when they set ``init_from``, :data:`FINETUNE_CONFIG` with the
    pretrained model's architecture settings; then the overrides."""
    start = (overrides or {}).get("init_from")
    if start is not None:  # the pretrained model's architecture, fine-tuning settings
        cfg = {**FINETUNE_CONFIG, **pretrained_architecture(start)}
    elif (overrides or {}).get("source") == "minilm":
        cfg = dict(MINILM_CONFIG)
    else:
        cfg = dict(QUANTUM_CONFIGS.get(dataset, QUANTUM_CONFIGS["default"]))
    cfg.update(overrides or {})
    return cfg
