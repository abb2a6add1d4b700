"""scikit-learn estimator for quantum text classification (DisCoCat circuits).

>>> from qnlp.estimators import QuantumTextClassifier
>>> clf = QuantumTextClassifier(epochs=5, parser="cups")
>>> clf.get_params()["epochs"]
5
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np
from sklearn.utils.validation import check_is_fitted

from qnlp.errors import ConfigError, ParseError
from qnlp.estimators.base import TextClassifier, classes_from_json
from qnlp.text import check_texts


class QuantumTextClassifier(TextClassifier):
    """DisCoCat quantum circuit classifier on raw sentences.

    Text is parsed into string diagrams, rewritten, mapped by an ansatz to parameterised
    circuits, and trained on a backend (exact and differentiable by default).

    Parameters
    ----------
    parser : str or Parser
        Registry name (``"default"``, ``"cups"``, ``"stairs"``, ...) or an instance.
    rewrite : tuple of str
        Rewrite rules (see :mod:`qnlp.circuits.rewrite`).
    ansatz : str or Ansatz
        Registry name (``"iqp"``, ``"sim14"``, ``"sim15"``, ``"strongly-entangling"``) or instance.
    ob_map : dict, optional
        Qubits per atomic type; default ``{"n": 1, "s": 1}`` (``s`` grows to fit the classes).
    n_layers : int
    backend : str or Backend
        ``"exact"`` or an instance.
    epochs, batch_size, learning_rate, optimizer, unk_rate
        Training settings (see :class:`~qnlp.training.trainer.Trainer`).
    unknown_words : {"learn", "raise"}
        Unknown-word policy (see :mod:`qnlp.models.discocat`).
    shots : int, optional
        Shots per circuit when ``backend`` is shot-based (training then uses SPSA); with
        ``set_params(backend="aer", shots=8192)`` a fitted model predicts through pytket.
    random_state : int
        Seeds initialisation, batching and dropout.
    warm_start : bool
        A second ``fit`` keeps the fitted pipeline and continues from the fitted parameters
        (words new to it start fresh; the classes must be the same).
    early_stopping : bool
        Hold out ``validation_fraction`` of the training data (stratified), score it after every
        epoch, stop after ``n_iter_no_change`` epochs without an improvement of ``tol`` in
        accuracy and keep the best epoch's parameters (as ``MLPClassifier``).
    validation_fraction, n_iter_no_change, tol
        See ``early_stopping``.
    callbacks : sequence of callables or None
        Each is called with every evaluated epoch's :class:`~qnlp.training.trainer.EpochLog`.
    min_count : int
        Words met in fewer training texts share their type's unknown-word parameters (see
        :meth:`~qnlp.models.discocat.DisCoCatModel.from_circuits`).
    init : {"uniform", "normal"}
        Parameter initialisation: uniform in [0, 1) turns, or normal around 0 (sd 0.1 turns).
    weight_decay : float
        L2 penalty: towards the pretrained values with ``init_from``, else towards 0.
    init_from : str or None
        ``"sst2"`` (the bundled DisCoCat model trained on all SST-2 phrases with the
        ``spiders.v2`` reader, see docs/benchmarks.md) or a DisCoCat model folder: words
        it knows start from its parameters, other words from its unknown-word parameters.
        Its parser, rewrite rules, ansatz and qubit map are used instead of this estimator's
        (they must agree for the parameters to mean anything), and its classes must be the
        classes of ``y``.
    verbose : bool
        Show a parsing progress bar on standard error.

    Attributes
    ----------
    classes_ : numpy.ndarray
    skipped_count_ : int
        Training texts that could not be parsed at all (empty, over the token limit): left out
        of training, with a warning.
    fallback_count_, rewrite_fallback_count_ : int
        Training texts parsed by the syntax-free fallback; diagrams a rewrite rule left as they were.
    pipeline_ : SentencePipeline
    parser_, ansatz_, backend_ : the resolved components
    model_ : DisCoCatModel
    history_ : History
    n_iter_ : int
    """

    def __init__(self, *, parser="default", rewrite=(), ansatz="iqp", ob_map=None, n_layers=1,
                 backend="exact", epochs=120, batch_size=None, learning_rate=0.2, optimizer="adam",
                 unk_rate=0.05, unknown_words="learn", shots=None, random_state=0, warm_start=False,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4,
                 callbacks=None, min_count=1, init="uniform", weight_decay=0.0, init_from=None,
                 verbose=False):
        self.parser = parser
        self.rewrite = rewrite
        self.ansatz = ansatz
        self.ob_map = ob_map
        self.n_layers = n_layers
        self.backend = backend
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.unk_rate = unk_rate
        self.unknown_words = unknown_words
        self.shots = shots
        self.random_state = random_state
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.min_count = min_count
        self.init = init
        self.weight_decay = weight_decay
        self.init_from = init_from
        self.verbose = verbose

    # -- fitting ----------------------------------------------------------------------------
    def _resolve(self, n_classes: int):
        from qnlp.backends import make_backend
        from qnlp.models.pipeline import SentencePipeline

        self.pretrained_ = None
        if self.init_from is not None:
            from qnlp.models.discocat import load_pretrained

            self.pretrained_ = load_pretrained(self.init_from)
            self.pipeline_ = SentencePipeline.from_config(self.pretrained_["pipeline"])
        else:
            ob_map = dict(self.ob_map or {"n": 1, "s": 1})
            need = max(1, int(np.ceil(np.log2(n_classes))))
            ob_map["s"] = max(ob_map.get("s", 1), need)
            self.pipeline_ = SentencePipeline.build(self.parser, self.rewrite, self.ansatz, ob_map, self.n_layers)
        self.parser_, self.ansatz_ = self.pipeline_.parser, self.pipeline_.ansatz
        self.backend_ = make_backend(self.backend) if isinstance(self.backend, str) else self.backend
        self._backend_param_ = self.backend

    def fit(self, X, y, *, X_val=None, y_val=None, callbacks=()):
        """Parse, build circuits and train.

        Parameters
        ----------
        X : sequence of str
        y : sequence of labels
        X_val, y_val : optional validation data, evaluated every epoch
        callbacks : callables receiving each :class:`~qnlp.training.trainer.EpochLog` (after the
        estimator's own ``callbacks``)
        """
        from qnlp.models.discocat import DisCoCatModel
        from qnlp.training.trainer import Trainer

        warm = bool(self.warm_start) and hasattr(self, "model_")
        old_classes = getattr(self, "classes_", None)
        texts, targets = self._fit_labels(X, y)
        if warm and list(old_classes) != list(self.classes_):
            raise ValueError(f"warm_start: the classes changed ({list(old_classes)} -> {list(self.classes_)})")
        if not warm:
            self._resolve(len(self.classes_))
        if self.early_stopping and X_val is not None:
            raise ValueError("give X_val/y_val or early_stopping=True, not both")
        t0 = time.perf_counter()
        everything = self._training_circuits(texts)
        self.parse_seconds_ = time.perf_counter() - t0
        parsed = np.flatnonzero([c is not None for c in everything])
        everything, targets = [everything[i] for i in parsed], targets[parsed]
        fit_idx, held = self._validation_split(targets, int(self.random_state))
        circuits = everything if held is None else [everything[i] for i in fit_idx]
        old = self.model_ if warm else None
        self.model_ = DisCoCatModel.from_circuits(circuits, list(self.classes_), backend=self.backend_,
                                                  seed=self.random_state, unknown_words=self.unknown_words,
                                                  min_count=int(self.min_count), init=self.init)
        if old is not None:  # continue from the fitted parameters of every symbol seen before
            for i, s in enumerate(self.model_.symbols):
                if s in old.index:
                    self.model_.weights[i] = old.weights[old.index[s]]
        elif self.pretrained_ is not None:
            pre = self.pretrained_
            if [str(c) for c in pre["classes"]] != [str(c) for c in self.classes_]:
                raise ConfigError(f"init_from: the pretrained model's classes {pre['classes']} are not "
                                  f"the classes of y {[str(c) for c in self.classes_]}")
            self.model_.start_from(pre["symbols"], pre["weights"])
        val_c, val_t = (), ()
        if held is not None:
            val_c, val_t = [everything[i] for i in held], targets[held]
        elif X_val is not None and y_val is not None:
            val_c = self.pipeline_.circuits(check_texts(X_val))
            val_t = self._encode(y_val)
        targets = targets[fit_idx]
        from qnlp.backends.base import RunConfig

        optimizer = self.optimizer if self.backend_.differentiable else "spsa"
        anchor = self.model_.weights.copy() if self.pretrained_ is not None and old is None else None
        trainer = Trainer(epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                          weight_decay=float(self.weight_decay), anchor=anchor,
                          optimizer=optimizer, unk_rate=self.unk_rate, seed=self.random_state,
                          callbacks=[*(self.callbacks or ()), *callbacks],
                          run_config=RunConfig(shots=self.shots, seed=self.random_state),
                          patience=int(self.n_iter_no_change) if held is not None else None, tol=float(self.tol))
        history = trainer.fit(self.model_, circuits, targets, val_circuits=val_c, val_targets=val_t)
        self.n_iter_ = history.epochs[-1].epoch if history.epochs else self.epochs
        if warm:
            history.epochs = self.history_.epochs + history.epochs
            history.train_seconds += self.history_.train_seconds
        self.history_ = history
        self.loss_curve_ = [e.loss for e in history.epochs]
        self.validation_scores_ = [e.val_accuracy for e in history.epochs] if len(val_c) else None
        self.n_qubits_max_ = max(c.n_qubits for c in everything)
        self.fallback_count_ = sum(bool(c.meta.get("fallback")) for c in everything)
        self.rewrite_fallback_count_ = sum(bool(c.meta.get("rewrite_fallback")) for c in everything)
        return self

    def _training_circuits(self, texts) -> list:
        """Circuits of the training texts; a text that cannot be parsed at all (empty, over the
        token limit) is ``None``: it is left out of training, counted in ``skipped_count_`` and
        reported by a warning, so one sentence never ends a fit."""
        import warnings

        circuits = self.pipeline_.circuits(texts, on_error="none", progress=bool(self.verbose))
        skipped = [i for i, c in enumerate(circuits) if c is None]
        self.skipped_count_ = len(skipped)
        if skipped and len(skipped) == len(texts):
            self.pipeline_.parse([texts[0]])  # nothing to train on: raise the first text's ParseError
        if skipped:
            try:
                self.pipeline_.parse([texts[skipped[0]]])
                reason = "could not be parsed"
            except ParseError as exc:
                reason = str(exc)
            warnings.warn(f"{len(skipped)} of {len(texts)} training texts could not be parsed and were left "
                          f"out (text {skipped[0]}: {reason})", UserWarning, stacklevel=3)
        return circuits

    # -- prediction -------------------------------------------------------------------------
    def circuits(self, X, on_error: str = "raise"):
        """Circuits of ``X`` under the fitted pipeline."""
        check_is_fitted(self, "model_")
        return self.pipeline_.circuits(check_texts(X), on_error=on_error)

    def predict_proba(self, X, *, config=None) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        from qnlp.backends.base import RunConfig

        check_is_fitted(self, "model_")
        self._sync_backend()
        circuits = self.circuits(X)
        if config is None and not self.backend_.differentiable:
            config = RunConfig(shots=self.shots, seed=self.random_state)
        return self.model_.predict_proba(circuits, config=config)

    def _sync_backend(self) -> None:
        """Follow ``set_params(backend=...)`` after fitting: predictions run where ``backend``
        says now (the trained weights are the same on every backend)."""
        from qnlp.backends import make_backend

        if self.backend is self._backend_param_ or self.backend == self._backend_param_:
            return
        self.backend_ = make_backend(self.backend) if isinstance(self.backend, str) else self.backend
        self._backend_param_ = self.backend
        self.model_.backend = self.backend_
        self.model_._theta = None

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> None:
        """Save to a model folder: ``config.json`` and ``weights.npz`` (no pickle), atomically."""
        from qnlp import __version__
        from qnlp.models.discocat import FORMAT_VERSION, save_model_dir

        check_is_fitted(self, "model_")
        config = {
            "format_version": FORMAT_VERSION,
            "qnlp_version": __version__,
            "model_type": "discocat",
            "pipeline": self.pipeline_.config(),
            "backend": self.backend if isinstance(self.backend, str) else getattr(self.backend_, "name", "exact"),
            "params": {k: v for k, v in self.get_params().items()
                       if isinstance(v, (str, int, float, bool, type(None), list, tuple, dict))},
            "model": self.model_.state(),
            "classes": self.classes_.tolist(),  # as given (the model keeps them as strings)
            "n_qubits_max": int(self.n_qubits_max_),
        }
        config["params"]["rewrite"] = list(config["params"].get("rewrite", ()))
        save_model_dir(path, config, self.model_.weights)

    @classmethod
    def load(cls, path, *, backend=None) -> "QuantumTextClassifier":
        """Load a model folder written by :meth:`save`."""
        from qnlp.errors import ModelFileError
        from qnlp.models.discocat import DisCoCatModel, load_model_dir
        from qnlp.backends import make_backend
        from qnlp.models.pipeline import SentencePipeline

        config, weights = load_model_dir(path)
        try:
            params = dict(config["params"])
            if "seed" in params:  # format 1
                params["random_state"] = params.pop("seed")
            params["rewrite"] = tuple(params.get("rewrite", ()))
            valid = cls().get_params()
            clf = cls(**{k: v for k, v in params.items() if k in valid})
            clf.pipeline_ = SentencePipeline.from_config(config["pipeline"])
            clf.parser_, clf.ansatz_ = clf.pipeline_.parser, clf.pipeline_.ansatz
            backend = backend or config.get("backend", "exact")
            clf.backend_ = make_backend(backend) if isinstance(backend, str) else backend
            clf.backend = clf._backend_param_ = backend
            clf.model_ = DisCoCatModel.from_state(config["model"], weights, clf.backend_)
            clf.classes_ = classes_from_json(config.get("classes", clf.model_.classes))
            clf.n_qubits_max_ = config.get("n_qubits_max", 0)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, (ConfigError, ParseError)):
                raise
            raise ModelFileError(f"{path}/config.json is invalid: {exc!r}") from None
        return clf
