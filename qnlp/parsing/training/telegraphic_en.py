"""Hand-written telegraphic English sentences (MC/RP shapes, none of their vocabulary) with
lambeq's reference types, to measure the English parser on present-tense verbs that look like
plural nouns ("nurse checks records") and on relative clauses.

Run ``python -m qnlp.parsing.training.telegraphic_en [--model-dir DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

N, ADJ, TV = "n", "n·n.l", "n.r·s·n.l"
SUBJ_REL, OBJ_REL = "n.r·n·s.l·n", "n.r·n·n.l.l·s.l"

#: ``[adj] noun verb [adj] noun .``; the verb is the second word after the subject's adjectives.
CLAUSES = [
    "nurse checks records .", "child plays games .", "young nurse checks patient records .",
    "old farmer feeds hungry animals .", "pilot flies planes .", "teacher grades papers .",
    "clever student reads books .", "baker sells fresh bread .", "mechanic fixes cars .",
    "careful driver signs forms .", "artist paints portraits .", "girl waters plants .",
    "boy kicks balls .", "gardener plants trees .", "farmer grows crops .",
    "tired doctor visits patients .", "clerk files reports .", "manager approves budgets .",
    "guard watches doors .", "editor prints articles .", "coach trains players .",
    "worker builds houses .", "engineer tests engines .", "writer drafts letters .",
    "singer records songs .", "student answers questions .", "lawyer reviews contracts .",
    "poet loves words .", "scientist studies samples .", "banker counts coins .",
    "waiter serves drinks .", "teacher marks exams .", "friendly neighbor waters flowers .",
    "brave firefighter saves lives .", "tailor sews shirts .", "captain orders supplies .",
    "chemist mixes liquids .", "reporter covers stories .", "miner digs tunnels .",
    "student shares notes .",
]
#: ``noun that verb [adj] noun`` (subject relative clauses).
SUBJECT_RELATIVES = [
    "nurse that checks records", "child that plays games", "farmer that feeds animals",
    "machine that prints labels", "tool that cuts metal", "student that answers questions",
    "company that builds bridges", "worker that paints walls", "robot that cleans floors",
    "clerk that files reports", "coach that trains athletes", "pump that moves water",
]
#: ``noun that noun verb`` (object relative clauses).
OBJECT_RELATIVES = [
    "records that nurse checks", "games that child plays", "bridges that company builds",
    "letters that writer drafts", "walls that worker paints", "songs that singer records",
    "questions that student answers", "reports that clerk files",
]

#: A second set, written after the first had been used to choose the training data and the
#: pregroup rule for verb-tagged subjects/objects, and scored once, to check that the gain holds
#: on sentences nothing was tuned on.
HELDOUT_CLAUSES = [
    "farmer sells eggs .", "nurse dresses wounds .", "pilot lands planes .",
    "student packs boxes .", "porter carries bags .", "doctor treats patients .",
    "sailor ties knots .", "diver finds shells .", "painter colors walls .",
    "tutor grades essays .", "cook boils potatoes .", "clerk stamps letters .",
    "worker loads trucks .", "boy throws stones .", "girl feeds ducks .",
    "scientist measures samples .", "judge signs orders .", "hunter tracks wolves .",
]
HELDOUT_SUBJECT_RELATIVES = [
    "farmer that sells eggs", "nurse that dresses wounds", "crane that lifts containers",
    "app that tracks orders", "boy that throws stones", "firm that designs chairs",
    "baker that bakes cakes",
]
HELDOUT_OBJECT_RELATIVES = [
    "eggs that farmer sells", "knots that sailor ties", "boxes that student packs",
    "walls that painter colors", "trucks that worker loads",
]
#: Group name -> sentences, for :func:`score`.
MAIN = {"clauses": CLAUSES, "subject_relatives": SUBJECT_RELATIVES,
        "object_relatives": OBJECT_RELATIVES}
HELDOUT = {"clauses": HELDOUT_CLAUSES, "subject_relatives": HELDOUT_SUBJECT_RELATIVES,
           "object_relatives": HELDOUT_OBJECT_RELATIVES}


def reference(sentence: str) -> list[str]:
    """lambeq's types of one of the sentences above (the final ``.`` is dropped)."""
    words = [w for w in sentence.split() if w != "."]
    if sentence in SUBJECT_RELATIVES + HELDOUT_SUBJECT_RELATIVES:
        return [N, SUBJ_REL, TV] + [ADJ] * (len(words) - 4) + [N]
    if sentence in OBJECT_RELATIVES + HELDOUT_OBJECT_RELATIVES:
        return [N, OBJ_REL, N, TV]
    # clauses: every sentence above has a one-word subject noun after its adjectives; the verb
    # is the first word ending in "s" after the subject (the nouns' shapes are chosen so)
    v = _verb_index(words)
    return [ADJ] * (v - 1) + [N, TV] + [ADJ] * (len(words) - v - 2) + [N]


_SUBJECT_ADJECTIVES = {"young", "old", "clever", "careful", "tired", "friendly", "brave"}


def _verb_index(words: list[str]) -> int:
    i = 0
    while words[i] in _SUBJECT_ADJECTIVES:
        i += 1
    return i + 1


def score(parser, groups: dict | None = None) -> dict:
    """Sentences whose types all equal lambeq's, per group (default :data:`MAIN`), and misses."""
    out: dict = {"misses": []}
    for name, group in (groups or MAIN).items():
        results = parser.parse(group)
        ok = 0
        for sentence, r in zip(group, results):
            if r.types == reference(sentence) and not r.fallback:
                ok += 1
            else:
                out["misses"].append((sentence, r.types))
        out[name] = (ok, len(group))
    total = sum(out[k][0] for k in ("clauses", "subject_relatives", "object_relatives"))
    n = sum(out[k][1] for k in ("clauses", "subject_relatives", "object_relatives"))
    out["total"] = (total, n)
    out["fraction"] = total / n
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the score of the shipped English parser (or ``--model-dir``)."""
    from qnlp.parsing.dependency import DependencyParser

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    parser = DependencyParser(model_dir=args.model_dir)
    for title, groups in (("main set", MAIN), ("held-out set", HELDOUT)):
        res = score(parser, groups)
        print(f"{title}: " + "  ".join(f"{k} {res[k][0]}/{res[k][1]}" for k in (*groups, "total"))
              + f"  exact lambeq types {100 * res['fraction']:.1f}%")
        for sentence, types in res["misses"]:
            print(f"  miss: {sentence}  {types}")


if __name__ == "__main__":
    main()
