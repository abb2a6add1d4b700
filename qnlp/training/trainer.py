"""Training loop for circuit models: Adam on exact gradients, or SPSA.

The trainer's ``__init__`` stores arguments only. Randomness (mini-batch order, word dropout,
SPSA directions) comes from generators seeded by ``seed``; side effects (logs, progress) go
through callbacks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from qnlp.errors import ConfigError
from qnlp.training.loop import EarlyStopping, decay_towards_, run_epochs


@dataclass
class EpochLog:
    epoch: int
    loss: float
    train_accuracy: float
    val_accuracy: float | None = None
    seconds: float = 0.0


@dataclass
class History:
    epochs: list[EpochLog] = field(default_factory=list)
    train_seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"train_seconds": self.train_seconds,
                "epochs": [vars(e) for e in self.epochs]}


class Trainer:
    """Fit a :class:`~qnlp.models.discocat.DisCoCatModel` on compiled circuits.

    Parameters
    ----------
    epochs : int
    batch_size : int or None
        Sentences per step; ``None`` for full-batch steps (fastest on the exact backend).
    learning_rate : float
    optimizer : {"adam", "spsa"}
    unk_rate : float
        Word-dropout probability that trains the unknown-word parameters.
    seed : int
    eval_every : int
        Evaluate train/validation accuracy every this many epochs (0: only at the end).
    callbacks : sequence of callables
        Each is called with an :class:`EpochLog` after every evaluated epoch.
    run_config : RunConfig, optional
        Shots and seed when the model's backend is not differentiable (SPSA on its results).
    weight_decay : float
        L2 penalty on the parameters: towards ``anchor`` when given (fine-tuning a pretrained
        model stays near it), else towards 0 (every gate near the identity).
    anchor : array, optional
        Centre of the L2 penalty, one value per parameter.
    patience, tol : int, float
        With validation circuits and ``patience``: stop when the validation accuracy has not
        improved by ``tol`` for ``patience`` evaluations and keep the best parameters
        (:class:`~qnlp.training.loop.EarlyStopping`).
    """

    def __init__(self, *, epochs: int = 120, batch_size: int | None = None,
                 learning_rate: float = 0.2, optimizer: str = "adam", unk_rate: float = 0.05,
                 seed: int = 0, eval_every: int = 1, callbacks: Sequence[Callable] = (),
                 run_config=None, patience: int | None = None, tol: float = 1e-4,
                 weight_decay: float = 0.0, anchor=None):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.unk_rate = unk_rate
        self.seed = seed
        self.eval_every = eval_every
        self.callbacks = list(callbacks)
        self.run_config = run_config
        self.patience = patience
        self.tol = tol
        self.weight_decay = weight_decay
        self.anchor = anchor

    def _check(self):
        if self.epochs < 0:
            raise ConfigError(f"epochs must be >= 0, got {self.epochs}")
        if self.optimizer not in ("adam", "spsa"):
            raise ConfigError(f"optimizer must be 'adam' or 'spsa', got {self.optimizer!r}")
        if not 0 <= self.unk_rate < 1:
            raise ConfigError(f"unk_rate must be in [0, 1), got {self.unk_rate}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")

    def fit(self, model, circuits: Sequence, targets: Sequence[int], *,
            val_circuits: Sequence = (), val_targets: Sequence[int] = ()) -> History:
        """Train ``model`` in place on circuits with integer class ``targets``."""
        import torch

        from qnlp.training.losses import cross_entropy

        self._check()
        if not model.backend.differentiable:
            return self._fit_on_shots(model, circuits, targets, val_circuits, val_targets)
        history = History()
        y = torch.as_tensor(np.asarray(targets, dtype=np.int64), device=model.backend.device)
        batches = self._batches(model, circuits)
        if len(batches) == 1 and len(circuits) > 5000:  # big full batch: evaluate it as compiled (no 2nd copy)
            evaluation = [batches[0][0]] + ([model.compile(list(val_circuits))] if len(val_circuits) else [])
        else:  # train and validation circuits together: one forward pass per epoch
            evaluation = [model.compile(list(circuits) + list(val_circuits))]
        y_all = np.concatenate([np.asarray(targets, dtype=np.int64), np.asarray(val_targets, dtype=np.int64)])
        gen = torch.Generator(device=model.backend.device).manual_seed(self.seed)
        order_rng = np.random.default_rng(self.seed)
        theta = model.theta()
        anchored = self.anchor is not None and self.weight_decay > 0
        anchor = torch.as_tensor(np.asarray(self.anchor), dtype=theta.dtype, device=theta.device) if anchored else None
        opt = torch.optim.Adam([theta], lr=self.learning_rate,
                                                    weight_decay=0.0 if anchored else self.weight_decay) if self.optimizer == "adam" else None
        # cosine decay of the step size to a tenth over the run: stable final parameters
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(1, self.epochs * len(batches)), eta_min=self.learning_rate / 10) if opt else None
        if self.optimizer == "spsa":
            from qnlp.training.optimizers import SPSAOptimizer

            spsa = SPSAOptimizer(a=self.learning_rate, rng=np.random.default_rng(self.seed))

        def train_epoch(epoch):
            losses = []
            for b in order_rng.permutation(len(batches)):
                compiled, idx = batches[b]
                yb = y[idx]
                if opt is not None:
                    opt.zero_grad()
                    loss = cross_entropy(model.forward(compiled, twin_rate=self.unk_rate, generator=gen), yb)
                    loss.backward()
                    if anchored:
                        decay_towards_([(theta, anchor)], self.weight_decay)
                    opt.step()
                    schedule.step()
                    losses.append(loss.item())
                else:
                    with torch.no_grad():
                        def f(x, compiled=compiled, yb=yb):
                            theta.copy_(torch.as_tensor(x))
                            return float(cross_entropy(model.forward(compiled), yb))
                        x, value = spsa.step(theta.detach().cpu().numpy(), f)
                        theta.copy_(torch.as_tensor(x))
                        losses.append(value)
            return float(np.mean(losses))

        def evaluate(epoch, loss, seconds):
            if not self._evaluated(epoch):
                return None
            return self._evaluate(model, evaluation, y_all, len(circuits), epoch, loss, seconds)

        stopper = None
        if self.patience and len(val_circuits):
            def restore(state):
                with torch.no_grad():
                    theta.copy_(state)

            stopper = EarlyStopping(lambda: theta.detach().clone(), restore, patience=self.patience, tol=self.tol)
        start = time.perf_counter()
        history.epochs = run_epochs(self.epochs, train_epoch, evaluate, callbacks=self.callbacks,
                                    early_stopping=stopper, score=lambda log: log.val_accuracy)
        history.train_seconds = time.perf_counter() - start
        with torch.no_grad():
            theta[-1] = 0.0  # the neutral parameter stays at zero
        model.sync_weights()
        return history

    def _fit_on_shots(self, model, circuits, targets, val_circuits, val_targets) -> History:
        """SPSA on a backend without gradients (shots, noise, hardware): two runs per step."""
        from qnlp.backends.base import RunConfig
        from qnlp.training.optimizers import SPSAOptimizer

        config = self.run_config or RunConfig()
        y = np.asarray(targets, dtype=np.int64)
        spsa = SPSAOptimizer(a=self.learning_rate, rng=np.random.default_rng(self.seed))
        order_rng = np.random.default_rng(self.seed)
        n, size = len(circuits), self.batch_size or len(circuits)
        trainable = np.ones(len(model.weights), dtype=bool)
        trainable[-1] = False  # the neutral parameter stays at zero
        history = History()
        start = time.perf_counter()

        def loss_of(x, idx):
            model.weights = x
            p = model.predict_proba([circuits[i] for i in idx], config=config)
            return float(-np.log(np.clip(p[np.arange(len(idx)), y[idx]], 1e-9, None)).mean())

        def train_epoch(epoch):
            losses = []
            order = order_rng.permutation(n)
            for s in range(0, n, size):
                idx = order[s : s + size]
                x, value = spsa.step(model.weights.copy(), lambda v: loss_of(v, idx), mask=trainable)
                model.weights = x
                losses.append(value)
            return float(np.mean(losses))

        def evaluate(epoch, loss, seconds):
            if not self._evaluated(epoch):
                return None
            pred = model.predict_proba(list(circuits), config=config).argmax(1)
            val_acc = None
            if len(val_circuits):
                vp = model.predict_proba(list(val_circuits), config=config).argmax(1)
                val_acc = float((vp == np.asarray(val_targets)).mean())
            return EpochLog(epoch, loss, float((pred == y).mean()), val_acc, seconds)

        history.epochs = run_epochs(self.epochs, train_epoch, evaluate, callbacks=self.callbacks)
        history.train_seconds = time.perf_counter() - start
        return history

    def _evaluated(self, epoch: int) -> bool:
        """Whether ``epoch`` is evaluated (every ``eval_every`` epochs and the last one)."""
        return bool(self.eval_every) and (epoch % self.eval_every == 0 or epoch == self.epochs)

    def _batches(self, model, circuits):
        n = len(circuits)
        if self.batch_size is None or self.batch_size >= n:
            return [(model.compile(circuits, train=True), np.arange(n))]
        order = np.random.default_rng(self.seed).permutation(n)
        out = []
        for s in range(0, n, self.batch_size):
            idx = np.sort(order[s : s + self.batch_size])
            out.append((model.compile([circuits[i] for i in idx], train=True), idx))
        return out

    @staticmethod
    def _evaluate(model, evaluation, y_all, n_train, epoch, loss, seconds) -> EpochLog:
        import torch

        with torch.no_grad():
            pred = np.concatenate([model.forward(part).argmax(1).cpu().numpy() for part in evaluation])
        correct = pred == y_all
        train_acc = float(correct[:n_train].mean())
        val_acc = float(correct[n_train:].mean()) if len(correct) > n_train else None
        return EpochLog(epoch, loss, train_acc, val_acc, seconds)
