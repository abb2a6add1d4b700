"""One sentence that a lambeq rewrite rule cannot handle never ends a run.

lambeq 0.5.0's ``RemoveCupsRewriter`` raises ``ValueError: Diagram 0 (cod=n @ n.r @ n @ n.l) does
not compose with diagram 1 ...`` on the default parser's diagram of a yelp training sentence
(``qnlp train --dataset yelp --rewrite remove_cups`` aborted on it). :class:`DiagramRewriter` now
retries ``remove_cups`` on the diagram's normal form, and when a rule still raises keeps the
diagram as it was before that rule and records it (``last_fallbacks_``, circuit
``meta["rewrite_fallback"]``, ``QuantumTextClassifier.rewrite_fallback_count_``).
"""

import numpy as np
import pytest

from qnlp.circuits.rewrite import DiagramRewriter

#: yelp train sentence 332 (label 0): lambeq's RemoveCupsRewriter raises on its diagram (with the
#: English parser retrained for issue 13; sentence 63 was the one before).
BAD = "Gave up trying to eat any of the crust (teeth still sore)."
#: yelp train sentence 98 (label 1): rewrites cleanly.
GOOD = "Service was fine and the waitress was friendly."


@pytest.fixture(scope="module")
def yelp():
    from qnlp.datasets import load

    return load("yelp")


@pytest.fixture(scope="module")
def diagrams():
    from qnlp.parsing import make_parser

    bad, good = make_parser("default").parse([BAD, GOOD])
    return bad.diagram, good.diagram


def n_cups(diagram) -> int:
    return sum(type(b).__name__ == "Cup" for b in diagram.boxes)


def is_bad(diagram) -> bool:
    return any(getattr(b, "name", "") == "crust" for b in diagram.boxes)


@pytest.fixture
def break_rule(monkeypatch):
    """Make one lambeq step raise on the BAD diagram only (``Rewriter``, ``RemoveCupsRewriter``
    even on the normal form, or ``Diagram.normal_form``)."""
    import lambeq
    from lambeq.backend.grammar import Diagram

    def apply(which: str):
        if which == "normal_form":
            real = Diagram.normal_form

            def normal_form(self, *args, **kwargs):
                if is_bad(self):
                    raise RuntimeError("normal_form broke\non two lines")
                return real(self, *args, **kwargs)

            monkeypatch.setattr(Diagram, "normal_form", normal_form)
            return
        real_cls = getattr(lambeq, which)

        class Broken(real_cls):
            def __call__(self, target):
                if is_bad(target):
                    raise ValueError(f"{which} broke\non two lines")
                return super().__call__(target)

        monkeypatch.setattr(lambeq, which, Broken)

    return apply


def test_sentences_are_yelp_training_sentences(yelp):
    assert BAD in yelp.train.texts and GOOD in yelp.train.texts


def test_lambeq_remove_cups_raises_on_the_bad_diagram(diagrams):
    """The lambeq 0.5.0 bug this file guards against (if this starts failing, lambeq was fixed)."""
    from lambeq import RemoveCupsRewriter

    with pytest.raises(ValueError, match="does not compose"):
        RemoveCupsRewriter()(diagrams[0])
    RemoveCupsRewriter()(diagrams[0].normal_form())  # the retry goes through


def test_remove_cups_is_retried_on_the_normal_form(diagrams):
    from lambeq import RemoveCupsRewriter

    bad, good = diagrams
    rewriter = DiagramRewriter(["remove_cups"])
    out = rewriter([bad, good])
    assert rewriter.last_fallbacks_ == []
    assert [(i, rule) for i, rule, _ in rewriter.last_retries_] == [(0, "remove_cups")]
    assert rewriter.last_retries_[0][2].startswith("ValueError: Diagram 0 (cod=n @ n.r @ n @ n.l) does not compose")
    assert out[0].cod == bad.cod and n_cups(out[0]) < n_cups(bad)  # the cups really were removed
    assert out[1] == RemoveCupsRewriter()(good)  # sentences that rewrite cleanly are unchanged
    rewriter([good])
    assert rewriter.last_retries_ == [] and rewriter.last_fallbacks_ == []  # last call only


@pytest.mark.parametrize("which, rules, failed", [
    ("RemoveCupsRewriter", ["remove_cups"], "remove_cups"),
    ("Rewriter", ["determiner", "remove_cups"], "determiner"),
    ("normal_form", ["normal_form"], "normal_form"),
])
def test_a_rule_that_raises_keeps_the_diagram_and_counts_it(diagrams, break_rule, which, rules, failed):
    bad, good = diagrams
    expected_good = DiagramRewriter(rules)([good])[0]
    break_rule(which)
    rewriter = DiagramRewriter(rules)
    out = rewriter([bad, good])
    assert [(i, rule) for i, rule, _ in rewriter.last_fallbacks_] == [(0, failed)]
    error = rewriter.last_fallbacks_[0][2]
    assert "broke on two lines" in error and "\n" not in error
    if failed == rules[-1]:
        assert out[0] is bad  # kept as it was before the rule
    else:  # the next rule still ran on the diagram as it was before the broken one
        assert out[0] == DiagramRewriter(rules[1:])([bad])[0]
    assert out[1] == expected_good  # and the good sentence rewrites as before (count 0 for it)


def test_pipeline_records_rewrite_fallbacks_in_meta(break_rule):
    from qnlp.models.pipeline import SentencePipeline

    pipeline = SentencePipeline.build("default", rewrite=("remove_cups",))
    circuits = pipeline.circuits([GOOD, BAD])
    assert [c.meta["rewrite_fallback"] for c in circuits] == [None, None]  # repaired, not fallen back
    break_rule("RemoveCupsRewriter")
    circuits = pipeline.circuits(["", BAD, GOOD], on_error="none")
    assert circuits[0] is None
    assert [c.meta["rewrite_fallback"] for c in circuits[1:]] == ["remove_cups", None]
    assert [c.meta["fallback"] for c in circuits[1:]] == [False, False]


@pytest.mark.parametrize("broken", [False, True])
def test_classifier_trains_on_yelp_with_the_bad_sentence(yelp, break_rule, broken):
    from qnlp.estimators import QuantumTextClassifier

    texts, labels = list(yelp.train.texts), list(yelp.train.labels)
    pick = list(range(6)) + [texts.index(BAD), texts.index(GOOD)]
    X, y = [texts[i] for i in pick], [labels[i] for i in pick]
    if broken:
        break_rule("RemoveCupsRewriter")
    clf = QuantumTextClassifier(rewrite=("remove_cups",), epochs=2).fit(X, y)
    assert clf.rewrite_fallback_count_ == int(broken)
    assert clf.fallback_count_ == 0
    meta = [c.meta["rewrite_fallback"] for c in clf.circuits(X)]
    assert meta == [None] * 6 + (["remove_cups"] if broken else [None]) + [None]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.all(proba >= 0)
    assert np.allclose(proba.sum(axis=1), 1.0)
