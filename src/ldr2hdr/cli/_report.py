"""What a ``convert`` batch did, for people (stderr) and for scripts (``--json`` on stdout).

File names are printed escaped (a newline in a name shows as ``\\n``), so a name can never
forge a line of the report; the JSON report quotes them as JSON strings.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

CONVERTED = "converted"
COMPLETED = "completed"
SKIPPED = "skipped"
OWN_OUTPUT = "own-output"
FAILED = "failed"
STATUSES = (CONVERTED, COMPLETED, SKIPPED, OWN_OUTPUT, FAILED)
"""Per-file outcomes: converted; completed (missing outputs of an earlier run written);
skipped (already converted); own-output (an input that is an output of this tool); failed."""
MEGA = 1e6
JSON_INDENT = 2


def escaped(text: object) -> str:
    """``text`` with every non-printable character (newline, escape, stray bytes) escaped."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode()
        for char in str(text)
    )


@dataclass(frozen=True)
class FileResult:
    source: Path
    status: str
    outputs: tuple[Path, ...] = ()
    reason: str = ""


@dataclass
class BatchReport:
    """Every file's outcome, in order, and the megapixels the network ran on."""

    results: list[FileResult] = field(default_factory=list)
    megapixels: float = 0.0

    def add(self, result: FileResult) -> None:
        """Record ``result``; failures and completions are told on stderr at once."""
        prefix = f"{result.source}: "
        if result.reason.startswith(prefix):  # messages of the readers name the file first
            result = replace(result, reason=result.reason[len(prefix) :])
        self.results.append(result)
        if result.status in (FAILED, COMPLETED):
            tqdm.write(
                f"{result.status}: {escaped(result.source)}: {escaped(result.reason)}",
                file=sys.stderr,
            )

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def failed(self) -> bool:
        return self.count(FAILED) > 0

    def summary_line(self, seconds: float) -> str:
        rate = self.megapixels / seconds if seconds > 0 else 0.0
        return (
            f"done {self.count(CONVERTED)}, completed {self.count(COMPLETED)}, "
            f"skipped {self.count(SKIPPED)} (already converted), "
            f"ignored {self.count(OWN_OUTPUT)} (outputs of ldr2hdr), "
            f"failed {self.count(FAILED)}; {seconds:.1f} s, {rate:.3f} megapixels/s"
        )

    def to_json(self, seconds: float) -> str:
        summary = {status: self.count(status) for status in STATUSES}
        files = [
            {
                "input": str(result.source),
                "status": result.status,
                "outputs": [str(path) for path in result.outputs],
                "reason": result.reason,
            }
            for result in self.results
        ]
        document = {"summary": {**summary, "seconds": round(seconds, 3)}, "files": files}
        return json.dumps(document, indent=JSON_INDENT)
