"""Text to circuits: parser, rewriter and ansatz in one object that saves to JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from qnlp.circuits.ansatz import Ansatz, make_ansatz
from qnlp.circuits.rewrite import DiagramRewriter
from qnlp.parsing import Parser, make_parser
from qnlp.parsing.base import ParseResult

#: Sentences parsed per progress-bar step.
PROGRESS_CHUNK = 64


@dataclass
class SentencePipeline:
    """``text -> parser -> diagram -> rewrite -> ansatz -> circuit``.

    Parameters
    ----------
    parser : Parser
    rewriter : DiagramRewriter
    ansatz : Ansatz
    """

    parser: Parser
    rewriter: DiagramRewriter
    ansatz: Ansatz

    @classmethod
    def build(cls, parser="default", rewrite: Sequence[str] = (), ansatz="iqp",
              ob_map=None, n_layers: int = 1) -> "SentencePipeline":
        """Build from names (instances are taken as they are)."""
        if isinstance(parser, str):
            parser = make_parser(parser)
        if isinstance(ansatz, str):
            ansatz = make_ansatz(ansatz, ob_map=ob_map or {"n": 1, "s": 1}, n_layers=n_layers)
        return cls(parser, DiagramRewriter(rewrite), ansatz)

    def parse(self, texts: Sequence[str], on_error: str = "raise",
              progress: bool = False) -> list[ParseResult | None]:
        """Parse ``texts``; with ``progress``, in chunks under a progress bar on stderr."""
        texts = list(texts)
        if not progress or len(texts) <= PROGRESS_CHUNK:
            return self.parser.parse(texts, on_error=on_error)
        import sys

        from tqdm import tqdm

        out: list = []
        with tqdm(total=len(texts), desc="parse", unit="sent", file=sys.stderr, leave=False,
                  disable=None) as bar:
            for start in range(0, len(texts), PROGRESS_CHUNK):
                chunk = texts[start : start + PROGRESS_CHUNK]
                out += self.parser.parse(chunk, on_error=on_error)
                bar.update(len(chunk))
        return out

    def circuits(self, texts: Sequence[str], on_error: str = "raise", progress: bool = False):
        """Circuits for ``texts`` (``None`` where parsing failed and ``on_error="none"``)."""
        from qnlp.utils import paused_gc

        with paused_gc():
            return self._circuits(texts, on_error, progress)

    def _circuits(self, texts, on_error, progress):
        results = self.parse(texts, on_error=on_error, progress=progress)
        ok = [r for r in results if r is not None]
        diagrams = self.rewriter([r.diagram for r in ok])
        # A rule that raised on a diagram left it as it was before that rule (see DiagramRewriter).
        rewrite_fallback: dict[int, str] = {}
        for i, rule, _ in getattr(self.rewriter, "last_fallbacks_", []):
            rewrite_fallback[i] = f"{rewrite_fallback[i]},{rule}" if i in rewrite_fallback else rule
        made = enumerate(self.ansatz(diagrams, [r.sentence for r in ok]) if ok else [])
        circuits = []
        for r in results:
            if r is None:
                circuits.append(None)
            else:
                k, c = next(made)
                c.meta["fallback"] = r.fallback
                c.meta["rewrite_fallback"] = rewrite_fallback.get(k)  # failed rule name(s) or None
                circuits.append(c)
        return circuits

    def config(self) -> dict:
        return {"parser": self.parser.config(), "rewrite": self.rewriter.config(),
                "ansatz": self.ansatz.config()}

    @classmethod
    def from_config(cls, config: dict) -> "SentencePipeline":
        ans, par = dict(config["ansatz"]), dict(config["parser"])
        return cls(make_parser(par.pop("name"), **par), DiagramRewriter(config.get("rewrite", [])),
                   make_ansatz(ans.pop("name"), **ans))
