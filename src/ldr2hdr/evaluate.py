"""Deprecated: the evaluation moved to :mod:`ldr2hdr.evaluation`; import from there.

This module only re-exports the names it used to define, and warns once on import.
"""

from __future__ import annotations

import warnings

from ldr2hdr.evaluation import (
    DEFAULT_NETWORK,
    DIAGNOSTICS,
    METRIC_LABELS,
    METRICS,
    REPORT_FILES,
    WORK_SEPARATOR,
    EvaluationError,
    FrameError,
    Method,
    Prediction,
    ScoreRecord,
    SummaryRow,
    check_report_folder,
    diagnose,
    evaluate,
    format_table,
    report_markdown,
    resolve_methods,
    score,
    summarise,
    write_report,
)

__all__ = [
    "DEFAULT_NETWORK",
    "DIAGNOSTICS",
    "METRICS",
    "METRIC_LABELS",
    "REPORT_FILES",
    "WORK_SEPARATOR",
    "EvaluationError",
    "FrameError",
    "Method",
    "Prediction",
    "ScoreRecord",
    "SummaryRow",
    "check_report_folder",
    "diagnose",
    "evaluate",
    "format_table",
    "report_markdown",
    "resolve_methods",
    "score",
    "summarise",
    "write_report",
]

warnings.warn(
    "ldr2hdr.evaluate is deprecated; import from ldr2hdr.evaluation",
    DeprecationWarning,
    stacklevel=2,
)
