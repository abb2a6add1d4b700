"""The DisCoCat sentence classifier: one parameter per circuit symbol, evaluated by a backend.

Unknown words
-------------
Every word parameter ``word__type_i`` has an unknown-word twin ``<unk>__type_i``. With
``unknown_words="learn"`` (the default) the twins are trained by word dropout (each word
occurrence is replaced by its twin with probability ``unk_rate`` during training) and used for
words never seen in training. A word whose *type* was never seen gets a neutral box (all phases
0). With ``unknown_words="raise"`` an unseen word raises :class:`~qnlp.errors.UnknownWordError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from qnlp.errors import ConfigError, ModelFileError, UnknownWordError

UNK = "<unk>"
ZERO = "<zero>"
FORMAT_VERSION = 1


def unk_twin(symbol: str) -> str | None:
    """The unknown-word twin of a word symbol (``man__n_0`` -> ``<unk>__n_0``), else ``None``."""
    word, sep, rest = symbol.rpartition("__")
    return f"{UNK}__{rest}" if sep and word and word != UNK else None


class DisCoCatModel:
    """Parameters of a DisCoCat classifier and the mapping from circuits to class probabilities.

    Build it in one step with :meth:`from_circuits`; evaluate with :meth:`forward` (torch,
    differentiable) or :meth:`predict_proba` (numpy). Both return 2-D arrays
    ``(n_sentences, n_classes)``.

    Parameters
    ----------
    symbols : list of str
        Parameter names; ``weights[i]`` is the value of ``symbols[i]`` (in turns).
    weights : numpy.ndarray
    classes : list of str
        Class labels; class ``k`` is measurement outcome ``k`` of the sentence qubits.
    backend : Backend
        Exact backend for training; any backend for prediction.
    unknown_words : {"learn", "raise"}
    """

    def __init__(self, symbols: Sequence[str], weights, classes: Sequence[str], backend=None,
                 unknown_words: str = "learn"):
        if unknown_words not in ("learn", "raise"):
            raise ConfigError(f"unknown_words must be 'learn' or 'raise', got {unknown_words!r}")
        self.symbols = list(symbols)
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.shape != (len(self.symbols),):
            raise ConfigError("weights and symbols differ in length")
        self.classes = [str(c) for c in classes]
        if len(self.classes) < 2:
            raise ConfigError(f"a classifier needs at least 2 classes, got {self.classes}")
        self.unknown_words = unknown_words
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self._backend = backend
        self._theta = None

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_circuits(cls, circuits: Sequence, classes: Sequence[str], *, backend=None, seed: int = 0,
                      unknown_words: str = "learn", min_count: int = 1, init: str = "uniform",
                      init_scale: float = 0.1) -> "DisCoCatModel":
        """Create a model with one parameter per symbol of ``circuits`` plus unknown-word twins.

        Parameters
        ----------
        min_count : int
            A word's parameters are created only if it occurs in at least this many training
            circuits; rarer words share their type's unknown-word parameters (``<unk>__type``).
            On real text most words occur once, and giving each its own parameters lets the
            model memorise sentences instead of learning word meanings.
        init : {"uniform", "normal"}
            ``"uniform"``: uniform in [0, 1) turns (lambeq's choice); ``"normal"``: centred
            on 0 (every gate near the identity) with standard deviation ``init_scale`` turns.
        """
        if init not in ("uniform", "normal"):
            raise ConfigError(f"init must be 'uniform' or 'normal', got {init!r}")
        counts: dict = {}
        for c in circuits:
            for s in c.symbols:
                counts[s] = counts.get(s, 0) + 1
        names = sorted(s for s, n in counts.items() if n >= min_count or unk_twin(s) is None)
        twins = sorted({t for s in counts if (t := unk_twin(s))} - set(names))
        symbols = names + twins + [ZERO]
        rng = np.random.default_rng(seed)
        if init == "uniform":
            weights = rng.uniform(0.0, 1.0, size=len(symbols))
        else:
            weights = rng.normal(0.0, init_scale, size=len(symbols))
        weights[-1] = 0.0
        return cls(symbols, weights, classes, backend, unknown_words)

    def start_from(self, symbols: Sequence[str], weights) -> int:
        """Initialise from a pretrained model's parameters: each symbol it has takes its value;
        a word symbol it lacks takes the value of its unknown-word twin there (a neutral,
        trained start instead of a random one); its symbols that this model lacks are added
        (words met only in pretraining keep their meaning at prediction time). Returns the
        number of this model's symbols found there."""
        symbols = [str(s) for s in symbols]
        index = {s: i for i, s in enumerate(symbols)}
        weights = np.asarray(weights, dtype=np.float64)
        extra = [s for s in symbols if s not in self.index and s != ZERO]
        if extra:
            self.symbols = self.symbols[:-1] + extra + [ZERO]
            self.weights = np.concatenate([self.weights[:-1], np.zeros(len(extra)), [0.0]])
            self.index = {s: i for i, s in enumerate(self.symbols)}
        found = -len(extra)
        for i, s in enumerate(self.symbols[:-1]):
            if s in index:
                self.weights[i] = weights[index[s]]
                found += 1
            elif (twin := unk_twin(s)) in index:
                self.weights[i] = weights[index[twin]]
        self._theta = None
        return found

    @property
    def backend(self):
        if self._backend is None:
            from qnlp.backends.exact import ExactBackend

            self._backend = ExactBackend()
        return self._backend

    @backend.setter
    def backend(self, value):
        self._backend = value

    @property
    def n_parameters(self) -> int:
        """Trainable parameters (the fixed neutral parameter excluded)."""
        return len(self.symbols) - 1

    # -- symbol lookup -----------------------------------------------------------------------
    def lookup(self, symbol: str) -> int:
        """Index of ``symbol``, applying the unknown-word policy."""
        i = self.index.get(symbol)
        if i is not None:
            return i
        twin = unk_twin(symbol)
        if self.unknown_words == "raise":
            word = symbol.rpartition("__")[0] or symbol
            raise UnknownWordError(f"word {word!r} was not seen in training (unknown_words='raise')")
        if twin is not None and twin in self.index:
            return self.index[twin]
        return self.index[ZERO]

    def twin_lookup(self, symbol: str) -> int:
        """Index of the unknown-word twin of ``symbol`` (itself for structural symbols)."""
        twin = unk_twin(symbol)
        return self.index[twin] if twin in self.index else self.lookup(symbol)

    def unknown_words_in(self, circuit) -> list[str]:
        """Words of ``circuit`` without trained parameters."""
        return sorted({s.rpartition("__")[0] for s in circuit.symbols if s not in self.index})

    # -- evaluation --------------------------------------------------------------------------
    def theta(self):
        """The weights as a torch leaf tensor (shared by training and evaluation)."""
        import torch

        if self._theta is None:
            self._theta = torch.tensor(self.weights, dtype=self.backend.float_dtype,
                                       device=self.backend.device, requires_grad=True)
        return self._theta

    def sync_weights(self) -> None:
        """Copy trained torch values back into :attr:`weights`."""
        if self._theta is not None:
            self.weights = self._theta.detach().cpu().numpy().astype(np.float64)

    def compile(self, circuits: Sequence, *, train: bool = False):
        """Compile ``circuits`` on the exact backend (with unknown-word twins when ``train``)."""
        return self.backend.compile(circuits, self.lookup, self.twin_lookup if train else None)

    def class_probabilities(self, outcome_probs):
        """Map outcome probabilities ``(n, 2**q)`` to class probabilities ``(n, n_classes)``."""
        k = len(self.classes)
        if outcome_probs.shape[1] < k:
            raise ConfigError(f"{k} classes need at least {int(np.ceil(np.log2(k)))} sentence qubits; "
                              f"the circuits have {outcome_probs.shape[1]} outcomes (raise ob_map['s'])")
        probs = outcome_probs[:, :k]
        return probs / probs.sum(1, keepdims=True).clip(1e-30) if isinstance(probs, np.ndarray) \
            else probs / probs.sum(1, keepdim=True).clamp_min(1e-30)

    def forward(self, compiled, *, twin_rate: float = 0.0, generator=None):
        """Class probabilities of a compiled batch as a differentiable torch tensor."""
        return self.class_probabilities(compiled.probabilities(self.theta(), twin_rate, generator))

    def predict_proba(self, circuits: Sequence, *, config=None) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` for circuits, on the model's backend."""
        import torch

        if not circuits:
            return np.zeros((0, len(self.classes)))
        if self.backend.differentiable and config is None:
            with torch.no_grad():
                self._theta = None
                probs = self.forward(self.compile(circuits))
            return probs.cpu().numpy()
        from qnlp.backends.base import RunConfig

        params = {}
        for c in circuits:
            for s in c.symbols:
                params[s] = float(self.weights[self.lookup(s)])
        outcome = self.backend.run(circuits, params, config or RunConfig())
        flat = np.stack([np.asarray(p).reshape(-1) for p in outcome])
        return self.class_probabilities(flat)

    def predict(self, circuits: Sequence) -> list[str]:
        """Most probable class of each circuit."""
        probs = self.predict_proba(circuits)
        return [self.classes[i] for i in probs.argmax(1)]

    # -- persistence -------------------------------------------------------------------------
    def state(self) -> dict:
        return {"symbols": self.symbols, "classes": self.classes, "unknown_words": self.unknown_words}

    @classmethod
    def from_state(cls, state: dict, weights, backend=None) -> "DisCoCatModel":
        return cls(state["symbols"], weights, state["classes"], backend, state.get("unknown_words", "learn"))


def save_model_dir(path: str | os.PathLike, config: dict, weights: np.ndarray) -> Path:
    """Write ``config.json`` and ``weights.npz`` atomically: a complete folder or none.

    An existing model folder at ``path`` is replaced only after the new one is fully written.
    """
    from qnlp.models.folders import write_model_dir

    return write_model_dir(path, config, {"weights": np.asarray(weights, dtype=np.float64)})


def load_model_dir(path: str | os.PathLike) -> tuple[dict, np.ndarray]:
    """Read a model folder; raise :class:`ModelFileError` naming what is missing or corrupt."""
    from qnlp.models.folders import read_model_config

    path = Path(path)
    config = read_model_config(path)
    cfg_path, w_path = path / "config.json", path / "weights.npz"
    if not w_path.is_file():
        raise ModelFileError(f"{path} is not a qnlp model: {w_path.name} is missing")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{cfg_path}: unsupported or missing format_version "
                             f"(expected {FORMAT_VERSION})")
    try:
        with np.load(w_path, allow_pickle=False) as data:
            weights = np.asarray(data["weights"], dtype=np.float64)
    except Exception as exc:
        raise ModelFileError(f"{w_path} is corrupt: {exc}") from None
    n = len(config.get("model", {}).get("symbols", []))
    if weights.shape != (n,):
        raise ModelFileError(f"{w_path}: {weights.shape[0] if weights.ndim else 0} weights for {n} symbols")
    if not np.all(np.isfinite(weights)):
        raise ModelFileError(f"{w_path}: weights contain NaN or infinity")
    return config, weights


#: Bundled pretrained DisCoCat models (``init_from`` names) -> folder inside the package.
PRETRAINED = {"sst2": Path(__file__).with_name("pretrained_discocat") / "sst2-spiders"}


def load_pretrained(name_or_path: str | os.PathLike) -> dict:
    """A pretrained DisCoCat model's pipeline config, classes, symbols and weights.

    ``name_or_path`` is a name of :data:`PRETRAINED` or a DisCoCat model folder.
    """
    path = PRETRAINED.get(str(name_or_path), Path(name_or_path))
    if not Path(path).is_dir():
        raise ConfigError(f"init_from: {str(name_or_path)!r} is neither a bundled pretrained model "
                          f"({', '.join(PRETRAINED)}) nor a model folder")
    config, weights = load_model_dir(path)
    if config.get("model_type", "discocat") != "discocat":
        raise ConfigError(f"init_from: {path} holds a {config.get('model_type')} model, not a DisCoCat model")
    return {"pipeline": config["pipeline"], "classes": config.get("classes", config["model"]["classes"]),
            "symbols": config["model"]["symbols"], "weights": weights}
