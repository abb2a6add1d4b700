"""The shared base of the attention estimators: vocabulary, batches, training loop, early
stopping, fine-tuning (``init_from``), warm start, prediction on any evaluator, explanations and
model folders (:mod:`qnlp.estimators.attention` holds the concrete classes)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from qnlp.errors import ConfigError, ModelFileError, ParseError
from qnlp.estimators.base import TextClassifier, classes_from_json
from qnlp.models.attention.pretrained import resolve_pretrained
from qnlp.text import check_texts, tokenize
from qnlp.utils import torch_threads

#: 2: token-source parameters under ``token_source.``, labels kept as given, ``random_state``
FORMAT_VERSION = 2
#: parameters that are not saved (not JSON, or machine-local)
_UNSAVED = ("callbacks",)




class _AttentionClassifier(TextClassifier):
    """Shared fit/predict/save logic; subclasses implement ``_build(vocab, n_classes, generator,
    like=None)`` (``like``: the pretrained model being fine-tuned, see ``init_from``)."""

    _open_vocabulary = False  # unseen words get rows of their own (hashed / contextual sources)

    # -- inputs ------------------------------------------------------------------------------
    def _tokens(self, texts) -> list[list[str]]:
        return [tokenize(t)[:self.max_len] for t in texts]

    def _encoded(self, token_lists):
        """Padded ids, mask and vocabulary words under the fitted vocabulary."""
        vocab = self.vocab_
        if self._open_vocabulary:
            new = sorted({t for toks in token_lists for t in toks} - set(vocab.index))
            if new:
                vocab = type(vocab)(vocab.words + new)
        ids, mask = vocab.encode(token_lists, self.max_len)
        return ids, mask, vocab.words

    def _text_inputs(self, texts, train: bool = False, evaluator=None):
        """:class:`~qnlp.models.attention.batch.TextInputs` of ``texts`` (``None``: ids only);
        ``evaluator``: the backend evaluator the batches will run on (``None``: exact)."""
        return None

    def _batches(self, texts, size: int = 256, evaluator=None):
        """:class:`~qnlp.models.attention.batch.TokenBatch` es of ``texts``, ``size`` at a time
        (inputs that need circuits of their own are computed on ``evaluator``'s backend)."""
        from qnlp.models.attention.batch import TokenBatch

        tokens = self._tokens(texts)
        extra = self._text_inputs(texts, evaluator=evaluator)
        for start in range(0, len(tokens), size):
            ids, mask, words = self._encoded(tokens[start:start + size])
            idx = np.arange(start, start + len(ids))
            yield TokenBatch(ids, mask, words) if extra is None else extra.batch(ids, mask, words, idx)

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, X, y):
        """Build the vocabulary and train.

        Parameters
        ----------
        X : sequence of str
        y : sequence of labels (any hashable kind; returned as given by ``predict``)
        """
        from qnlp.models.attention.batch import TokenBatch
        from qnlp.models.attention.model import Vocabulary, n_parameters, transfer_parameters
        from qnlp.training.loop import train_module

        warm = bool(self.warm_start) and hasattr(self, "model_")
        old_classes = getattr(self, "classes_", None)
        texts, targets = self._fit_labels(X, y)
        for name in ("epochs", "n_heads"):
            if int(getattr(self, name, 1)) < (0 if name == "epochs" else 1):
                raise ConfigError(f"{name} must be >= {0 if name == 'epochs' else 1}, got {getattr(self, name)!r}")
        if warm and list(old_classes) != list(self.classes_):
            raise ValueError(f"warm_start: the classes changed ({list(old_classes)} -> {list(self.classes_)})")
        gen = torch.Generator().manual_seed(int(self.random_state))
        self._before_fit(texts, self.classes_[targets])
        tokens = self._tokens(texts)
        centre, prior = None, None
        if warm:
            old = self.model_
            self.vocab_ = self.vocab_.extended(tokens)
            self.model_ = self._build(self.vocab_, len(self.classes_), gen, like=old)
            transfer_parameters(old, self.model_)
        else:
            prior = self._prior()
            self.vocab_ = Vocabulary.build(tokens) if prior is None else prior.vocab_.extended(tokens)
            self.model_ = self._build(self.vocab_, len(self.classes_), gen,
                                      like=None if prior is None else prior.model_)
            if prior is not None:
                same = list(prior.classes_) == list(self.classes_)
                centre = transfer_parameters(prior.model_, self.model_, copy_readout=same)
        ids, mask, words = self._encoded(tokens)
        extra = self._text_inputs(texts, train=True)
        fit_idx, held = self._validation_split(
            targets, int(torch.randint(0, 2 ** 31 - 1, (1,), generator=gen)) if self.early_stopping else 0)
        unk_rate = float(self.unk_rate)

        def batch(idx, train=False):
            b_ids, b_mask = ids[idx], mask[idx]
            if train and unk_rate > 0 and not self._open_vocabulary:
                drop = (torch.rand(b_ids.shape, generator=gen) < unk_rate) & b_mask
                b_ids = torch.where(drop, torch.ones_like(b_ids), b_ids)
            width = int(b_mask.sum(1).max())
            b_ids, b_mask = b_ids[:, :width], b_mask[:, :width]
            return TokenBatch(b_ids, b_mask, words) if extra is None else extra.batch(b_ids, b_mask, words, idx)

        def on_fit_set(idx, train=False):  # batches of the examples trained on
            return batch(fit_idx[idx], train)

        def held_out_accuracy():
            return float((self.model_(batch(held)).argmax(1).numpy() == targets[held]).mean())

        t0 = time.perf_counter()
        with torch_threads(self.n_threads):
            if prior is not None and not same:  # other classes: a linear probe sets the read-out
                _linear_probe(self.model_, on_fit_set, targets[fit_idx], centre, seed=int(self.random_state))
            history = train_module(
                self.model_, on_fit_set, targets[fit_idx], epochs=int(self.epochs), batch_size=self.batch_size,
                learning_rate=float(self.learning_rate), weight_decay=float(self.weight_decay), generator=gen,
                decay_centre=centre, callbacks=list(self.callbacks or ()),
                validation=None if held is None else held_out_accuracy,
                patience=int(self.n_iter_no_change) if held is not None else None, tol=float(self.tol),
                verbose=bool(self.verbose))
        self.history_ = (list(self.history_) if warm else []) + history
        self.loss_curve_ = [r.loss for r in self.history_]
        self.validation_scores_ = [r.validation_score for r in self.history_] if held is not None else None
        self.fit_seconds_ = time.perf_counter() - t0
        self.n_iter_ = len(history)
        self.n_parameters_ = n_parameters(self.model_)
        return self

    def _before_fit(self, texts, labels) -> None:
        """Work before the vocabulary is built (e.g. a DisCoCat model to take states from)."""

    def _prior(self):
        """The fitted model ``init_from`` names (``None``: train from scratch)."""
        source = getattr(self, "init_from", None)
        if source is None:
            return None
        if isinstance(source, _AttentionClassifier):
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

    # -- prediction --------------------------------------------------------------------------
    def _evaluator(self):
        """The evaluator of ``backend``/``shots`` (``None``: the exact engine)."""
        return None

    def _logits(self, X, evaluator=None) -> np.ndarray:
        check_is_fitted(self, "model_")
        texts = check_texts(X)
        out = []
        with torch.no_grad(), torch_threads(self.n_threads):
            for batch in self._batches(texts, evaluator=evaluator):
                out.append(self.model_(batch, evaluator=evaluator).double().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes_)))

    def decision_function(self, X) -> np.ndarray:
        """Logits ``(n_samples, n_classes)`` (the read-out before the softmax); for two classes
        the difference ``logit_1 - logit_0`` ``(n_samples,)``, as scikit-learn's classifiers."""
        logits = self._logits(X, self._evaluator())
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        logits = torch.as_tensor(self._logits(X, self._evaluator()))
        return torch.softmax(logits, -1).numpy()

    def explain(self, sentence: str):
        """Attention weights and prediction on one sentence
        (:class:`~qnlp.models.attention.explain.AttentionExplanation`).

        Raises
        ------
        ParseError
            The sentence is empty or has no tokens (the tokeniser keeps letters, digits, ``!``
            and ``?``).
        """
        from qnlp.models.attention.explain import DISCOCAT_TOKEN, SENTENCE_TOKEN, explanation

        check_is_fitted(self, "model_")
        if not isinstance(sentence, str) or not sentence.strip():
            raise ParseError("empty or whitespace-only sentence")
        tokens = self._tokens([sentence])[0]
        if not tokens:
            raise ParseError(f"no tokens in {sentence!r} (the attention tokeniser keeps letters, digits, '!' and '?')")
        batch = next(self._batches([sentence]))
        with torch.no_grad(), torch_threads(self.n_threads):
            logits, weights = self.model_(batch, return_weights=True)
        probs = torch.softmax(logits, -1)[0].double().numpy()
        unknown = [t not in self.vocab_.index for t in tokens]
        prefix = SENTENCE_TOKEN if getattr(self.model_, "sentence_token", False) else \
            DISCOCAT_TOKEN if getattr(self.model_, "discocat_token", False) else None
        return explanation(sentence, tokens, unknown, [w.double().numpy() for w in weights], probs,
                           self.classes_, prefix=prefix)

    # -- persistence -------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write ``config.json`` (parameters, classes, vocabulary) and ``weights.npz`` (no pickle)."""
        from qnlp import __version__
        from qnlp.models.folders import write_model_dir

        check_is_fitted(self, "model_")
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in _UNSAVED}
        start = params.get("init_from")
        if isinstance(start, _AttentionClassifier):  # not JSON: say what it was
            params["init_from"] = f"<fitted {type(start).__name__}>"
        elif isinstance(start, Path):
            params["init_from"] = str(start)
        if not isinstance(params.get("backend"), (str, type(None))):
            params["backend"] = None  # a backend object is not saved; the exact engine is the default
        config = {"format_version": FORMAT_VERSION, "qnlp_version": __version__,
                  "model_type": type(self).__name__, "params": params,
                  "classes": self.classes_.tolist(), "vocab": self.vocab_.words}
        arrays = {k: v.detach().numpy() for k, v in self.model_.state_dict().items()}
        return write_model_dir(path, config, arrays, self._save_parts)

    @classmethod
    def load(cls, path):
        """Load a folder written by :meth:`save` (format 1 folders too)."""
        from qnlp.models.attention.model import Vocabulary, upgrade_state
        from qnlp.models.folders import read_torch_model_dir

        path = Path(path)
        config, state = read_torch_model_dir(path, cls.__name__, (1, FORMAT_VERSION))
        state = upgrade_state(state)
        params = dict(config["params"])
        if "seed" in params:  # format 1
            params["random_state"] = params.pop("seed")
        valid = cls().get_params()
        clf = cls(**{k: v for k, v in params.items() if k in valid})
        clf.classes_ = classes_from_json(config["classes"])
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
        feats = torch.cat([model(batch_fn(idx), return_features=True)
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


