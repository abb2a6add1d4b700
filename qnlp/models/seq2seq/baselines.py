"""Baselines of the translation benchmark.

* :class:`TransformerSeq2Seq`: a standard ``torch.nn.Transformer`` (what a user would pick), with
  the same tokens, copy policy, training loop and decoding as the attention models.
* :class:`LexiconTranslator`: word by word, each English word replaced by the Spanish word with
  the highest Dice coefficient over the training pairs (names and numbers copied, ``¿``/``¡``
  added when the sentence ends in ``?``/``!``).
* :class:`RetrievalTranslator`: the Spanish of the most similar training English sentence by
  character n-gram TF-IDF (cosine).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import torch

from qnlp.models.seq2seq.model import Memory, sinusoid
from qnlp.models.seq2seq.text import CopyPolicy, detokenize, tokenize


class TransformerSeq2Seq(torch.nn.Module):
    """``torch.nn.Transformer`` encoder-decoder with token embeddings and sinusoidal positions.

    Parameters
    ----------
    n_source, n_target : int
    d_model, n_heads, n_layers, ff_dim : int
        ``n_layers`` encoder and ``n_layers`` decoder layers.
    dropout : float
    generator : torch.Generator
        Initial weights (the module is built under a forked RNG seeded from it).
    """

    def __init__(self, n_source: int, n_target: int, *, d_model: int = 128, n_heads: int = 4,
                 n_layers: int = 2, ff_dim: int = 512, dropout: float = 0.1, generator: torch.Generator):
        super().__init__()
        seed = int(torch.randint(0, 2 ** 31 - 1, (1,), generator=generator))
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.d_model = int(d_model)
            self.source = torch.nn.Embedding(n_source, d_model, padding_idx=0)
            self.target = torch.nn.Embedding(n_target, d_model, padding_idx=0)
            self.transformer = torch.nn.Transformer(d_model, n_heads, n_layers, n_layers, ff_dim, dropout,
                                                    batch_first=True)
            self.output = torch.nn.Linear(d_model, n_target)
        self._dropout_seed = seed

    def _embed(self, table, ids):
        return table(ids) * math.sqrt(self.d_model) + sinusoid(ids.shape[1], self.d_model)[None]

    def encode(self, ids, mask, *, evaluator=None) -> Memory:
        with warnings.catch_warnings():  # torch's note that its nested-tensor fast path is a prototype
            warnings.filterwarnings("ignore", message=".*nested tensors.*")
            out = self.transformer.encoder(self._embed(self.source, ids), src_key_padding_mask=~mask)
        return Memory(out, mask)

    def decode(self, memory: Memory, ids, mask, *, evaluator=None, return_weights: bool = False, select=None):
        t = ids.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        out = self.transformer.decoder(self._embed(self.target, ids), memory.reps, tgt_mask=causal,
                                       tgt_key_padding_mask=~mask, memory_key_padding_mask=~memory.mask)
        logits = self.output(out if select is None else out[select])
        if return_weights:  # not exposed by nn.Transformer: uniform over the source
            m = memory.mask.to(logits.dtype)
            return logits, (m / m.sum(1, keepdim=True))[:, None, :].expand(-1, t, -1)
        return logits

    def forward(self, src_ids, src_mask, tgt_ids, tgt_mask, *, evaluator=None, select=None):
        return self.decode(self.encode(src_ids, src_mask), tgt_ids, tgt_mask, select=select)

    def describe(self) -> dict:
        return {"n_qubits_max": 0, "d_model": self.d_model}


class LexiconTranslator:
    """Word-by-word translation with a Dice-coefficient lexicon (see the module docstring).

    Parameters
    ----------
    min_dice : float
        English words whose best Spanish word scores below this are dropped.
    """

    def __init__(self, *, min_dice: float = 0.1):
        self.min_dice = min_dice

    def fit(self, english, spanish) -> "LexiconTranslator":
        self.policy_ = CopyPolicy.fit(english, spanish)
        en_count, es_count, pair = Counter(), Counter(), Counter()
        for en, es in zip(english, spanish):
            enc = self.policy_.encode(en)
            src = {t for t in enc.tokens if t.isalpha() or "'" in t}
            tgt = {t for t in CopyPolicy.target(es, enc.copies) if t.isalpha()}
            en_count.update(src)
            es_count.update(tgt)
            pair.update((a, b) for a in src for b in tgt)
        best: dict[str, tuple[float, str]] = {}
        for (a, b), n in pair.items():
            dice = 2 * n / (en_count[a] + es_count[b])
            if dice > best.get(a, (0.0, ""))[0]:
                best[a] = (dice, b)
        self.lexicon_ = {a: b for a, (d, b) in best.items() if d >= self.min_dice}
        return self

    def translate(self, sentences) -> list[str]:
        out = []
        for sentence in sentences:
            enc = self.policy_.encode(sentence)
            words = []
            for tok in enc.tokens:
                if tok in enc.copies:
                    words.append(enc.copies[tok])
                elif tok in self.lexicon_:
                    word = self.lexicon_[tok]
                    words.append(enc.copies.get(word, word))
                elif not tok[:1].isalnum():
                    words.append(tok)
            if words and words[-1] in ("?", "!"):
                words.insert(0, "¿" if words[-1] == "?" else "¡")
            out.append(detokenize([w for w in words if not w.startswith("<c")]))
        return out


class RetrievalTranslator:
    """The Spanish of the most similar training English sentence (character n-gram TF-IDF).

    Parameters
    ----------
    ngram_range : tuple of int
        Character n-gram sizes (``char_wb`` analyser).
    """

    def __init__(self, *, ngram_range=(2, 4)):
        self.ngram_range = ngram_range

    def fit(self, english, spanish) -> "RetrievalTranslator":
        from sklearn.feature_extraction.text import TfidfVectorizer

        first: dict[str, str] = {}
        for en, es in zip(english, spanish):
            first.setdefault(en, es)
        self.sources_ = list(first)
        self.targets_ = [first[s] for s in self.sources_]
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range, lowercase=True)
        self.matrix_ = self.vectorizer_.fit_transform(self.sources_)
        return self

    def translate(self, sentences) -> list[str]:
        sims = self.vectorizer_.transform(list(sentences)) @ self.matrix_.T
        best = np.asarray(sims.argmax(axis=1)).ravel()
        return [self.targets_[i] for i in best]


def words_of(text: str) -> list[str]:
    """Lower-cased word tokens (for simple statistics)."""
    return [t.lower() for t in tokenize(text) if t[:1].isalnum()]
