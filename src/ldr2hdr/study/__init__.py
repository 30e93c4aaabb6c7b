"""The paper's blind user study as a small web app: serve pairs, store votes, report MOS.

See docs/gallery-and-study.md. The web server needs the ``study`` extra (FastAPI, uvicorn);
:mod:`ldr2hdr.study.storage` and :mod:`ldr2hdr.study.report` need only the standard library.
"""

from ldr2hdr.study.report import (
    StudySummary,
    format_report,
    summarise,
    t_quantile_975,
    wilson_interval,
    write_csv,
)
from ldr2hdr.study.storage import StudyStore, Vote, read_votes

__all__ = [
    "StudyStore",
    "StudySummary",
    "Vote",
    "format_report",
    "read_votes",
    "summarise",
    "t_quantile_975",
    "wilson_interval",
    "write_csv",
]
