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
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from qnlp.errors import ConfigError, ParseError


def check_texts(X) -> list[str]:
    """Validate raw text input: a sequence of str (a bare str is rejected, as in sklearn's
    text vectorizers)."""
    if isinstance(X, str):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    try:
        texts = list(X)
    except TypeError:
        raise ValueError(f"expected a sequence of str, got {type(X).__name__}") from None
    if hasattr(X, "ndim") and getattr(X, "ndim", 1) != 1:
        texts = [t[0] if isinstance(t, (list, tuple, np.ndarray)) and len(t) == 1 else t for t in texts]
    bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
    if bad:
        raise ValueError(f"expected str documents, found {bad[0]}")
    return texts


class QuantumTextClassifier(ClassifierMixin, BaseEstimator):
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
        Shots per circuit when ``backend`` is shot-based (training then uses SPSA).
    seed : int
        Seeds initialisation, batching and dropout.
    verbose : bool
        Show a parsing progress bar on standard error.

    Attributes
    ----------
    classes_ : numpy.ndarray
    pipeline_ : SentencePipeline
    parser_, ansatz_, backend_ : the resolved components
    model_ : DisCoCatModel
    history_ : History
    n_iter_ : int
    """

    def __init__(self, *, parser="default", rewrite=(), ansatz="iqp", ob_map=None, n_layers=1,
                 backend="exact", epochs=120, batch_size=None, learning_rate=0.2, optimizer="adam",
                 unk_rate=0.05, unknown_words="learn", shots=None, seed=0, verbose=False):
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
        self.seed = seed
        self.verbose = verbose

    # -- fitting ----------------------------------------------------------------------------
    def _resolve(self, n_classes: int):
        from qnlp.backends import make_backend
        from qnlp.models.pipeline import SentencePipeline

        ob_map = dict(self.ob_map or {"n": 1, "s": 1})
        need = max(1, int(np.ceil(np.log2(n_classes))))
        ob_map["s"] = max(ob_map.get("s", 1), need)
        self.pipeline_ = SentencePipeline.build(self.parser, self.rewrite, self.ansatz, ob_map, self.n_layers)
        self.parser_, self.ansatz_ = self.pipeline_.parser, self.pipeline_.ansatz
        self.backend_ = make_backend(self.backend) if isinstance(self.backend, str) else self.backend

    def fit(self, X, y, *, X_val=None, y_val=None, callbacks=()):
        """Parse, build circuits and train.

        Parameters
        ----------
        X : sequence of str
        y : sequence of labels
        X_val, y_val : optional validation data, evaluated every epoch
        callbacks : callables receiving each :class:`~qnlp.training.trainer.EpochLog`
        """
        from qnlp.models.discocat import DisCoCatModel
        from qnlp.training.trainer import Trainer

        texts = check_texts(X)
        labels = np.asarray([str(v) for v in np.asarray(y, dtype=object).ravel()])
        if len(texts) != len(labels):
            raise ValueError(f"X has {len(texts)} texts but y has {len(labels)} labels")
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes, got {list(self.classes_)}")
        self._resolve(len(self.classes_))
        t0 = time.perf_counter()
        circuits = self.pipeline_.circuits(texts, progress=bool(self.verbose))
        self.parse_seconds_ = time.perf_counter() - t0
        targets = np.searchsorted(self.classes_, labels)
        self.model_ = DisCoCatModel.from_circuits(circuits, list(self.classes_), backend=self.backend_,
                                                  seed=self.seed, unknown_words=self.unknown_words)
        val_c, val_t = (), ()
        if X_val is not None and y_val is not None:
            val_c = self.pipeline_.circuits(check_texts(X_val))
            val_t = self._encode(y_val)
        from qnlp.backends.base import RunConfig

        optimizer = self.optimizer if self.backend_.differentiable else "spsa"
        trainer = Trainer(epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                          optimizer=optimizer, unk_rate=self.unk_rate, seed=self.seed,
                          callbacks=callbacks, run_config=RunConfig(shots=self.shots, seed=self.seed))
        self.history_ = trainer.fit(self.model_, circuits, targets, val_circuits=val_c, val_targets=val_t)
        self.n_iter_ = self.epochs
        self.n_qubits_max_ = max(c.n_qubits for c in circuits)
        self.fallback_count_ = sum(bool(c.meta.get("fallback")) for c in circuits)
        return self

    def _encode(self, y) -> np.ndarray:
        labels = np.asarray([str(v) for v in np.asarray(y, dtype=object).ravel()])
        unknown = sorted(set(labels) - set(self.classes_))
        if unknown:
            raise ValueError(f"labels {unknown} were not seen in training; classes: {list(self.classes_)}")
        return np.searchsorted(self.classes_, labels)

    # -- prediction -------------------------------------------------------------------------
    def circuits(self, X, on_error: str = "raise"):
        """Circuits of ``X`` under the fitted pipeline."""
        check_is_fitted(self, "model_")
        return self.pipeline_.circuits(check_texts(X), on_error=on_error)

    def predict_proba(self, X, *, config=None) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        from qnlp.backends.base import RunConfig

        check_is_fitted(self, "model_")
        circuits = self.circuits(X)
        if config is None and not self.backend_.differentiable:
            config = RunConfig(shots=self.shots, seed=self.seed)
        return self.model_.predict_proba(circuits, config=config)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

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
            params["rewrite"] = tuple(params.get("rewrite", ()))
            clf = cls(**params)
            clf.pipeline_ = SentencePipeline.from_config(config["pipeline"])
            clf.parser_, clf.ansatz_ = clf.pipeline_.parser, clf.pipeline_.ansatz
            backend = backend or config.get("backend", "exact")
            clf.backend_ = make_backend(backend) if isinstance(backend, str) else backend
            clf.model_ = DisCoCatModel.from_state(config["model"], weights, clf.backend_)
            clf.classes_ = np.asarray(clf.model_.classes)
            clf.n_qubits_max_ = config.get("n_qubits_max", 0)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, (ConfigError, ParseError)):
                raise
            raise ModelFileError(f"{path}/config.json is invalid: {exc!r}") from None
        return clf
