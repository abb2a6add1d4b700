"""qnlp: quantum natural-language processing.

Text flows one way through the pipeline::

    text -> parser -> diagram -> rewrite -> ansatz -> circuit -> backend -> model -> trainer

Importing :mod:`qnlp` is cheap: the heavy stacks (torch, lambeq, pytket, spaCy) are imported
only by the submodules that need them.
"""

__version__ = "0.1.0"

from qnlp.errors import (  # noqa: F401  (re-exported)
    BackendError,
    CircuitTooLargeError,
    ConfigError,
    DatasetError,
    ModelFileError,
    NotFittedError,
    ParseError,
    QnlpError,
    UnknownWordError,
)

__all__ = [
    "__version__",
    "QnlpError",
    "ParseError",
    "DatasetError",
    "ConfigError",
    "BackendError",
    "CircuitTooLargeError",
    "ModelFileError",
    "NotFittedError",
    "UnknownWordError",
]
