"""scikit-learn estimators for self-attention sentence classification.

:class:`QuantumAttentionClassifier` is a QSANN-style quantum self-attention network simulated
exactly (see :mod:`qnlp.models.attention`); :class:`ClassicalAttentionClassifier` is the
classical self-attention baseline of matched size, with the same tokenisation and training.

>>> from qnlp.estimators.attention import QuantumAttentionClassifier
>>> clf = QuantumAttentionClassifier(head="fidelity", n_qubits=3)
>>> clf.get_params()["head"], clf.get_params()["n_qubits"]
('fidelity', 3)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from qnlp.errors import ConfigError, ModelFileError
from qnlp.estimators.classifier import check_texts
from qnlp.models.attention.pretrained import resolve_pretrained

FORMAT_VERSION = 1


class _torch_threads:
    """Temporarily set torch's intra-op thread count (``None``: leave it).

    The tensors here are tiny, so one thread avoids thread-pool overhead (10-100x on a busy
    machine). The setting is process-wide; it is restored on exit.
    """

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.old = torch.get_num_threads()
        if self.n:
            torch.set_num_threads(int(self.n))

    def __exit__(self, *exc):
        torch.set_num_threads(self.old)


class _AttentionClassifierBase(ClassifierMixin, BaseEstimator):
    """Shared fit/predict logic; subclasses implement ``_build(vocab, n_classes, generator,
    like=None)`` (``like``: the pretrained model being fine-tuned, see ``init_from``)."""

    _uses_embedding = False

    def _tokens(self, X):
        from qnlp.models.attention.states import tokenize

        return [tokenize(t) for t in check_texts(X)]

    def _inputs(self, token_lists):
        """Forward inputs ``(ids, mask, words)`` for token lists under the fitted vocabulary."""
        from qnlp.models.attention.model import Vocabulary

        vocab = self.vocab_
        if self._uses_embedding:  # unseen words still get a hashed embedding
            seen = set(vocab.words)
            new = sorted({t for toks in token_lists for t in toks} - seen)
            if new:
                vocab = Vocabulary(vocab.words + new)
        ids, mask = vocab.encode(token_lists, self.max_len)
        return ids, mask, vocab.words

    def _embed(self, texts, train: bool = False):
        """Extra per-text inputs (``None``, or an object with ``batch(idx, width)``); ``train``:
        the texts are the training set being fitted."""
        return None

    def fit(self, X, y):
        """Build the vocabulary and train.

        Parameters
        ----------
        X : sequence of str
        y : sequence of labels
        """
        from qnlp.models.attention.model import (Vocabulary, n_parameters, train_module,
                                                 transfer_parameters)

        texts = check_texts(X)
        tokens = self._tokens(texts)
        labels = np.asarray([str(v) for v in np.asarray(y, dtype=object).ravel()])
        if len(tokens) != len(labels):
            raise ValueError(f"X has {len(tokens)} texts but y has {len(labels)} labels")
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes, got {list(self.classes_)}")
        for name in ("epochs", "n_heads"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        targets = np.searchsorted(self.classes_, labels)
        gen = torch.Generator().manual_seed(int(self.seed))
        prior = self._prior()
        self.vocab_ = Vocabulary.build(tokens) if prior is None else prior.vocab_.extended(tokens)
        self.model_ = self._build(self.vocab_, len(self.classes_), gen,
                                  like=None if prior is None else prior.model_)
        centre = None
        if prior is not None:
            same = list(prior.classes_) == list(self.classes_)
            centre = transfer_parameters(prior.model_, self.model_, copy_readout=same)
        ids, mask, words = self._inputs(tokens)
        emb = self._embed(texts, train=True)
        unk_rate = float(self.unk_rate)

        def batch(idx, train=False):
            b_ids, b_mask = ids[idx], mask[idx]
            if train and unk_rate > 0 and not self._uses_embedding:
                drop = (torch.rand(b_ids.shape, generator=gen) < unk_rate) & b_mask
                b_ids = torch.where(drop, torch.ones_like(b_ids), b_ids)
            width = int(b_mask.sum(1).max())
            extra = emb.batch(idx, width) if emb is not None else ()
            return b_ids[:, :width], b_mask[:, :width], words, *extra

        t0 = time.perf_counter()
        with _torch_threads(self.n_threads):
            if prior is not None and not same:  # other classes: a linear probe sets the read-out
                _linear_probe(self.model_, batch, targets, centre, seed=int(self.seed))
            self.history_ = train_module(self.model_, batch, targets, epochs=int(self.epochs),
                                         batch_size=self.batch_size,
                                         learning_rate=float(self.learning_rate),
                                         weight_decay=float(self.weight_decay), generator=gen,
                                         decay_centre=centre, verbose=bool(self.verbose))
        self.fit_seconds_ = time.perf_counter() - t0
        self.n_iter_ = int(self.epochs)
        self.n_parameters_ = n_parameters(self.model_)
        return self

    def _prior(self):
        """The fitted model ``init_from`` names (``None``: train from scratch)."""
        source = getattr(self, "init_from", None)
        if source is None:
            return None
        if isinstance(source, _AttentionClassifierBase):
            if not hasattr(source, "model_"):
                raise ConfigError("init_from is an unfitted estimator (sklearn.clone, as used by "
                                  "GridSearchCV, does not copy fitted state): save the pretrained "
                                  "model and pass its folder")
            prior = source
        else:
            prior = type(self).load(resolve_pretrained(source))
        if type(prior) is not type(self):
            raise ConfigError(f"init_from: a {type(prior).__name__} cannot initialise a "
                              f"{type(self).__name__}")
        return prior

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        check_is_fitted(self, "model_")
        texts = check_texts(X)
        tokens = self._tokens(texts)
        emb = self._embed(texts)
        out = []
        with torch.no_grad(), _torch_threads(self.n_threads):
            for start in range(0, len(tokens), 256):
                ids, mask, words = self._inputs(tokens[start:start + 256])
                extra = () if emb is None else emb.batch(np.arange(start, start + len(ids)), ids.shape[1])
                out.append(torch.softmax(self.model_(ids, mask, words, *extra), -1).numpy())
        if not out:
            return np.zeros((0, len(self.classes_)))
        return np.concatenate(out).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        """Predicted labels (from ``classes_``)."""
        check_is_fitted(self, "model_")
        return self.classes_[self.predict_proba(X).argmax(1)]

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write ``config.json`` (parameters, classes, vocabulary) and ``weights.npz`` (no pickle)."""
        from qnlp import __version__

        check_is_fitted(self, "model_")
        from qnlp.models.folders import write_model_dir

        params = self.get_params(deep=False)
        start = params.get("init_from")
        if isinstance(start, _AttentionClassifierBase):  # not JSON: say what it was
            params["init_from"] = f"<fitted {type(start).__name__}>"
        elif isinstance(start, Path):
            params["init_from"] = str(start)
        config = {"format_version": FORMAT_VERSION, "qnlp_version": __version__,
                  "model_type": type(self).__name__, "params": params,
                  "classes": self.classes_.tolist(), "vocab": self.vocab_.words}
        arrays = {k: v.detach().numpy() for k, v in self.model_.state_dict().items()}
        return write_model_dir(path, config, arrays, self._save_parts)

    @classmethod
    def load(cls, path):
        """Load a folder written by :meth:`save`."""
        from qnlp.models.attention.model import Vocabulary

        from qnlp.models.folders import read_model_config

        path = Path(path)
        config = read_model_config(path)
        if config.get("format_version") != FORMAT_VERSION or config.get("model_type") != cls.__name__:
            raise ModelFileError(f"{path}: not a {cls.__name__} model folder")
        try:
            with np.load(path / "weights.npz", allow_pickle=False) as data:
                state = {k: torch.as_tensor(data[k]) for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"cannot read model folder {path}: {exc}") from None
        clf = cls(**config["params"])
        clf.classes_ = np.asarray(config["classes"])
        clf.vocab_ = Vocabulary(list(config["vocab"]))
        clf._load_parts(path)  # before the model: source="discocat" sizes it from the DisCoCat model
        clf.model_ = clf._build(clf.vocab_, len(clf.classes_), torch.Generator().manual_seed(0))
        try:
            clf.model_.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelFileError(f"{path}/weights.npz does not match config.json: {exc}") from None
        clf.model_.eval()
        return clf

    def _save_parts(self, folder: Path) -> None:
        """Write fitted sub-models into the model folder (before it is moved into place)."""

    def _load_parts(self, folder: Path) -> None:
        """Read what :meth:`_save_parts` wrote."""


def _linear_probe(model, batch_fn, targets, centre: dict, *, seed: int) -> None:
    """Fit the read-out by logistic regression on the (frozen) pooled features of the training
    set, and make those values its weight-decay centre (linear probing before fine-tuning, as in
    Kumar et al., ICLR 2022: a random read-out would first distort the pretrained features)."""
    from sklearn.linear_model import LogisticRegression

    model.eval()
    with torch.no_grad():
        feats = torch.cat([model(*batch_fn(idx), return_features=True)
                           for idx in np.array_split(np.arange(len(targets)), max(1, len(targets) // 256))])
    lr = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(feats.double().numpy(), targets)
    coef, bias = lr.coef_, lr.intercept_
    if coef.shape[0] == 1:  # binary: sklearn's one row -> two logits with the same difference
        coef, bias = np.vstack([-coef / 2, coef / 2]), np.r_[-bias / 2, bias / 2]
    with torch.no_grad():
        for name, value in (("readout.weight", coef), ("readout.bias", bias)):
            param = dict(model.named_parameters())[name]
            param.copy_(torch.as_tensor(value, dtype=param.dtype))
            centre[name] = param.detach().clone()


class _ExtraInputs:
    """Forward inputs after ``(ids, mask, words)``: contextual embeddings (or ``None, None``),
    tree distances (or ``None``), DisCoCat class probabilities (or ``None``), word boxes (or
    ``None``)."""

    def __init__(self, embedded, distances=None, discocat=None, boxes=None):
        self.embedded, self.distances, self.discocat, self.boxes = embedded, distances, discocat, boxes

    def batch(self, idx, width: int) -> tuple:
        head = self.embedded.batch(idx, width) if self.embedded is not None else (None, None)
        dist = None if self.distances is None else self.distances.batch(idx, width)
        disco = None if self.discocat is None else self.discocat[torch.as_tensor(np.asarray(idx))]
        boxes = None if self.boxes is None else self.boxes.batch(idx, width)
        return (*head, dist, disco, boxes)


class QuantumAttentionClassifier(_AttentionClassifierBase):
    """Quantum self-attention network (QSANN-style) on raw sentences, simulated exactly.

    Each token becomes a state on ``n_qubits`` qubits; ``n_heads`` quantum attention heads
    mix the tokens; the mean of the token outputs goes through a linear layer.

    Parameters
    ----------
    head : {"gaussian", "fidelity"}
        ``"gaussian"``: QSANN weights ``softmax(-(q - k)**2)`` from ``<Z>`` expectations;
        ``"fidelity"``: weights from state overlaps ``|<q|k>|**2`` (swap tests on hardware).
    n_qubits : int
        Qubits per token (1..8).
    n_layers : int
        Layers (RY, RZ on each qubit + CNOT ring) of every circuit.
    n_heads : int
    source : {"word", "embedding", "minilm", "discocat"}
        Token-state parameters: trainable per word, a hashed character n-gram embedding mapped
        to angles by a trainable linear layer, or the frozen contextual all-MiniLM-L6-v2
        embedding of each token mapped the same way (``pip install 'qnlp[embeddings]'``;
        embeddings are recomputed from the text, never saved). ``"discocat"``: a DisCoCat
        classifier (:class:`~qnlp.estimators.QuantumTextClassifier`, CLI defaults, same seed) is
        trained first; each token's state is then the state of its word's box in its sentence's
        DisCoCat circuit. The box parameters start as the DisCoCat model's and are trained
        further by the attention loss (a copy in ``model_``: ``discocat_``, saved in
        ``discocat/``, keeps the parses, the symbol table and its own classifier). Tokens
        without a box (no parse, or a box wider than ``n_qubits``) use trainable word rows;
        ``discocat_coverage_`` is the share with a box. Exact engine only.
    embed_dim : int
        Width of the hashed embedding.
    init_scale : float
        Initial word angles are uniform in ``[0, 2 pi * init_scale)``.
    positional : bool
        Trainable positional phases on the token states (word order; see the model).
    sentence_token, residual : bool
        ``source="minilm"``: the MiniLM sentence embedding as an extra token; a linear read-out
        of the sentence embedding added to the logits (skip connection).
    embedding_cache : path or None
        ``source="minilm"``: folder of the on-disk embedding cache (``None``: memory only).
    syntax : bool
        Syntax-aware attention: every head subtracts ``beta * (distance in the dependency tree)``
        from its scores, ``beta >= 0`` trained per head; trees from the bundled offline parser
        (:mod:`qnlp.models.attention.syntax`; parsing costs ~10 ms a sentence).
    n_blocks : int
        Stacked attention blocks with residual connections (see
        :class:`~qnlp.models.attention.model.QuantumAttentionModel`); on shot backends each later
        block re-prepares its states from the previous block's estimated outputs.
    discocat_token : bool
        Train a DisCoCat classifier (:class:`~qnlp.estimators.QuantumTextClassifier`, CLI
        defaults, same seed) on the same data first, and prepend each sentence's DisCoCat output
        as an extra token state (two classes; the class probabilities set one angle of the
        token-state circuit, see :func:`~qnlp.models.attention.model.discocat_angles`). Saved in
        the model folder's ``discocat/`` subfolder. With ``source="discocat"`` the token's
        probabilities are computed live from the shared word-box parameters instead.
    discocat_folds : int
        With ``discocat_token``: ``k >= 2`` trains the attention model on *out-of-fold* DisCoCat
        outputs (stratified k-fold cross-fitting, one extra DisCoCat fit per fold), so it sees
        outputs as unreliable as on new sentences; ``0`` (default) uses the final DisCoCat
        model's in-sample outputs. On RP (seeds 0-4, first token encoding) 5 folds gave
        0.826 ± 0.067 against 0.845 ± 0.062 in-sample, at 6x the DisCoCat training cost, hence
        the default.
    word_offsets : bool
        ``source="minilm"``: add a trainable angle offset per training word (initially zero;
        ``weight_decay`` pulls it back to zero) to the projection of its contextual embedding,
        so the frozen embedding can be corrected for this task's vocabulary. Words first seen at
        prediction use the unknown word's offset.
    init_from : path, fitted estimator or None
        Fine-tune instead of training from scratch: a model folder written by :meth:`save` (or
        a fitted estimator of this class; ``sklearn.clone`` drops its fitted state, so pass a
        folder to search tools) with the same architecture settings. Its vocabulary
        is extended by the new training words (their rows start fresh), every parameter starts
        from its trained value (the read-out too when the classes are the same; otherwise a
        logistic-regression probe on the pretrained features sets it), and
        ``weight_decay`` pulls towards the pretrained values rather than zero, so words that the
        new data lacks keep their pretrained states. ``"sst2"``: the bundled model pretrained
        on SST-2 train (:func:`~qnlp.models.attention.pretrained.resolve_pretrained`).
    epochs, batch_size, learning_rate, weight_decay
        Adam training settings (``batch_size=None``: full batch).
    unk_rate : float
        Word dropout to the unknown-word row during training (``source="word"``).
    max_len : int or None
        Tokens kept per text.
    seed : int
        Seeds initialisation, shuffling and word dropout (one ``torch.Generator``).
    n_threads : int or None
        torch threads during fit/predict (restored afterwards); ``None`` leaves torch's setting.
    verbose : bool

    Attributes
    ----------
    classes_, vocab_, model_, history_, n_iter_, n_parameters_, fit_seconds_
    discocat_ : QuantumTextClassifier
        With ``discocat_token`` or ``source="discocat"``.
    discocat_coverage_ : float
        ``source="discocat"``: share of training tokens whose state is a DisCoCat word box.
    """

    def __init__(self, *, head="gaussian", n_qubits=4, n_layers=2, n_heads=1, source="word",
                 embed_dim=64, init_scale=1.0, positional=False, sentence_token=False,
                 residual=False, embedding_cache=None, syntax=False, n_blocks=1, discocat_token=False,
                 discocat_folds=0, word_offsets=False, init_from=None, epochs=30, batch_size=32,
                 learning_rate=0.05, weight_decay=0.0,
                 unk_rate=0.1, max_len=256, seed=0, n_threads=1, verbose=False):
        self.head = head
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.source = source
        self.embed_dim = embed_dim
        self.init_scale = init_scale
        self.positional = positional
        self.sentence_token = sentence_token
        self.residual = residual
        self.embedding_cache = embedding_cache
        self.syntax = syntax
        self.n_blocks = n_blocks
        self.discocat_token = discocat_token
        self.discocat_folds = discocat_folds
        self.word_offsets = word_offsets
        self.init_from = init_from
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.unk_rate = unk_rate
        self.max_len = max_len
        self.seed = seed
        self.n_threads = n_threads
        self.verbose = verbose

    @property
    def _uses_embedding(self):
        return self.source in ("embedding", "minilm")

    def fit(self, X, y):
        """Train (first the DisCoCat model when ``discocat_token``); see the base class."""
        self._oof_discocat = None
        if self.discocat_token or self.source == "discocat":
            from qnlp.estimators.classifier import QuantumTextClassifier

            texts = check_texts(X)
            labels = [str(v) for v in np.asarray(y, dtype=object).ravel()]
            self.discocat_ = QuantumTextClassifier(seed=int(self.seed)).fit(texts, labels)
            if self.discocat_token and int(self.discocat_folds) >= 2:
                self._oof_discocat = self._out_of_fold(texts, labels)
        try:
            super().fit(X, y)
        finally:
            self._oof_discocat = None
        return self

    def _out_of_fold(self, texts, labels) -> np.ndarray | None:
        """DisCoCat class probabilities of each training text from a model not trained on it
        (``min(discocat_folds, smallest class size)`` folds; ``None`` when that is below 2)."""
        from sklearn.model_selection import StratifiedKFold

        from qnlp.estimators.classifier import QuantumTextClassifier

        classes = list(self.discocat_.classes_)
        texts_arr, labels_arr = np.asarray(texts, dtype=object), np.asarray(labels)
        n_splits = min(int(self.discocat_folds), int(np.unique(labels_arr, return_counts=True)[1].min()))
        if n_splits < 2:  # a class with one example: no held-out fold possible
            return None
        out = np.zeros((len(texts), len(classes)))
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=int(self.seed))
        for train, held in folds.split(texts_arr, labels_arr):
            part = QuantumTextClassifier(seed=int(self.seed)).fit(list(texts_arr[train]), list(labels_arr[train]))
            probs = part.predict_proba(list(texts_arr[held]))
            for j, c in enumerate(part.classes_):
                out[held, classes.index(c)] = probs[:, j]
        return out

    def _embed(self, texts, train: bool = False):
        emb = None
        if self.source == "minilm":
            from qnlp.models.attention.embeddings import shared_encoder

            emb = shared_encoder(self.embedding_cache).encode(texts)
        if emb is None and not self.syntax and not self.discocat_token and self.source != "discocat":
            return None
        distances = None
        if self.syntax:
            from qnlp.models.attention.syntax import SyntaxDistances

            distances = SyntaxDistances(texts, self.max_len)
        discocat = None
        if self.discocat_token and self.source != "discocat":  # (discocat source: computed live)
            # columns in this estimator's class order
            oof = getattr(self, "_oof_discocat", None)
            probs = oof if train and oof is not None else self.discocat_.predict_proba(texts)
            order = [list(self.discocat_.classes_).index(c) for c in self.classes_]
            discocat = torch.as_tensor(probs[:, order], dtype=torch.float32)
        boxes = None
        if self.source == "discocat":
            boxes = self._word_boxes(texts)
            if train:
                self.discocat_coverage_ = boxes.coverage
        return _ExtraInputs(emb, distances, discocat, boxes)

    def _word_boxes(self, texts):
        """``source="discocat"``: each token's word box in its text's DisCoCat circuit."""
        from qnlp.models.attention.discocat_tokens import DisCoCatTokenInputs

        circuits = self.discocat_.circuits(texts, on_error="none")
        parsed = [c for c in circuits if c is not None]
        compiled = self.discocat_.model_.compile(parsed)
        words, index, k = [], [], 0
        for c in circuits:
            words.append(compiled.circuit_words[k] if c is not None else [])
            index.append(k if c is not None else -1)
            k += c is not None
        tokens = [t[:self.max_len] for t in self._tokens(texts)]
        return DisCoCatTokenInputs(compiled, words, tokens, int(self.n_qubits), index)

    def _save_parts(self, folder: Path) -> None:
        if self.discocat_token or self.source == "discocat":
            self.discocat_.save(folder / "discocat")

    def _load_parts(self, folder: Path) -> None:
        if self.discocat_token or self.source == "discocat":
            from qnlp.estimators.classifier import QuantumTextClassifier

            self.discocat_ = QuantumTextClassifier.load(folder / "discocat")

    def _build(self, vocab, n_classes, generator, like=None):
        from qnlp.models.attention.model import QuantumAttentionModel

        return QuantumAttentionModel(vocab, n_classes, n_qubits=self.n_qubits, n_layers=int(self.n_layers),
                                     n_heads=int(self.n_heads), head=self.head, source=self.source,
                                     embed_dim=int(self.embed_dim), init_scale=float(self.init_scale),
                                     positional=bool(self.positional),
                                     sentence_token=bool(self.sentence_token),
                                     residual=bool(self.residual), syntax=bool(self.syntax),
                                     n_blocks=int(self.n_blocks),
                                     discocat_token=bool(self.discocat_token),
                                     word_offsets=bool(self.word_offsets),
                                     discocat_weights=(self.discocat_.model_.weights
                                                       if self.source == "discocat" else None),
                                     generator=generator)

    def circuit_depth(self) -> dict:
        """Depths of the token-state and head circuits (RY, RZ and CNOT each one step)."""
        check_is_fitted(self, "model_")
        return self.model_.circuit_depth()

    # -- inference through pytket (qnlp.models.attention.shots) ------------------------------
    def predict_proba(self, X, backend=None, shots=None, seed=None) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order.

        Parameters
        ----------
        X : sequence of str
        backend : str, TketBackend, pytket Backend or None
            ``None``: the exact torch engine (training's forward). Otherwise every query, key,
            value and overlap is estimated from circuits on this backend (``"aer"``,
            ``"aer-noisy:fake_brisbane"``, ``"aer-state"``, a pytket ``Backend``); see
            :mod:`qnlp.models.attention.shots`.
        shots : int or None
            Shots per circuit; required unless the backend returns states.
        seed : int or None
            Seeds every circuit from its content, so results do not depend on batching.
        """
        if backend is None:
            if shots is not None or seed is not None:
                raise ConfigError(f"shots={shots!r}/seed={seed!r} need a shot backend, e.g. "
                                  "backend='aer'; backend=None is the exact engine")
            return super().predict_proba(X)
        return self.predict_proba_report(X, backend=backend, shots=shots, seed=seed)[0]

    def predict(self, X, backend=None, shots=None, seed=None) -> np.ndarray:
        """Predicted labels; ``backend``, ``shots``, ``seed`` as in :meth:`predict_proba`."""
        check_is_fitted(self, "model_")
        return self.classes_[self.predict_proba(X, backend, shots, seed).argmax(1)]

    def predict_proba_report(self, X, *, backend, shots=None, seed=None, fidelity_method="inverse"):
        """:meth:`predict_proba` on a backend, with a :class:`~qnlp.models.attention.shots.ShotReport`."""
        from qnlp.models.attention.shots import CircuitRunner, ShotReport, shot_predict_proba

        check_is_fitted(self, "model_")
        if self.source == "discocat":
            raise ConfigError("source='discocat' (token states from DisCoCat word boxes) runs on the "
                              "exact engine only (backend=None); shot inference is not implemented for it")
        texts = check_texts(X)
        tokens = self._tokens(texts)
        extras = self._embed(texts)
        runner = CircuitRunner(backend, shots=shots, seed=seed,
                               entangler=getattr(self.model_, "entangler", "cnot"))
        out, total = [], ShotReport(0, 0, 0, 0, 0.0)
        with _torch_threads(self.n_threads):
            for start in range(0, len(tokens), 256):
                ids, mask, words = self._inputs(tokens[start:start + 256])
                tok = sent = dist = disco = None
                if extras is not None:
                    tok, sent, dist, disco, _ = extras.batch(np.arange(start, start + len(ids)), ids.shape[1])
                probs, rep = shot_predict_proba(self.model_, ids, mask, words, runner=runner,
                                                fidelity_method=fidelity_method, distances=dist,
                                                discocat_probs=disco, token_embeddings=tok,
                                                sentence_embeddings=sent)
                out.append(probs)
                total = ShotReport(total.n_sentences + rep.n_sentences, total.n_circuits + rep.n_circuits,
                                   runner.n_submitted, len(runner._compiled), total.seconds + rep.seconds)
        if not out:
            return np.zeros((0, len(self.classes_))), total
        return np.concatenate(out), total


class ClassicalAttentionClassifier(_AttentionClassifierBase):
    """Classical softmax self-attention baseline, sized to match a quantum configuration.

    Parameters
    ----------
    n_qubits, n_layers, n_heads : int
        The quantum configuration to match (see
        :func:`qnlp.models.attention.baselines.matched_dims`).
    init_from, epochs, batch_size, learning_rate, weight_decay, unk_rate, max_len, seed, n_threads, verbose
        As in :class:`QuantumAttentionClassifier` (``init_from`` names a saved
        :class:`ClassicalAttentionClassifier`; its widths are kept).
    """

    def __init__(self, *, n_qubits=4, n_layers=2, n_heads=1, init_from=None, epochs=30,
                 batch_size=32, learning_rate=0.01, weight_decay=0.0, unk_rate=0.1, max_len=256,
                 seed=0, n_threads=1, verbose=False):
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.init_from = init_from
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.unk_rate = unk_rate
        self.max_len = max_len
        self.seed = seed
        self.n_threads = n_threads
        self.verbose = verbose

    def _build(self, vocab, n_classes, generator, like=None):
        from qnlp.models.attention.baselines import ClassicalAttentionModel, matched_dims

        if like is not None:  # fine-tuning: the pretrained model's widths
            e, f = like.embed.shape[1], like.head_dim
        else:
            e, f = matched_dims(int(self.n_qubits), int(self.n_layers), int(self.n_heads), len(vocab))
        return ClassicalAttentionModel(vocab, n_classes, embed_dim=e, head_dim=f,
                                       n_heads=int(self.n_heads), generator=generator)
