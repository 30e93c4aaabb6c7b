"""Scoring one frame: the four scores and three diagnostics of each method's prediction.

Each frame's input is ``NNNN_medium.png`` and its reference ``NNNN_gt.png`` + alignratio (NTIRE
domain). Per frame and method: PSNR-L, μ-PSNR, PU21-PSNR, PU21-SSIM (:mod:`ldr2hdr.metrics`),
the diagnostics of :data:`~ldr2hdr.evaluation.records.DIAGNOSTICS`, the parameter count (0 for
operators) and the wall-clock seconds of the prediction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from ldr2hdr.data.ntire import NtireFrame
from ldr2hdr.evaluation.records import Method, Prediction, ScoreRecord
from ldr2hdr.io import read_ldr, read_ntire
from ldr2hdr.metrics import highlight_ratio, midtone_ratio, mu_psnr, psnr_l, pu21_psnr, pu21_ssim

METRICS = {"psnr_l": psnr_l, "mu_psnr": mu_psnr, "pu21_psnr": pu21_psnr, "pu21_ssim": pu21_ssim}
"""Score name → metric function (prediction, reference), both H×W×3 NTIRE domain."""


class FrameError(ValueError):
    """One frame cannot be scored (degenerate reference); the others can."""


def score(prediction: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """The four scores of one prediction (both H×W×3 NTIRE domain, H, W ≥ 11)."""
    return {key: metric(prediction, reference) for key, metric in METRICS.items()}


def diagnose(prediction: np.ndarray, reference: np.ndarray, ldr: np.ndarray) -> dict[str, float]:
    """The diagnostics of one prediction (NTIRE domain) given its input ``ldr`` [0, 1]."""
    return {
        "midtone_ratio": midtone_ratio(prediction, ldr),
        "reference_midtone_ratio": midtone_ratio(reference, ldr),
        "highlight_ratio": highlight_ratio(prediction, reference),
    }


def score_frame(
    frame: NtireFrame,
    methods: Sequence[Method],
    on_prediction: Callable[[Prediction], None] | None = None,
) -> list[ScoreRecord]:
    """Every method's scores on one frame; FrameError if the reference cannot be scored."""
    ldr = read_ldr(frame.path("medium"))
    reference = read_ntire(frame.path("gt"))
    if not float(reference.max(initial=0.0)) > 0.0:
        raise FrameError(f"the reference {frame.path('gt')} is all black; it cannot be scored")
    records = []
    for method in methods:
        start = time.perf_counter()
        ntire = method.predict(ldr)
        seconds = time.perf_counter() - start
        try:
            scores = score(ntire, reference)
            ratios = diagnose(ntire, reference, ldr)
        except ValueError as exc:
            raise FrameError(f"cannot score {method.name}: {exc}") from exc
        records.append(
            ScoreRecord(
                frame.frame_id,
                method.name,
                **scores,
                parameters=method.parameters,
                seconds=seconds,
                **ratios,
            )
        )
        if on_prediction is not None:
            on_prediction(Prediction(frame.frame_id, method.name, ldr, reference, ntire))
    return records
