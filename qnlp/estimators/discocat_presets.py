"""DisCoCat settings for real text, chosen on dev splits (never test); see docs/benchmarks.md,
section "DisCoCat on real text", for the runs behind each value.

On lambeq's toy sets (MC, RP) the dependency-parsed circuits learn; on real reviews (yelp,
imdb, SST-2) they memorise the training sentences and score at chance on held-out text. What
learns there is the ``spiders.v2`` reader (every word a one-qubit state, all merged by one
spider: a bag of words, normalised tokens), and for the small UCI sets a start from the bundled
SST-2 model with an L2 pull towards it.
"""

from __future__ import annotations

#: From scratch on real text (SST-2 dev 0.784 after 30 epochs over all 67k phrases).
REAL_TEXT = {"parser": "spiders.v2", "init": "normal", "epochs": 30, "learning_rate": 0.1, "unk_rate": 0.1}

#: Fine-tuning the bundled SST-2 model on a small sentiment set (yelp dev 0.80 vs 0.74 from scratch).
FINETUNE_SST2 = {"init_from": "sst2", "parser": "spiders.v2", "epochs": 30, "learning_rate": 0.003, "weight_decay": 0.1,
                 "unk_rate": 0.1}

#: Bundled dataset -> estimator settings that ``qnlp train`` applies when the user gives no
#: pipeline option (--parser, --ansatz, --rewrite, --layers, --qubits-n/-s).
DATASET_PRESETS = {"yelp": FINETUNE_SST2, "imdb": FINETUNE_SST2, "sst2": REAL_TEXT}

#: ``--set`` keys of the DisCoCat model on the command line.
DISCOCAT_SETTINGS = ("min_count", "init", "weight_decay", "init_from", "unk_rate", "unknown_words")


def discocat_preset(dataset: str) -> dict:
    """Settings for ``dataset`` (a bundled name; files and MC/RP get ``{}``: the generic defaults)."""
    return dict(DATASET_PRESETS.get(str(dataset).lower(), {}))
