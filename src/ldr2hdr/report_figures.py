"""Deprecated: the report's figures moved to :mod:`ldr2hdr.evaluation.figures` (and
``CropCollector`` is also :class:`ldr2hdr.evaluation.CropCollector`); import from there.

This module only re-exports the names it used to define, and warns once on import.
"""

from __future__ import annotations

import warnings

from ldr2hdr.evaluation.figures import (
    BAR_INCHES,
    CELL_INCHES,
    CROP_FRAMES,
    CROP_SIZE,
    DPI,
    CropCollector,
    brightest_window,
    crops_figure,
    scores_figure,
)
from ldr2hdr.evaluation.records import Prediction, SummaryRow

__all__ = [
    "BAR_INCHES",
    "CELL_INCHES",
    "CROP_FRAMES",
    "CROP_SIZE",
    "DPI",
    "CropCollector",
    "Prediction",
    "SummaryRow",
    "brightest_window",
    "crops_figure",
    "scores_figure",
]

warnings.warn(
    "ldr2hdr.report_figures is deprecated; import from ldr2hdr.evaluation.figures",
    DeprecationWarning,
    stacklevel=2,
)
