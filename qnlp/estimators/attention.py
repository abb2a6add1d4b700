"""scikit-learn estimators for self-attention sentence classification.

:class:`QuantumAttentionClassifier` is a QSANN-style quantum self-attention network
(see :mod:`qnlp.models.attention`), trained on the exact engine and run exactly or, with
``backend=``/``shots=``, through pytket; :class:`ClassicalAttentionClassifier` is the classical
self-attention baseline of matched size, with the same tokenisation and training.

>>> from qnlp.estimators.attention import QuantumAttentionClassifier
>>> clf = QuantumAttentionClassifier(head="fidelity", n_qubits=3)
>>> clf.get_params()["head"], clf.get_params()["n_qubits"]
('fidelity', 3)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from qnlp.errors import ConfigError
from qnlp.estimators.attention_base import FORMAT_VERSION, _AttentionClassifier  # noqa: F401

#: The training parameters both estimators share, documented once.
_TRAINING_PARAMETERS = """epochs, batch_size, learning_rate, weight_decay
        Adam training settings (``batch_size=None``: full batch).
    unk_rate : float
        Word dropout to the unknown-word row during training (per-word sources).
    max_len : int or None
        Tokens kept per text.
    random_state : int
        Seeds initialisation, shuffling, word dropout and the validation split (one
        ``torch.Generator``; sklearn's name for it).
    warm_start : bool
        A second ``fit`` continues from the fitted parameters (same classes and vocabulary
        extended by new words) instead of starting again.
    early_stopping : bool
        Hold out ``validation_fraction`` of the training data (stratified), score it after every
        epoch, stop after ``n_iter_no_change`` epochs without an improvement of ``tol`` and keep
        the best epoch's parameters (as ``MLPClassifier``).
    validation_fraction, n_iter_no_change, tol
        See ``early_stopping``.
    callbacks : sequence of callables or None
        Each is called with every epoch's :class:`~qnlp.training.loop.EpochRecord`.
    n_threads : int or None
        torch threads during fit/predict (restored afterwards); ``None`` leaves torch's setting.
    verbose : bool"""


def _documented(cls):
    """Fill the shared training-parameter section into ``cls``'s docstring."""
    cls.__doc__ = cls.__doc__ % {"training_parameters": _TRAINING_PARAMETERS}
    return cls


@_documented
class QuantumAttentionClassifier(_AttentionClassifier):
    """Quantum self-attention network (QSANN-style) on raw sentences.

    Each token becomes a state on ``n_qubits`` qubits; ``n_heads`` quantum attention heads
    mix the tokens; the mean of the token outputs goes through a linear layer. Training runs on
    the exact engine; prediction runs there too, or on ``backend`` with ``shots``.

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
        classifier (:class:`~qnlp.estimators.QuantumTextClassifier`, CLI defaults, same ``random_state``) is
        trained first; each token's state is then the state of its word's box in its sentence's
        DisCoCat circuit. The box parameters start as the DisCoCat model's and are trained
        further by the attention loss (a copy in ``model_``: ``discocat_``, saved in
        ``discocat/``, keeps the parses, the symbol table and its own classifier). Tokens
        without a box (no parse, or a box wider than ``n_qubits``) use trainable word rows;
        ``discocat_coverage_`` is the share with a box. On a shot backend each box state is
        prepared from its exact amplitudes (pytket ``StatePreparationBox``).
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
        defaults, same ``random_state``) on the same data first, and prepend each sentence's DisCoCat output
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
    backend : str, TketBackend, pytket Backend or None
        Where :meth:`predict`, :meth:`predict_proba` and :meth:`decision_function` evaluate the
        circuits: ``None`` or ``"exact"`` for the exact torch engine (training's forward), or a
        pytket backend (``"aer"``, ``"aer-state"``, ``"aer-noisy:fake_brisbane"``, hardware
        names), where every query, key, value and overlap is estimated from measured circuits
        (:mod:`qnlp.models.attention.evaluators`). Training is always exact.
    shots : int or None
        Shots per circuit on ``backend`` (required unless it returns states).
    fidelity_method : {"inverse", "swap"}
        Circuit of the fidelity head's overlaps on a backend.
    %(training_parameters)s

    Attributes
    ----------
    classes_, vocab_, model_, history_, loss_curve_, validation_scores_, n_iter_, n_parameters_, fit_seconds_
    discocat_ : QuantumTextClassifier
        With ``discocat_token`` or ``source="discocat"``.
    discocat_coverage_ : float
        ``source="discocat"``: share of training tokens whose state is a DisCoCat word box.
    last_shot_report_ : ShotReport
        What the last prediction on a backend ran (circuits, distinct circuits, seconds);
        ``None`` after an exact prediction.
    """

    def __init__(self, *, head="gaussian", n_qubits=4, n_layers=2, n_heads=1, source="word",
                 embed_dim=64, init_scale=1.0, positional=False, sentence_token=False,
                 residual=False, embedding_cache=None, syntax=False, n_blocks=1, discocat_token=False,
                 discocat_folds=0, word_offsets=False, init_from=None, learning_rate=0.05,
                 backend=None, shots=None, fidelity_method="inverse", epochs=30, batch_size=32,
                 weight_decay=0.0, unk_rate=0.1, max_len=256, random_state=0, warm_start=False,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5, tol=1e-4,
                 callbacks=None, n_threads=1, verbose=False):
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
        self.learning_rate = learning_rate
        self.backend = backend
        self.shots = shots
        self.fidelity_method = fidelity_method
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.unk_rate = unk_rate
        self.max_len = max_len
        self.random_state = random_state
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.n_threads = n_threads
        self.verbose = verbose

    @property
    def _open_vocabulary(self):
        return self.source in ("embedding", "minilm")

    # -- DisCoCat parts ----------------------------------------------------------------------
    def _before_fit(self, texts, labels) -> None:
        """Train the DisCoCat model first when a DisCoCat token or word-box states are asked for."""
        self._oof_discocat = None
        if not (self.discocat_token or self.source == "discocat"):
            return
        from qnlp.estimators.classifier import QuantumTextClassifier

        self.discocat_ = QuantumTextClassifier(random_state=int(self.random_state)).fit(texts, labels)
        if self.discocat_token and int(self.discocat_folds) >= 2:
            self._oof_discocat = self._out_of_fold(texts, labels)

    def fit(self, X, y):
        """Train (first the DisCoCat model when ``discocat_token`` or ``source="discocat"``);
        see :meth:`_AttentionClassifier.fit`."""
        try:
            return super().fit(X, y)
        finally:
            self._oof_discocat = None

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
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=int(self.random_state))
        for train, held in folds.split(texts_arr, labels_arr):
            part = QuantumTextClassifier(random_state=int(self.random_state)).fit(
                list(texts_arr[train]), labels_arr[train])
            probs = part.predict_proba(list(texts_arr[held]))
            for j, c in enumerate(part.classes_):
                out[held, classes.index(c)] = probs[:, j]
        return out

    def _text_inputs(self, texts, train: bool = False, evaluator=None):
        from qnlp.models.attention.batch import TextInputs

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
        if self.discocat_token and evaluator is not None:  # the sentence circuits on the backend too
            discocat = self._discocat_on_backend(texts, evaluator)
        elif self.discocat_token and self.source != "discocat":  # (discocat source: computed live)
            oof = getattr(self, "_oof_discocat", None)
            probs = oof if train and oof is not None else self.discocat_.predict_proba(texts)
            discocat = torch.as_tensor(probs[:, self._discocat_order()], dtype=torch.float32)
        boxes = None
        if self.source == "discocat":
            boxes = self._word_boxes(texts)
            if train:
                self.discocat_coverage_ = boxes.coverage
        return TextInputs(emb, distances, discocat, boxes)

    def _discocat_order(self) -> list[int]:
        """Columns of the DisCoCat model's probabilities in this estimator's class order."""
        return [list(self.discocat_.classes_).index(c) for c in self.classes_]

    def _discocat_on_backend(self, texts, evaluator) -> torch.Tensor:
        """The DisCoCat sentence token's class probabilities from the sentence circuits run on
        ``evaluator``'s backend (shots and seed included), with the parameters the token uses:
        the DisCoCat model's, or the shared, further-trained ones with ``source="discocat"``."""
        from qnlp.models.discocat import DisCoCatModel

        dm = self.discocat_.model_
        live = self.source == "discocat"
        weights = self.model_.discocat_theta.detach().numpy() if live else dm.weights
        model = DisCoCatModel(dm.symbols, weights, dm.classes, evaluator.backend, dm.unknown_words)
        circuits = self.discocat_.circuits(texts, on_error="none")
        parsed = [i for i, c in enumerate(circuits) if c is not None]
        probs = np.full((len(texts), len(dm.classes)), 1.0 / len(dm.classes))
        if parsed:
            probs[parsed] = model.predict_proba([circuits[i] for i in parsed], config=evaluator.config)
        probs = torch.as_tensor(probs[:, self._discocat_order()])
        if live:  # as sentence_probabilities on the exact engine
            probs = (probs / probs.sum(1, keepdim=True).clamp_min(1e-30)).clamp(1e-6, 1 - 1e-6)
        return probs

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
        return DisCoCatTokenInputs(compiled, words, self._tokens(texts), int(self.n_qubits), index)

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

    # -- running on a backend ----------------------------------------------------------------
    def _evaluator(self):
        from qnlp.models.attention.evaluators import BackendEvaluator

        if self.backend in (None, "exact"):
            if self.shots is not None:
                raise ConfigError(f"shots={self.shots!r} needs a shot backend, e.g. backend='aer'; "
                                  "backend=None is the exact engine")
            self.last_shot_report_ = None  # (no circuits run)
            return None
        evaluator = BackendEvaluator(self.backend, shots=self.shots, seed=self.random_state,
                                     fidelity_method=self.fidelity_method)
        self.last_shot_report_ = evaluator.report
        return evaluator

    def predict_proba_report(self, X):
        """:meth:`predict_proba` on ``backend`` with its
        :class:`~qnlp.models.attention.evaluators.ShotReport`."""
        probs = self.predict_proba(X)
        return probs, self.last_shot_report_


@_documented
class ClassicalAttentionClassifier(_AttentionClassifier):
    """Classical softmax self-attention baseline, sized to match a quantum configuration.

    Parameters
    ----------
    n_qubits, n_layers, n_heads : int
        The quantum configuration to match (see
        :func:`qnlp.models.attention.baselines.matched_dims`).
    init_from : path, fitted estimator or None
        As in :class:`QuantumAttentionClassifier` (a saved :class:`ClassicalAttentionClassifier`;
        its widths are kept).
    %(training_parameters)s
    """

    def __init__(self, *, n_qubits=4, n_layers=2, n_heads=1, init_from=None, learning_rate=0.01,
                 epochs=30, batch_size=32, weight_decay=0.0, unk_rate=0.1, max_len=256, random_state=0,
                 warm_start=False, early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 tol=1e-4, callbacks=None, n_threads=1, verbose=False):
        self.n_qubits = n_qubits
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.init_from = init_from
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.unk_rate = unk_rate
        self.max_len = max_len
        self.random_state = random_state
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.n_threads = n_threads
        self.verbose = verbose

    def _build(self, vocab, n_classes, generator, like=None):
        from qnlp.models.attention.baselines import ClassicalAttentionModel, matched_dims

        if like is not None:  # fine-tuning / warm start: the earlier model's widths
            e, f = like.embed.shape[1], like.head_dim
        else:
            e, f = matched_dims(int(self.n_qubits), int(self.n_layers), int(self.n_heads), len(vocab))
        return ClassicalAttentionModel(vocab, n_classes, embed_dim=e, head_dim=f,
                                       n_heads=int(self.n_heads), generator=generator)
