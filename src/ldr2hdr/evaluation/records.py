"""The records of an evaluation: per-frame scores, per-method summaries, their CSV form.

The bottom of :mod:`ldr2hdr.evaluation`: it imports nothing else from the package but
:mod:`ldr2hdr.errors`, and every other module of the evaluation imports from here.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from ldr2hdr.errors import Ldr2HdrError

METRIC_LABELS = {
    "psnr_l": "PSNR-L (dB)",
    "mu_psnr": "μ-PSNR (dB)",
    "pu21_psnr": "PU21-PSNR (dB)",
    "pu21_ssim": "PU21-SSIM",
}
"""Score name → its label in the report's table and figure."""

DIAGNOSTICS = {
    "midtone_ratio": "mid-tone ratio",
    "reference_midtone_ratio": "reference's",
    "highlight_ratio": "p99.9 ratio",
}
"""Per-frame diagnostics (not scores), summarised by their median: the method's
:func:`~ldr2hdr.metrics.midtone_ratio` (1.0 = well-exposed input pixels left alone), the
reference's own, and :func:`~ldr2hdr.metrics.highlight_ratio` (output's 99.9th-percentile
luminance over the reference's)."""


class EvaluationError(Ldr2HdrError, ValueError):
    """A bad method list or weights mapping (the message names the method and the reason)."""


@dataclass(frozen=True)
class ScoreRecord:
    """One method's scores on one frame (dB for the PSNRs; +inf for an exact prediction)."""

    frame: str
    method: str
    psnr_l: float
    mu_psnr: float
    pu21_psnr: float
    pu21_ssim: float
    parameters: int
    seconds: float
    midtone_ratio: float = math.nan
    reference_midtone_ratio: float = math.nan
    highlight_ratio: float = math.nan


@dataclass(frozen=True)
class SummaryRow:
    """Means over the frames of one method; ``inf_scores`` counts +inf per-image scores.

    The three ratios are medians over the frames (see :data:`DIAGNOSTICS`).
    """

    method: str
    images: int
    psnr_l: float
    mu_psnr: float
    pu21_psnr: float
    pu21_ssim: float
    parameters: int
    seconds_per_image: float
    inf_scores: int
    midtone_ratio: float = math.nan
    reference_midtone_ratio: float = math.nan
    highlight_ratio: float = math.nan


@dataclass(frozen=True)
class Prediction:
    """What :func:`~ldr2hdr.evaluation.evaluate` hands to ``on_prediction``: one method's output
    on one frame.

    ``ldr`` is the input (float32 H×W×3, [0, 1], display-referred); ``reference`` and ``ntire``
    are float32 H×W×3 in the NTIRE domain (relative, 1.0 = input white).
    """

    frame: str
    method: str
    ldr: np.ndarray
    reference: np.ndarray
    ntire: np.ndarray


@dataclass(frozen=True)
class Method:
    """A resolved method: ``predict`` maps float32 H×W×3 LDR [0, 1] to NTIRE-domain HDR."""

    name: str
    parameters: int
    predict: Callable[[np.ndarray], np.ndarray]


def csv_bytes(rows: Sequence[object]) -> bytes:
    """Dataclass rows as CSV, one column per field; floats written with ``repr`` (exact round
    trip, ``inf``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f.name for f in fields(rows[0])])
    for row in rows:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in asdict(row).values()])
    return buffer.getvalue().encode("utf-8")
