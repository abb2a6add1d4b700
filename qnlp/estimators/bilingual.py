"""``BilingualMatcher``: English-Spanish sentence matching with bilingual quantum sentence states.

scikit-learn style: ``fit(english, spanish)`` on translation pairs, then ``similarity`` (a score
matrix: state fidelities), ``rank`` (candidates per sentence with scores), ``predict`` (pairs
classified at the threshold ``threshold_``), ``score`` (retrieval top-1 among 100) and
``evaluate`` (every metric of :mod:`qnlp.models.bilingual.metrics`). ``save``/``load``: a model
folder with ``config.json`` (``"model_type": "BilingualMatcher"``), ``weights.npz`` and
``candidates.txt`` (the distinct Spanish training sentences, the default candidate pool); no
pickle.

``architecture="classical"`` trains the classical dual encoder of matched parameter count
(:class:`~qnlp.models.bilingual.model.ClassicalDualEncoder`) under the same data, loss and
optimiser, as the baseline.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from qnlp.errors import ConfigError, ModelFileError
from qnlp.text import check_texts
from qnlp.utils import torch_threads

FORMAT_VERSION = 1
ARCHITECTURES = ("quantum", "classical")
DIRECTIONS = ("en-es", "es-en")
_UNSAVED = ("callbacks", "embedding_cache")


class BilingualMatcher(BaseEstimator):
    """Bilingual sentence states trained contrastively so that translations have high fidelity.

    Parameters
    ----------
    architecture : {"quantum", "classical"}
        Quantum sentence states, or the classical dual encoder of matched size (baseline).
    source : {"word", "use"}
        Token states from trainable word angles (from scratch) or from frozen multilingual USE
        word embeddings plus the USE sentence token (needs ``qnlp[translation]``).
    n_qubits, n_layers : int
        Qubits per token; layers of the token and head circuits.
    n_heads : int
    head : {"gaussian", "fidelity"}
    sentence_qubits, sentence_layers : int
        The sentence circuit whose state is compared by fidelity.
    epochs, batch_size, learning_rate, weight_decay : training (Adam, cosine decay).
    unk_rate : float
        Word dropout that trains each language's ``<unk>`` row.
    temperature : float
        Initial logit scale of the fidelities (trained).
    word_offsets, residual : bool
        ``source="use"`` only: per-word angle offsets; the USE sentence embedding added linearly
        to the sentence angles.
    init_scale : float
    sentence_encoding : {"angles", "amplitude"}
        The pooled features set the angles of the sentence circuit, or (with ``source="use"``
        and ``residual``, the hybrid model) the amplitudes of the sentence state directly.
    hard_negatives : float
        Share of a batch's pairs that also get a hard negative in training: the English sentence
        with one content word swapped (:func:`~qnlp.models.bilingual.metrics.swap_content_word`,
        tags from the English parser), an extra row that every Spanish sentence of the batch
        must rank below its own translation. 0: none.
    max_len : int
        Tokens kept per sentence.
    patience : int or None
        With validation pairs given to :meth:`fit`: stop after this many epochs without a better
        validation top-1 among 100 and keep the best epoch.
    embedding_cache : str or None
        Folder that caches USE embeddings (not saved with the model).
    backend, shots, fidelity_method : where the fidelities are computed
        ``None``: exact. Otherwise a pytket backend name (``"aer"``, ...), shots per circuit and
        ``"inverse"`` (compute-uncompute) or ``"swap"``; the attention heads' quantities are
        estimated on the same backend.
    random_state : int
    n_threads : int or None
        torch threads while fitting and scoring (1 is fastest for these small tensors).
    verbose : bool
    callbacks : list of callables, optional
        Called with every epoch record.

    Attributes
    ----------
    model_ : torch.nn.Module
    vocab_ : dict
        ``{"en": Vocabulary, "es": Vocabulary}``.
    words_ : dict
        ``{"en": set, "es": set}``: lower-case words of each language's training text (the name
        policy of :mod:`qnlp.models.bilingual.text`).
    candidates_ : list of str
        The distinct Spanish training sentences (default candidates of :meth:`rank`).
    english_ : list of str
        The distinct English training sentences.
    threshold_ : float
        Pair-classification threshold on the fidelity (best accuracy on the validation pairs
        with random negatives, or on the training pairs when none were given).
    history_ : list
    n_parameters_, train_seconds_ : int, float
    """

    def __init__(self, *, architecture="quantum", source="word", n_qubits=4, n_layers=2, n_heads=2,
                 head="gaussian", sentence_qubits=6, sentence_layers=2, epochs=20, batch_size=64,
                 learning_rate=0.02, weight_decay=0.0, unk_rate=0.05, temperature=10.0,
                 word_offsets=False, residual=False, init_scale=1.0, sentence_encoding="angles",
                 hard_negatives=0.0, max_len=32, patience=None,
                 embedding_cache=None, backend=None, shots=None, fidelity_method="inverse",
                 random_state=0, n_threads=1, verbose=False, callbacks=None):
        self.architecture = architecture
        self.source = source
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.head = head
        self.sentence_qubits = sentence_qubits
        self.sentence_layers = sentence_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.unk_rate = unk_rate
        self.temperature = temperature
        self.word_offsets = word_offsets
        self.residual = residual
        self.init_scale = init_scale
        self.sentence_encoding = sentence_encoding
        self.hard_negatives = hard_negatives
        self.max_len = max_len
        self.patience = patience
        self.embedding_cache = embedding_cache
        self.backend = backend
        self.shots = shots
        self.fidelity_method = fidelity_method
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose
        self.callbacks = callbacks

    # -- inputs ------------------------------------------------------------------------------
    def _embedder(self):
        if self.source != "use":
            return None
        if getattr(self, "_use", None) is None:
            from qnlp.models.bilingual.use import USEEmbedder

            self._use = USEEmbedder(self.embedding_cache)
        return self._use

    def _tokens(self, lang: str, texts) -> list:
        from qnlp.models.bilingual.text import tokenize

        return [tokenize(t, self.words_[lang])[:self.max_len] for t in texts]

    def _batch(self, lang: str, texts, *, train: bool = False, generator=None):
        from qnlp.models.bilingual.model import make_batch
        from qnlp.models.bilingual.text import encode

        rate = float(self.unk_rate) if train and self.source == "word" else 0.0
        enc = encode(self._tokens(lang, texts), self.vocab_[lang], max_len=self.max_len,
                     unk_rate=rate, generator=generator)
        return make_batch(enc, texts, self._embedder())

    def unknown_words(self, sentence: str, lang: str = "en") -> list:
        """Words of ``sentence`` not in the ``lang`` training vocabulary (names excluded)."""
        from qnlp.models.bilingual.text import NAME

        check_is_fitted(self, "model_")
        toks = self._tokens(lang, [sentence])[0]
        return list(dict.fromkeys(t for t in toks if not t.startswith(NAME) and t not in self.vocab_[lang].index))

    # -- fitting -----------------------------------------------------------------------------
    def _build(self, generator: torch.Generator):
        from qnlp.models.bilingual.model import BilingualStateModel, ClassicalDualEncoder, matched_classical_dims

        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"unknown architecture {self.architecture!r}; valid: {', '.join(ARCHITECTURES)}")
        quantum = BilingualStateModel(
            self.vocab_, source=self.source, n_qubits=int(self.n_qubits), n_layers=int(self.n_layers),
            n_heads=int(self.n_heads), head=self.head, sentence_qubits=int(self.sentence_qubits),
            sentence_layers=int(self.sentence_layers), temperature=float(self.temperature),
            word_offsets=bool(self.word_offsets), residual=bool(self.residual),
            init_scale=float(self.init_scale), encoding=self.sentence_encoding, generator=generator)
        if self.architecture == "quantum":
            return quantum
        if self.source != "word":
            raise ConfigError("architecture='classical' supports source='word' only")
        embed_dim, out_dim = matched_classical_dims(quantum, self.vocab_)
        return ClassicalDualEncoder(self.vocab_, embed_dim=embed_dim, out_dim=out_dim,
                                    temperature=float(self.temperature), generator=generator)

    def fit(self, X, y, *, validation: tuple | None = None):
        """Train on translation pairs.

        Parameters
        ----------
        X : sequence of str
            English sentences.
        y : sequence of str
            Their Spanish translations (same length).
        validation : (english, spanish), optional
            Held-out pairs: retrieval top-1 among 100 after every epoch (``validation_scores_``),
            early stopping with ``patience``, and the pair threshold.
        """
        from qnlp.models.attention.model import Vocabulary
        from qnlp.models.bilingual.model import n_parameters
        from qnlp.models.bilingual.text import NAME, lower_words
        from qnlp.training.contrastive import train_contrastive

        english, spanish = check_texts(X), check_texts(y)
        if len(english) != len(spanish):
            raise ValueError(f"X has {len(english)} English sentences but y has {len(spanish)} Spanish ones")
        if len(english) < 2:
            raise ValueError(f"need at least 2 translation pairs, got {len(english)}")
        pairs = list(dict.fromkeys(zip(english, spanish)))
        en = [p[0] for p in pairs]
        es = [p[1] for p in pairs]
        self.words_ = {"en": lower_words(en), "es": lower_words(es)}
        self.vocab_ = {}
        for lang, texts in (("en", en), ("es", es)):
            toks = [[t for t in tl if not t.startswith(NAME)] for tl in self._tokens(lang, texts)]
            self.vocab_[lang] = Vocabulary.build(toks)
        self.english_ = list(dict.fromkeys(en))
        self.candidates_ = list(dict.fromkeys(es))
        gen = torch.Generator().manual_seed(int(self.random_state))
        self.model_ = self._build(gen)
        self.n_parameters_ = n_parameters(self.model_)
        en_arr, es_arr = np.asarray(en, dtype=object), np.asarray(es, dtype=object)
        if self.source == "use":  # embed everything once, up front
            self._embedder().sentences(self.english_ + self.candidates_)

        swap = self._hard_negative_maker(en, gen) if float(self.hard_negatives) > 0 else None

        def batch_fn(idx, train=False):
            a, b = list(en_arr[idx]), list(es_arr[idx])
            same_en = torch.as_tensor(np.equal.outer(en_arr[idx], en_arr[idx]).astype(bool))
            same_es = torch.as_tensor(np.equal.outer(es_arr[idx], es_arr[idx]).astype(bool))
            exclude = same_en | same_es
            if train and swap is not None:
                extra = [x for x in (swap(t) for t in a) if x is not None]
                if extra:
                    a = a + extra
                    exclude = torch.cat([exclude, torch.zeros(len(extra), len(b), dtype=torch.bool)])
            return ((self._batch("en", a, train=train, generator=gen),
                     self._batch("es", b, train=train, generator=gen)), exclude)

        score = None
        if validation is not None:
            from qnlp.models.bilingual.metrics import ParallelSet, retrieval_metrics

            val = ParallelSet.from_pairs(*validation)
            score = lambda: retrieval_metrics(self._exact_similarity, val)["en-es@100"]["p@1"]  # noqa: E731
        t0 = time.perf_counter()
        with torch_threads(self.n_threads):
            self.history_ = train_contrastive(
                self.model_, batch_fn, len(pairs), epochs=int(self.epochs), batch_size=int(self.batch_size),
                learning_rate=float(self.learning_rate), weight_decay=float(self.weight_decay), generator=gen,
                callbacks=self.callbacks or (), validation=score, patience=self.patience, verbose=self.verbose)
        self.train_seconds_ = time.perf_counter() - t0
        self.n_iter_ = len(self.history_)
        self.validation_scores_ = [r.validation_score for r in self.history_ if r.validation_score is not None]
        self.calibrate(*(validation if validation is not None else (en, es)))
        return self

    def _hard_negative_maker(self, english: list, generator: torch.Generator):
        """``swap(sentence)`` -> the sentence with one content word swapped (or ``None``), for a
        ``hard_negatives`` share of calls; tags and word pools from the training English."""
        from qnlp.models.bilingual.metrics import CONTENT_TAGS, detokenize, swap_content_word, tag_english

        distinct = list(dict.fromkeys(english))
        tagged = dict(zip(distinct, tag_english(distinct)))
        pools: dict = {}
        for tokens, _, tags in tagged.values():
            for w, t in zip(tokens, tags):
                if t in CONTENT_TAGS:
                    pools.setdefault(t, set()).add(w if t == "PROPN" else w.lower())
        pools = {t: sorted(ws) for t, ws in pools.items()}
        rng = np.random.default_rng(int(torch.randint(0, 2 ** 31 - 1, (1,), generator=generator)))
        rate = float(self.hard_negatives)

        def swap(sentence):
            if rng.random() >= rate:
                return None
            tokens, spaces, tags = tagged[sentence]
            out = swap_content_word(tokens, tags, pools, rng)
            return None if out is None else detokenize(out, spaces)

        return swap

    def calibrate(self, english: Sequence[str], spanish: Sequence[str], seed: int = 0) -> float:
        """Set ``threshold_`` to the best-accuracy threshold on these pairs against random
        negatives (:func:`~qnlp.models.bilingual.metrics.random_negatives`); returns it."""
        from qnlp.models.bilingual.metrics import ParallelSet, best_threshold, pair_scores, random_negatives

        pairs = random_negatives(ParallelSet.from_pairs(list(english), list(spanish)), seed)
        self.threshold_ = best_threshold(pair_scores(self.similarity, pairs), pairs.labels)
        return self.threshold_

    # -- scoring -----------------------------------------------------------------------------
    def _states(self, lang: str, texts, size: int = 512) -> torch.Tensor:
        out = []
        with torch.no_grad(), torch_threads(self.n_threads):
            for start in range(0, len(texts), size):
                out.append(self.model_.states(lang, self._batch(lang, texts[start:start + size])))
        return torch.cat(out) if out else torch.zeros(0, 1)

    def _exact_similarity(self, english, spanish) -> np.ndarray:
        from qnlp.models.bilingual.model import fidelities

        a, b = self._states("en", list(english)), self._states("es", list(spanish))
        if self.architecture == "classical":
            return (a @ b.T).double().numpy()
        return fidelities(a, b).double().numpy()

    def sentence_angles(self, lang: str, texts: Sequence[str], evaluator=None) -> np.ndarray:
        """Sentence-circuit angles ``(n, L, k, 2)`` (radians) of ``texts`` in ``lang``; the head
        quantities come from ``evaluator`` (``None``: exact)."""
        check_is_fitted(self, "model_")
        if self.architecture != "quantum":
            raise ConfigError("a classical dual encoder has no circuits")
        texts = list(texts)
        with torch.no_grad(), torch_threads(self.n_threads):
            enc = self.model_.encoders[lang]
            return enc.sentence_angles(self._batch(lang, texts), evaluator).double().numpy()

    def _backend_similarity(self, english, spanish) -> np.ndarray:
        from qnlp.models.attention.evaluators import BackendEvaluator
        from qnlp.models.bilingual.shots import FidelityEstimator

        if self.architecture != "quantum":
            raise ConfigError("a classical dual encoder has no circuits to run on a backend (drop --backend/--shots)")
        seed = None if self.random_state is None else int(self.random_state)
        evaluator = BackendEvaluator(self.backend or "aer", shots=self.shots, seed=seed)
        fid = FidelityEstimator(evaluator.backend, shots=self.shots, seed=seed, method=self.fidelity_method)
        if self.sentence_encoding == "amplitude":
            with torch.no_grad(), torch_threads(self.n_threads):
                a = self.model_.states("en", self._batch("en", list(english)), evaluator).numpy()
                b = self.model_.states("es", self._batch("es", list(spanish)), evaluator).numpy()
            return fid.amplitude_matrix(a, b)
        a = self.sentence_angles("en", english, evaluator)
        b = self.sentence_angles("es", spanish, evaluator)
        return fid.matrix(a, b)

    def similarity(self, english: Sequence[str], spanish: Sequence[str]) -> np.ndarray:
        """Score matrix ``(len(english), len(spanish))``: sentence-state fidelities (exact, or
        estimated on ``backend`` with ``shots``); cosine similarities for ``"classical"``."""
        check_is_fitted(self, "model_")
        english, spanish = check_texts(english), check_texts(spanish)
        if self.backend not in (None, "exact") or self.shots is not None:
            return self._backend_similarity(english, spanish)
        return self._exact_similarity(english, spanish)

    def decision_function(self, english, spanish) -> np.ndarray:
        """Score of each aligned pair ``(english[i], spanish[i])``."""
        from qnlp.models.bilingual.metrics import PairSet, pair_scores

        english, spanish = check_texts(english), check_texts(spanish)
        return pair_scores(self.similarity, PairSet(english, spanish, np.zeros(len(english))))

    def predict(self, english, spanish) -> np.ndarray:
        """1 where the aligned pair is classified a translation (score >= ``threshold_``)."""
        check_is_fitted(self, "threshold_")
        return (self.decision_function(english, spanish) >= self.threshold_).astype(int)

    def rank(self, sentences: Sequence[str], candidates: Sequence[str] | None = None, top: int = 5, *,
             direction: str = "en-es") -> list:
        """The ``top`` candidates of each sentence by score, best first.

        ``candidates`` default: the distinct Spanish training sentences (``"en-es"``) or English
        ones (``"es-en"``). Returns per sentence a list of ``{"candidate", "score"}``.
        """
        check_is_fitted(self, "model_")
        if direction not in DIRECTIONS:
            raise ConfigError(f"unknown direction {direction!r}; valid: {', '.join(DIRECTIONS)}")
        if int(top) < 1:
            raise ConfigError(f"top must be >= 1, got {top!r}")
        sentences = check_texts(sentences)
        pool = list(dict.fromkeys(check_texts(candidates) if candidates is not None else
                                  (self.candidates_ if direction == "en-es" else self.english_)))
        if not pool:
            raise ConfigError("no candidates to rank")
        mat = self.similarity(sentences, pool) if direction == "en-es" else self.similarity(pool, sentences).T
        out = []
        for row in mat:
            order = np.argsort(-row, kind="stable")[:int(top)]
            out.append([{"candidate": pool[j], "score": float(row[j])} for j in order])
        return out

    def evaluate(self, english: Sequence[str], spanish: Sequence[str], *, seed: int = 0,
                 task=None) -> dict:
        """Every metric on these pairs (:class:`~qnlp.models.bilingual.evaluation.MatchingTask`);
        the pair thresholds are ``thresholds_`` when set (from the validation split), else the
        best ones on these pairs. Flat keys (:func:`~qnlp.models.bilingual.evaluation.flat_metrics`)
        plus ``"details"``."""
        from qnlp.models.bilingual.evaluation import MatchingTask, flat_metrics

        check_is_fitted(self, "model_")
        task = task or MatchingTask.build(check_texts(english), check_texts(spanish), seed=seed)
        result = task.evaluate(self.similarity, getattr(self, "thresholds_", None))
        return {**flat_metrics(result), "details": result}

    def score(self, X, y) -> float:
        """Retrieval EN->ES top-1 among 100 candidates (one gold + 99 random, seed 0)."""
        from qnlp.models.bilingual.metrics import ParallelSet, retrieval_metrics

        data = ParallelSet.from_pairs(check_texts(X), check_texts(y))
        return retrieval_metrics(self.similarity, data)["en-es@100"]["p@1"]

    def n_qubits_info(self) -> dict:
        """Qubits of a token state, of a sentence state, and of one fidelity circuit."""
        k = int(self.sentence_qubits)
        return {"token": int(self.n_qubits), "sentence": k,
                "fidelity_circuit": k if self.fidelity_method == "inverse" else 2 * k + 1}

    # -- persistence -------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write ``config.json``, ``weights.npz`` and ``candidates.txt`` (no pickle), atomically."""
        from qnlp import __version__
        from qnlp.models.folders import write_model_dir

        check_is_fitted(self, "model_")
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in _UNSAVED}
        if not isinstance(params.get("backend"), (str, type(None))):
            params["backend"] = None
        config = {"format_version": FORMAT_VERSION, "qnlp_version": __version__,
                  "model_type": type(self).__name__, "params": params,
                  "vocab": {lang: v.words for lang, v in self.vocab_.items()},
                  "words": {lang: sorted(w) for lang, w in self.words_.items()},
                  "english": self.english_, "threshold": getattr(self, "threshold_", None),
                  "thresholds": getattr(self, "thresholds_", None),
                  "n_parameters": self.n_parameters_, "train_seconds": getattr(self, "train_seconds_", None)}
        arrays = {k: v.detach().numpy() for k, v in self.model_.state_dict().items()}

        def extra(folder: Path) -> None:
            (folder / "candidates.txt").write_text("".join(s + "\n" for s in self.candidates_), encoding="utf-8")

        return write_model_dir(path, config, arrays, extra)

    @classmethod
    def load(cls, path, **kwargs):
        """Load a folder written by :meth:`save` (``kwargs`` override parameters, e.g. ``backend``)."""
        from qnlp.models.attention.model import Vocabulary
        from qnlp.models.folders import read_torch_model_dir

        path = Path(path)
        config, state = read_torch_model_dir(path, cls.__name__, (FORMAT_VERSION,))
        try:
            candidates = (path / "candidates.txt").read_text(encoding="utf-8").split("\n")[:-1]
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"cannot read model folder {path}: {exc}") from None
        valid = cls().get_params()
        params = {k: v for k, v in config["params"].items() if k in valid}
        params.update(kwargs)
        est = cls(**params)
        est.vocab_ = {lang: Vocabulary(list(words)) for lang, words in config["vocab"].items()}
        est.words_ = {lang: set(words) for lang, words in config["words"].items()}
        est.english_, est.candidates_ = list(config["english"]), candidates
        if config.get("threshold") is not None:
            est.threshold_ = float(config["threshold"])
        if config.get("thresholds"):
            est.thresholds_ = dict(config["thresholds"])
        est.n_parameters_ = int(config.get("n_parameters") or 0)
        est.train_seconds_ = config.get("train_seconds")
        est.model_ = est._build(torch.Generator().manual_seed(0))
        try:
            est.model_.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelFileError(f"{path}/weights.npz does not match config.json: {exc}") from None
        est.model_.eval()
        return est
