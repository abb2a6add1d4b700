"""The shared epoch loop: evaluation schedule, callbacks, early stopping and restoring the best."""

from qnlp.training.loop import EarlyStopping, run_epochs


def test_unevaluated_epochs_give_no_record_and_callbacks_see_the_others():
    seen = []
    history = run_epochs(5, lambda e: float(e), lambda e, loss, s: None if e % 2 else (e, loss),
                         callbacks=[seen.append])
    assert history == seen == [(2, 2.0), (4, 4.0)]


def test_early_stopping_stops_after_patience_and_restores_the_best_state():
    state = {"value": None}
    scores = {1: 0.5, 2: 0.7, 3: 0.69, 4: 0.7, 5: 0.9}
    stopper = EarlyStopping(lambda: state["value"], lambda v: state.update(value=("restored", v)),
                            patience=2, tol=0.01)

    def train_epoch(epoch):
        state["value"] = epoch
        return 0.0

    history = run_epochs(5, train_epoch, lambda e, loss, s: e, early_stopping=stopper,
                         score=lambda e: scores[e])
    assert history == [1, 2, 3, 4]  # 3 and 4 do not beat 0.7 by 0.01: stop after epoch 4
    assert state["value"] == ("restored", 2)
