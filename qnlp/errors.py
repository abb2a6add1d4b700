"""Typed errors raised by qnlp.

Every error a user can provoke with bad input is a :class:`QnlpError`, so the command line can
report it cleanly (exit code 1) and library users can catch one base class.
"""


class QnlpError(Exception):
    """Base class of all errors raised on purpose by qnlp."""


class ConfigError(QnlpError, ValueError):
    """A configuration value or component name is invalid."""


class DatasetError(QnlpError, ValueError):
    """A dataset is unknown, missing or malformed (the message names file and line)."""


class ParseError(QnlpError, ValueError):
    """A sentence could not be parsed into a diagram."""


class UnknownWordError(QnlpError, KeyError):
    """A word was not seen in training and the unknown-word policy is ``"raise"``."""

    def __str__(self):  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class CircuitTooLargeError(QnlpError, ValueError):
    """A circuit is wider than a backend or simulator allows."""


class BackendError(QnlpError, RuntimeError):
    """A backend is unavailable, misconfigured, or failed to run."""


class ModelFileError(QnlpError, OSError):
    """A saved model directory is missing, incomplete or corrupt."""


class NotFittedError(QnlpError, AttributeError):
    """A model or estimator was used before it was fitted."""


class MissingDependencyError(QnlpError, ImportError):
    """An optional dependency is not installed (the message names the ``pip install`` command)."""
