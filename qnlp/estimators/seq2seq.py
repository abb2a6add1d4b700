"""``Seq2SeqTranslator``: English -> Spanish translation by generation (issue 14).

An encoder-decoder whose attention is quantum (:mod:`qnlp.models.seq2seq.model`), its classical
twin of matched size, or a standard ``torch.nn.Transformer`` baseline, behind one scikit-learn
style estimator: ``fit(english, spanish)``, ``translate(sentences, beam=1)``,
``score(english, references)`` (chrF), ``save`` / ``load`` (``config.json`` + ``weights.npz``, no
pickle). Tokens, copy policy and input checks: :mod:`qnlp.models.seq2seq.text`.

>>> from qnlp.estimators.seq2seq import Seq2SeqTranslator
>>> Seq2SeqTranslator(attention="classical").get_params()["attention"]
'classical'
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from qnlp.errors import ConfigError, ModelFileError
from qnlp.text import check_texts
from qnlp.utils import torch_threads

FORMAT_VERSION = 1
ATTENTIONS = ("quantum", "classical", "transformer")


class Seq2SeqTranslator(BaseEstimator):
    """Encoder-decoder translator (see the module docstring).

    Parameters
    ----------
    attention : {"quantum", "classical", "transformer"}
        Quantum attention heads on token states; classical dot-product attention of matched
        parameter count; or a ``torch.nn.Transformer`` baseline (``d_model`` etc.).
    n_qubits, n_layers, n_heads : int
        Qubits per token, layers of every token/head circuit, heads per attention group (the
        classical twin uses value width ``3 * n_qubits`` per head).
    head : {"fidelity", "gaussian"}
    hidden : int
        Hidden width of the read-out.
    embed_dim : int or None
        Classical twin's embedding width (``None``: matched to the quantum model's size).
    lexical_dim : int
        Width of the lexical read-out (:class:`~qnlp.models.seq2seq.model.Seq2SeqModel`; 0: none).
    d_model, transformer_layers, ff_dim, dropout : int, int, int, float
        The Transformer baseline.
    epochs, batch_size : int
    learning_rate, weight_decay, label_smoothing, unk_rate : float
    max_len : int
        Longest source sentence in tokens; longer ones are truncated with a warning.
    max_output : int
        Longest output in tokens.
    target_min_count : int
        Spanish tokens seen fewer times in training are ``<unk>``.
    beam : int
        Default beam width of :meth:`translate` (1: greedy).
    eval_every : int
        Epochs between dev evaluations (with ``eval_set``).
    patience : int or None
        Dev evaluations without improvement before stopping early.
    random_state : int
    n_threads : int or None
        Torch threads during fit/translate (1: fastest for these small tensors).
    progress : bool
        Progress bar with loss and dev chrF on standard error.

    Attributes
    ----------
    model_, policy_, source_vocab_, target_vocab_, history_, n_parameters_, fit_seconds_ (wall),
    fit_cpu_seconds_ (CPU time of this process)
    """

    def __init__(self, *, attention: str = "quantum", n_qubits: int = 4, n_layers: int = 2, n_heads: int = 4,
                 head: str = "fidelity", hidden: int = 128, embed_dim=None, lexical_dim: int = 64,
                 d_model: int = 128,
                 transformer_layers: int = 2, ff_dim: int = 512, dropout: float = 0.1, epochs: int = 20,
                 batch_size: int = 64, learning_rate: float = 0.01, weight_decay: float = 0.0,
                 label_smoothing: float = 0.1, unk_rate: float = 0.05, max_len: int = 16, max_output: int = 20,
                 target_min_count: int = 2, beam: int = 1, eval_every: int = 4, patience=None,
                 random_state: int = 0, n_threads=1, progress: bool = False):
        self.attention = attention
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.head = head
        self.hidden = hidden
        self.embed_dim = embed_dim
        self.lexical_dim = lexical_dim
        self.d_model = d_model
        self.transformer_layers = transformer_layers
        self.ff_dim = ff_dim
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.unk_rate = unk_rate
        self.max_len = max_len
        self.max_output = max_output
        self.target_min_count = target_min_count
        self.beam = beam
        self.eval_every = eval_every
        self.patience = patience
        self.random_state = random_state
        self.n_threads = n_threads
        self.progress = progress

    # -- building ----------------------------------------------------------------------------
    def _build(self, generator: torch.Generator):
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"unknown attention {self.attention!r}; valid: {', '.join(ATTENTIONS)}")
        n_src, n_tgt = len(self.source_vocab_), len(self.target_vocab_)
        with torch.random.fork_rng():  # torch.nn layers draw initial values from the global generator
            return self._build_model(n_src, n_tgt, generator)

    def _build_model(self, n_src: int, n_tgt: int, generator: torch.Generator):
        from qnlp.models.seq2seq.baselines import TransformerSeq2Seq
        from qnlp.models.seq2seq.model import build_model

        if self.attention == "transformer":
            return TransformerSeq2Seq(n_src, n_tgt, d_model=int(self.d_model), n_layers=int(self.transformer_layers),
                                      ff_dim=int(self.ff_dim), dropout=float(self.dropout), generator=generator)
        return build_model(self.attention, n_src, n_tgt, n_qubits=int(self.n_qubits), n_layers=int(self.n_layers),
                           n_heads=int(self.n_heads), head=self.head, hidden=int(self.hidden),
                           embed_dim=None if self.embed_dim is None else int(self.embed_dim),
                           lexical_dim=int(self.lexical_dim), generator=generator)

    def _check_params(self) -> None:
        for name in ("epochs", "batch_size", "max_len", "max_output", "beam", "eval_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (0 if name == "epochs" else 1):
                raise ConfigError(f"{name} must be a positive int, got {value!r}")

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, X, y, *, eval_set=None):
        """Train on English sentences ``X`` and their Spanish translations ``y``.

        Parameters
        ----------
        X, y : sequence of str
            Parallel sentences (an English sentence may appear several times).
        eval_set : (sequence of str, sequence of list of str), optional
            Dev English sentences and their Spanish references: chrF every ``eval_every``
            epochs; the parameters of the best dev epoch are kept.
        """
        from qnlp.models.seq2seq.text import CopyPolicy, TokenVocabulary
        from qnlp.models.seq2seq.model import n_parameters
        from qnlp.training.seq2seq import ParallelData, pad_rows, train_seq2seq

        self._check_params()
        english, spanish = check_texts(X), check_texts(y)
        if len(english) != len(spanish) or not english:
            raise ConfigError(f"fit needs as many Spanish as English sentences (>0), got {len(english)} and {len(spanish)}")
        gen = torch.Generator().manual_seed(int(self.random_state))
        self.policy_ = CopyPolicy.fit(english, spanish)
        encoded = [self.policy_.encode(s, max_len=self.max_len) for s in english]
        targets = [CopyPolicy.target(s, e.copies)[:self.max_output] for s, e in zip(spanish, encoded)]
        self.source_vocab_ = TokenVocabulary.build([e.tokens for e in encoded])
        self.target_vocab_ = TokenVocabulary.build(targets, min_count=int(self.target_min_count))
        data = ParallelData(pad_rows([self.source_vocab_.ids(e.tokens) for e in encoded]),
                            pad_rows([[2] + self.target_vocab_.ids(t) + [3] for t in targets]))
        self.model_ = self._build(gen)
        validation = None
        if eval_set is not None:
            dev_en, dev_refs = eval_set
            validation = lambda: self.score(dev_en, dev_refs)  # noqa: E731  (dev chrF)

        t0, c0 = time.perf_counter(), time.process_time()
        with torch_threads(self.n_threads):
            self.history_ = train_seq2seq(
                self.model_, data, epochs=int(self.epochs), batch_size=int(self.batch_size),
                learning_rate=float(self.learning_rate), weight_decay=float(self.weight_decay),
                label_smoothing=float(self.label_smoothing), unk_rate=float(self.unk_rate), generator=gen,
                validation=validation, eval_every=int(self.eval_every), patience=self.patience,
                progress=bool(self.progress))
        self.fit_seconds_ = time.perf_counter() - t0
        self.fit_cpu_seconds_ = time.process_time() - c0  # this process's CPU time (a busy machine inflates the wall time)
        self.loss_curve_ = [r.loss for r in self.history_]
        self.n_parameters_ = n_parameters(self.model_)
        return self

    # -- translation -------------------------------------------------------------------------
    def _encode(self, sentences):
        from qnlp.models.seq2seq.text import check_sentence

        texts = check_texts(sentences)
        encoded = []
        for i, s in enumerate(texts):
            check_sentence(s, i)
            e = self.policy_.encode(s, self.source_vocab_.index, max_len=int(self.max_len))
            if e.truncated:
                warnings.warn(f"sentence {i + 1} has more than {self.max_len} tokens; translating the "
                              f"first {self.max_len}", stacklevel=3)
            encoded.append(e)
        return encoded

    def translate(self, sentences, beam: int | None = None, *, evaluator=None, batch_size: int = 256,
                  return_tokens: bool = False) -> list:
        """Spanish translations of English ``sentences``.

        Parameters
        ----------
        sentences : sequence of str
        beam : int, optional
            Beam width (default: the ``beam`` parameter; 1 is greedy).
        evaluator : BackendEvaluator, optional
            Estimate every attention quantity on a pytket backend (quantum attention only).
        return_tokens : bool
            Return the output token lists (before placeholders are restored) instead.

        Raises
        ------
        ParseError
            An empty sentence, one without words, or one with letters outside the Latin script
            (the message names it). Sentences over ``max_len`` tokens are truncated with a warning.
        """
        return [out if return_tokens else self.policy_.restore(out, e, w)
                for e, out, w in self._decode(sentences, beam, evaluator, batch_size)]

    def _decode(self, sentences, beam, evaluator=None, batch_size: int = 256) -> list[tuple]:
        """``(encoded source, output tokens, cross-attention rows)`` per sentence."""
        from qnlp.models.seq2seq.decoding import beam_search
        from qnlp.training.seq2seq import pad_rows

        check_is_fitted(self, "model_")
        beam = int(self.beam if beam is None else beam)
        if beam < 1:
            raise ConfigError(f"beam must be >= 1, got {beam}")
        if evaluator is not None and self.attention != "quantum":
            raise ConfigError(f"a backend evaluator needs attention='quantum', not {self.attention!r}")
        encoded = self._encode(sentences)
        out = []
        with torch.no_grad(), torch_threads(self.n_threads):
            for start in range(0, len(encoded), batch_size):
                chunk = encoded[start:start + batch_size]
                src = pad_rows([self.source_vocab_.ids(e.tokens) for e in chunk])
                results = beam_search(self.model_, src, src != 0, beam=beam, max_len=int(self.max_output),
                                      evaluator=evaluator, allowed=self._allowed(chunk))
                for e, (ids, weights) in zip(chunk, results):
                    out.append((e, [self.target_vocab_.words[i] for i in ids], weights))
        return out

    def _allowed(self, encoded) -> torch.Tensor:
        """``(B, V)`` tokens each output may contain: never ``<pad>``/``<s>``; ``<unk>`` only when
        the source has an unknown word; only the copy placeholders the source has."""
        from qnlp.models.seq2seq.text import COPY, UNK

        allowed = torch.ones(len(encoded), len(self.target_vocab_), dtype=torch.bool)
        allowed[:, [0, 2]] = False
        for i, e in enumerate(encoded):
            allowed[i, 1] = UNK in e.tokens
            for slot in COPY[len(e.copies):]:
                allowed[i, self.target_vocab_.index[slot]] = False
        return allowed

    def translate_scored(self, sentences, beam: int | None = None) -> list[tuple[str, float]]:
        """``(translation, score)`` per sentence; the score is the mean log-probability the
        model gives each output token and ``</s>`` (0: certain)."""
        from qnlp.training.seq2seq import pad_rows

        decoded = self._decode(sentences, beam)
        texts = [self.policy_.restore(out, e, w) for e, out, w in decoded]
        encoded, tokens = [d[0] for d in decoded], [d[1] for d in decoded]
        with torch.no_grad(), torch_threads(self.n_threads):
            src = pad_rows([self.source_vocab_.ids(e.tokens) for e in encoded])
            ids = [self.target_vocab_.ids(t) for t in tokens]
            tgt = pad_rows([[2] + i + [3] for i in ids])
            logits = self.model_(src, src != 0, tgt[:, :-1], tgt[:, :-1] != 0)
            logp = torch.log_softmax(logits.double(), -1).gather(-1, tgt[:, 1:, None])[..., 0]
            mask = tgt[:, 1:] != 0
            scores = ((logp * mask).sum(1) / mask.sum(1)).tolist()
        return list(zip(texts, scores))

    def score(self, X, references) -> float:
        """Corpus chrF of the translations of ``X`` against ``references`` (a list of Spanish
        references per sentence, or one string each)."""
        from qnlp.models.seq2seq.metrics import corpus_chrf

        refs = [[r] if isinstance(r, str) else list(r) for r in references]
        return corpus_chrf(self.translate(X), refs)

    def evaluate(self, X, references, beam: int | None = None) -> dict:
        """BLEU, chrF and exact match (:func:`~qnlp.models.seq2seq.metrics.translation_scores`)."""
        from qnlp.models.seq2seq.metrics import translation_scores

        refs = [[r] if isinstance(r, str) else list(r) for r in references]
        return translation_scores(self.translate(X, beam=beam), refs)

    def describe(self) -> dict:
        """Parameters, qubits per token (0 for classical models) and train seconds."""
        check_is_fitted(self, "model_")
        stack = getattr(self.model_, "stack", self.model_)
        info = dict(stack.describe())
        info.update(n_parameters=int(self.n_parameters_), train_seconds=float(getattr(self, "fit_seconds_", 0.0)),
                    train_cpu_seconds=float(getattr(self, "fit_cpu_seconds_", 0.0)))
        return info

    # -- persistence -------------------------------------------------------------------------
    def save(self, path, *, figure: bool = True) -> Path:
        """Write ``config.json`` and ``weights.npz`` (no pickle) atomically, plus the training
        curve ``training_curve.png`` when ``figure``."""
        from qnlp import __version__
        from qnlp.models.folders import write_model_dir

        check_is_fitted(self, "model_")
        config = {"format_version": FORMAT_VERSION, "qnlp_version": __version__,
                  "model_type": type(self).__name__, "params": self.get_params(),
                  "source_vocab": self.source_vocab_.words, "target_vocab": self.target_vocab_.words,
                  "copy_words": sorted(self.policy_.copy_words), "lower_words": sorted(self.policy_.lower_words),
                  "history": [{"epoch": r.epoch, "loss": r.loss, "seconds": r.seconds,
                               "dev_chrf": r.validation_score} for r in getattr(self, "history_", [])],
                  "n_parameters": int(self.n_parameters_), "fit_seconds": float(getattr(self, "fit_seconds_", 0.0))}
        arrays = {k: v.detach().numpy() for k, v in self.model_.state_dict().items()}
        extra = self._write_curve if figure and getattr(self, "history_", None) else None
        return write_model_dir(path, config, arrays, extra)

    def _write_curve(self, folder: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from qnlp.utils import save_figure

        epochs = [r.epoch for r in self.history_]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(epochs, [r.loss for r in self.history_], color="tab:blue", label="train loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("token cross-entropy")
        dev = [(r.epoch, r.validation_score) for r in self.history_ if r.validation_score is not None]
        if dev:
            ax2 = ax.twinx()
            ax2.plot(*zip(*dev), color="tab:orange", marker="o", label="dev chrF")
            ax2.set_ylabel("dev chrF")
        ax.set_title(f"Seq2SeqTranslator ({self.attention} attention)")
        fig.tight_layout()
        save_figure(fig, folder / "training_curve.png", dpi=100)
        plt.close(fig)

    @classmethod
    def load(cls, path) -> "Seq2SeqTranslator":
        """A fitted translator from a folder written by :meth:`save`."""
        from qnlp.models.folders import read_torch_model_dir
        from qnlp.models.seq2seq.text import CopyPolicy, TokenVocabulary
        from qnlp.training.loop import EpochRecord

        path = Path(path)
        config, state = read_torch_model_dir(path, cls.__name__, (FORMAT_VERSION,))
        valid = cls().get_params()
        model = cls(**{k: v for k, v in config["params"].items() if k in valid})
        model.source_vocab_ = TokenVocabulary(config["source_vocab"])
        model.target_vocab_ = TokenVocabulary(config["target_vocab"])
        model.policy_ = CopyPolicy(set(config["copy_words"]), set(config["lower_words"]))
        model.model_ = model._build(torch.Generator().manual_seed(0))
        try:
            model.model_.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelFileError(f"{path}/weights.npz does not match config.json: {exc}") from None
        model.model_.eval()
        model.history_ = [EpochRecord(h["epoch"], h["loss"], h["seconds"], h["dev_chrf"]) for h in config.get("history", [])]
        model.n_parameters_ = int(config.get("n_parameters", sum(p.numel() for p in model.model_.parameters())))
        model.fit_seconds_ = float(config.get("fit_seconds", 0.0))
        return model
