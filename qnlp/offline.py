"""Guarantee that model loading never reaches the network.

lambeq's readers and Hugging Face ``from_pretrained`` fall back to downloading when a local path is
missing or incomplete. Every load in qnlp passes a local folder and runs inside
:func:`hub_offline`, which sets the Hugging Face offline switches for its duration, so a missing
file fails with a local error instead of a download attempt (lambeq's model host is gone, and
these machines have no internet).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

#: Environment switches that make ``huggingface_hub`` and ``transformers`` refuse network access.
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@contextmanager
def hub_offline():
    """Set :data:`OFFLINE_VARIABLES` to ``"1"`` inside the block; restore them afterwards."""
    saved = {k: os.environ.get(k) for k in OFFLINE_VARIABLES}
    os.environ.update({k: "1" for k in OFFLINE_VARIABLES})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
