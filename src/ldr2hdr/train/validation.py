"""Validation: NTIRE scores of the generator on the held-out images, and a sample grid.

Each validation image is reconstructed whole (eval mode, no gradient) and scored with μ-PSNR,
PSNR-L and PU21-PSNR (:mod:`ldr2hdr.metrics`) against its NTIRE-domain reference; the scores
are averaged per image. An output with non-finite values scores ``nan`` (counted, not raised).

The sample grid has one row per image, columns input / stage I / stage II / reference (input /
output / reference for single-stage models), all converted to linear (``y**2.24``) and then
tone-mapped by the caller with the same curve, 2-pixel black gaps between tiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from ldr2hdr.domain import ntire_to_linear
from ldr2hdr.metrics import mu_psnr, psnr_l, pu21_psnr
from ldr2hdr.runtime import autocast

GRID_GAP = 2
METRICS = {"mu_psnr": mu_psnr, "psnr_l": psnr_l, "pu21_psnr": pu21_psnr}


@dataclass
class ValidationResult:
    """Mean scores over the finite outputs (dB); the mean μ-PSNR of the inputs themselves taken
    as the HDR estimate (the do-nothing baseline); the count of non-finite outputs; grid rows."""

    scores: dict[str, float]
    input_mu_psnr: float = math.nan
    nonfinite: int = 0
    rows: list[list[np.ndarray]] = field(default_factory=list)

    def grid(self) -> np.ndarray | None:
        """The sample grid, H×W×3 float32 linear relative (None without rows)."""
        if not self.rows:
            return None
        lines = [_join(row, axis=1) for row in self.rows]
        return _join(lines, axis=0)


def _join(tiles: list[np.ndarray], *, axis: int) -> np.ndarray:
    shape = list(tiles[0].shape)
    shape[axis] = GRID_GAP
    gap = np.zeros(shape, dtype=np.float32)
    parts: list[np.ndarray] = []
    for tile in tiles:
        parts.extend([tile, gap])
    return np.concatenate(parts[:-1], axis=axis)


def _image(tensor: torch.Tensor) -> np.ndarray:
    """3×H×W NTIRE-domain tensor → H×W×3 float32 NumPy array (values unchanged)."""
    return tensor.detach().float().cpu().permute(1, 2, 0).numpy()


def _linear(ntire: np.ndarray) -> np.ndarray:
    return ntire_to_linear(ntire).astype(np.float32, copy=False)


def score_image(pred: np.ndarray, ref: np.ndarray) -> dict[str, float] | None:
    """μ-PSNR, PSNR-L, PU21-PSNR of one H×W×3 NTIRE-domain output; None if it is not finite."""
    if not np.isfinite(pred).all():
        return None
    return {name: metric(pred, ref) for name, metric in METRICS.items()}


@torch.no_grad()
def validate(
    model: nn.Module,
    dataset: Dataset,
    *,
    device: torch.device,
    sample_count: int = 4,
    autocast_dtype: torch.dtype | None = None,
) -> ValidationResult:
    """Score ``model`` on every sample of ``dataset`` (one image at a time).

    Args:
        model: a generator returning ``ModelOutput(hdr, ldr)`` in the NTIRE domain; it is put
            in eval mode and returned to training mode afterwards.
        dataset: ``Sample(ldr, ref8, hdr)`` items (3×H×W float32 tensors).
        device: where to run the model.
        sample_count: images whose tiles go into the sample grid.
        autocast_dtype: run the forward pass under autocast with this dtype (None or
            float32: no autocast).

    Returns:
        A :class:`ValidationResult`; scores are ``nan`` when no output was finite.
    """
    model.eval()
    totals = dict.fromkeys(METRICS, 0.0)
    scored, nonfinite, rows, baseline = 0, 0, [], 0.0
    try:
        for index in range(len(dataset)):
            sample = dataset[index]
            with autocast(device, autocast_dtype):
                output = model(sample.ldr.unsqueeze(0).to(device))
            pred, ref = _image(output.hdr[0]), _image(sample.hdr)
            baseline += mu_psnr(_image(sample.ldr), ref)
            scores = score_image(pred, ref)
            if scores is None:
                nonfinite += 1
            else:
                scored += 1
                for name, value in scores.items():
                    totals[name] += value
            if index < sample_count:
                middle = [] if output.ldr is None else [_image(output.ldr[0])]
                tiles = [_image(sample.ldr), *middle, np.nan_to_num(pred), ref]
                rows.append([_linear(tile) for tile in tiles])
    finally:
        model.train()
    means = {name: total / scored if scored else math.nan for name, total in totals.items()}
    baseline = baseline / len(dataset) if len(dataset) else math.nan
    return ValidationResult(means, input_mu_psnr=baseline, nonfinite=nonfinite, rows=rows)
