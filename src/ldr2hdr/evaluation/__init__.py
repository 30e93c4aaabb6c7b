"""Score reconstruction methods (networks and classical operators) on an NTIRE-layout folder.

The modules import one way, each only from those above it in this list:

- :mod:`.records`: :class:`ScoreRecord`, :class:`SummaryRow`, :class:`Prediction`,
  :class:`Method`, the score labels and diagnostics, the CSV form;
- :mod:`.methods`: method names (``twostage``, ``twostage@1/4``, ``masia``, ...) to
  :class:`Method` objects, :func:`resolve_methods`;
- :mod:`.scoring`: the scores and diagnostics of one frame, :func:`score_frame`;
- :mod:`.figures`: the report's figures and :class:`CropCollector`;
- :mod:`.report`: :func:`summarise`, :func:`format_table`, :func:`write_report`;
- :mod:`.runner`: :func:`evaluate`, every method on every frame.

See ``docs/evaluation.md``.
"""

from __future__ import annotations

from ldr2hdr.evaluation.figures import (
    CROP_FRAMES,
    CROP_SIZE,
    CropCollector,
    brightest_window,
    crops_figure,
    scores_figure,
)
from ldr2hdr.evaluation.methods import DEFAULT_NETWORK, WORK_SEPARATOR, resolve_methods
from ldr2hdr.evaluation.records import (
    DIAGNOSTICS,
    METRIC_LABELS,
    EvaluationError,
    Method,
    Prediction,
    ScoreRecord,
    SummaryRow,
    csv_bytes,
)
from ldr2hdr.evaluation.report import (
    REPORT_FILES,
    check_report_folder,
    format_table,
    report_markdown,
    summarise,
    write_report,
)
from ldr2hdr.evaluation.runner import evaluate
from ldr2hdr.evaluation.scoring import METRICS, FrameError, diagnose, score, score_frame

__all__ = [
    "CROP_FRAMES",
    "CROP_SIZE",
    "DEFAULT_NETWORK",
    "DIAGNOSTICS",
    "METRICS",
    "METRIC_LABELS",
    "REPORT_FILES",
    "WORK_SEPARATOR",
    "CropCollector",
    "EvaluationError",
    "FrameError",
    "Method",
    "Prediction",
    "ScoreRecord",
    "SummaryRow",
    "brightest_window",
    "check_report_folder",
    "crops_figure",
    "csv_bytes",
    "diagnose",
    "evaluate",
    "format_table",
    "report_markdown",
    "resolve_methods",
    "score",
    "score_frame",
    "scores_figure",
    "summarise",
    "write_report",
]
