"""Text input: validation of raw documents and the word tokeniser of the attention models.

The first stage of the pipeline (text -> parser -> ...): everything here is pure Python, so it
can be used by every later stage without importing a heavy stack.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")


def check_texts(X) -> list[str]:
    """Validate raw text input: a sequence of str (a bare str is rejected, as in sklearn's
    text vectorizers).

    >>> check_texts(["a b", "c"])
    ['a b', 'c']
    >>> check_texts("a b")
    Traceback (most recent call last):
    ...
    ValueError: Iterable over raw text documents expected, string object received.
    """
    import numpy as np

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


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens (letters/digits with an optional apostrophe suffix, ``!`` and ``?``).

    >>> tokenize("It's GREAT!! 10/10")
    ["it's", 'great', '!', '!', '10', '10']
    """
    return _TOKEN.findall(text.lower())


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans, in ``text`` (lower-casing keeps offsets), of :func:`tokenize`'s tokens.

    >>> token_spans("It's GREAT!")
    [(0, 4), (5, 10), (10, 11)]
    """
    return [m.span() for m in _TOKEN.finditer(text.lower())]
