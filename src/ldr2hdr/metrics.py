"""Image quality metrics: the NTIRE 2021 HDR scores, PU21-PSNR/SSIM and plain PSNR/SSIM.

Every metric takes two NumPy float arrays H×W×3 (prediction first, reference second) and returns
a Python float for one image; average per-image scores with :func:`mean_scores`. All arithmetic
is done in float64. Formulas, the absolute-luminance mapping used for PU21 and the handling of
+inf are documented in ``docs/metrics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch
from numpy.typing import ArrayLike
from pytorch_msssim import ssim as _torch_ssim

from ldr2hdr.domain import NTIRE_GAMMA
from ldr2hdr.domain import REC709_LUMINANCE_EXACT as REC709_LUMINANCE  # as PU21's get_luminance

MU = 5000.0
"""μ of the NTIRE 2021 μ-law tone curve."""

NORM_PERCENTILE = 99.0
"""Percentile of the linear reference that normalises μ-PSNR's tanh."""

PU21_BANDING_GLARE = (
    0.353487901,
    0.3734658629,
    8.277049286e-05,
    0.9062562627,
    0.09150303166,
    0.9099517204,
    596.3148142,
)
"""PU21 "banding_glare" parameters p1…p7 (Mantiuk & Azimi 2021; gfxdisp/pu21 pu21_encoder.m)."""

PU21_MIN_LUMINANCE = 0.005
PU21_MAX_LUMINANCE = 10000.0
"""Range of absolute luminance (cd/m²) that PU21 encodes; values outside are clamped."""

PU21_PEAK = 256.0
"""Peak of PU21-PSNR and dynamic range of PU21-SSIM, as gfxdisp/pu21 pu21_metric.m (≈ PU(100))."""

DEFAULT_WHITE_LUMINANCE = 100.0
"""cd/m² that the NTIRE-domain white (linear 1.0, the LDR clipping white) is mapped to."""

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5


def _as_image_pair(
    pred: np.ndarray, ref: np.ndarray, *, non_negative: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Check two H×W×3 float arrays of one shape; return float64 copies."""
    for name, image in (("pred", pred), ("ref", ref)):
        if not isinstance(image, np.ndarray) or not np.issubdtype(image.dtype, np.floating):
            kind = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
            raise TypeError(f"{name} must be a NumPy float array, got {kind}")
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"{name} must have shape (H, W, 3), got {image.shape}")
        if not np.isfinite(image).all():
            raise ValueError(f"{name} contains non-finite values (nan or inf)")
        if non_negative and image.min() < 0:
            raise ValueError(f"{name} must be ≥ 0 in the NTIRE domain, got min {image.min()!r}")
    if pred.shape != ref.shape:
        raise ValueError(f"pred and ref must have one shape, got {pred.shape} and {ref.shape}")
    return pred.astype(np.float64), ref.astype(np.float64)


def _psnr_from_mse(mse: float, peak: float) -> float:
    """``10·log10(peak² / mse)`` in dB; +inf for mse = 0, as the challenge's formula gives."""
    return math.inf if mse == 0 else 10.0 * math.log10(peak**2 / mse)


def psnr(pred: np.ndarray, ref: np.ndarray, *, data_range: float = 1.0) -> float:
    """PSNR in dB over all pixels and channels, peak ``data_range``.

    Args:
        pred: H×W×3 float, e.g. stage I's 8-bit-range output in [0, 1] (NTIRE domain).
        ref: H×W×3 float, same shape and domain.
        data_range: peak value (1 for [0, 1] images).

    Returns:
        PSNR in dB; +inf for identical images.
    """
    pred, ref = _as_image_pair(pred, ref)
    return _psnr_from_mse(float(np.mean((pred - ref) ** 2)), data_range)


def _ssim_float64(pred: np.ndarray, ref: np.ndarray, data_range: float) -> float:
    """SSIM of two H×W×C float64 arrays, channels averaged (11×11 Gaussian σ = 1.5, valid)."""
    if min(pred.shape[:2]) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW} px, got {pred.shape}")
    as_batch = [torch.from_numpy(image).permute(2, 0, 1)[None] for image in (pred, ref)]
    value = _torch_ssim(
        *as_batch, data_range=data_range, win_size=SSIM_WINDOW, win_sigma=SSIM_SIGMA
    )
    return float(value)


def ssim(pred: np.ndarray, ref: np.ndarray, *, data_range: float = 1.0) -> float:
    """SSIM (Wang et al. 2004; 11×11 Gaussian window σ = 1.5), mean of the R, G, B channels.

    Args:
        pred: H×W×3 float, e.g. stage I's 8-bit-range output in [0, 1]; H, W ≥ 11.
        ref: H×W×3 float, same shape.
        data_range: dynamic range of the values (1 for [0, 1] images).

    Returns:
        SSIM, unitless, ≤ 1 (1 for identical images).
    """
    pred, ref = _as_image_pair(pred, ref)
    return _ssim_float64(pred, ref, data_range)


def psnr_l(pred: np.ndarray, ref: np.ndarray) -> float:
    """NTIRE 2021 PSNR-L: PSNR of ``pred/max(ref)`` against ``ref/max(ref)``, peak 1.

    Computed on the stored, gamma-encoded values (no linearisation).

    Args:
        pred: H×W×3 float, NTIRE domain (relative HDR).
        ref: H×W×3 float, NTIRE domain; its maximum must be > 0.

    Returns:
        PSNR-L in dB; +inf for identical images.
    """
    pred, ref = _as_image_pair(pred, ref)
    norm = ref.max()
    if norm <= 0:
        raise ValueError(f"ref must have a positive maximum for PSNR-L, got {norm!r}")
    return _psnr_from_mse(float(np.mean((pred / norm - ref / norm) ** 2)), 1.0)


def _mu_tonemap(linear: np.ndarray, norm: float) -> np.ndarray:
    """``log(1 + μ·tanh(x / norm)) / log(1 + μ)``."""
    return np.log1p(MU * np.tanh(linear / norm)) / math.log1p(MU)


def mu_psnr(pred: np.ndarray, ref: np.ndarray) -> float:
    """NTIRE 2021 μ-PSNR: PSNR (peak 1) of the μ-law tone-mapped linear images.

    ``lin = x**2.24``; ``norm`` = 99th percentile of the linear reference (NumPy's default
    linear interpolation); ``T(x) = log(1 + μ·tanh(x / norm)) / log(1 + μ)``, μ = 5000.

    Args:
        pred: H×W×3 float ≥ 0, NTIRE domain (relative HDR).
        ref: H×W×3 float ≥ 0, NTIRE domain; its 99th linear percentile must be > 0.

    Returns:
        μ-PSNR in dB; +inf for identical images.
    """
    pred, ref = _as_image_pair(pred, ref, non_negative=True)
    lin_pred, lin_ref = pred**NTIRE_GAMMA, ref**NTIRE_GAMMA
    norm = float(np.percentile(lin_ref, NORM_PERCENTILE))
    if norm <= 0:
        raise ValueError(f"the 99th percentile of the linear ref must be > 0, got {norm!r}")
    mse = np.mean((_mu_tonemap(lin_pred, norm) - _mu_tonemap(lin_ref, norm)) ** 2)
    return _psnr_from_mse(float(mse), 1.0)


def pu21_encode(luminance_cd_m2: ArrayLike) -> np.ndarray:
    """PU21 encoding (Mantiuk & Azimi 2021, "banding_glare") of absolute luminance.

    ``V = p7·(((p1 + p2·Y**p4) / (1 + p3·Y**p4))**p5 − p6)`` with Y clamped to [0.005, 10000].

    Args:
        luminance_cd_m2: array-like of absolute luminance (or absolute linear RGB) in cd/m².

    Returns:
        float64 array of the input's shape, PU units: ≈ 0 at 0.005, ≈ 256 at 100, ≈ 595 at
        10000 cd/m²; monotone increasing.
    """
    luminance = np.asarray(luminance_cd_m2, dtype=np.float64)
    if np.isnan(luminance).any():
        raise ValueError("luminance_cd_m2 contains nan")
    p1, p2, p3, p4, p5, p6, p7 = PU21_BANDING_GLARE
    powered = np.clip(luminance, PU21_MIN_LUMINANCE, PU21_MAX_LUMINANCE) ** p4
    return p7 * (((p1 + p2 * powered) / (1.0 + p3 * powered)) ** p5 - p6)


def ntire_to_absolute(
    y: np.ndarray, *, white_luminance: float = DEFAULT_WHITE_LUMINANCE
) -> np.ndarray:
    """NTIRE-domain RGB → absolute linear RGB in cd/m²: ``y**2.24 · white_luminance``.

    Args:
        y: H×W×3 float ≥ 0, NTIRE domain (1.0 = the LDR clipping white).
        white_luminance: cd/m² of the white (linear 1.0); default 100.

    Returns:
        float64 H×W×3, absolute linear RGB (its Rec. 709 luminance is in cd/m²), not clamped.
    """
    if not (math.isfinite(white_luminance) and white_luminance > 0):
        raise ValueError(f"white_luminance must be a positive number, got {white_luminance!r}")
    return np.asarray(y, dtype=np.float64) ** NTIRE_GAMMA * white_luminance


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """H×W×3 linear RGB → H×W×1 Rec. 709 luminance (same units)."""
    return (rgb @ np.asarray(REC709_LUMINANCE))[..., None]


def pu21_psnr(
    pred: np.ndarray, ref: np.ndarray, *, white_luminance: float = DEFAULT_WHITE_LUMINANCE
) -> float:
    """PU21-PSNR (colour): PSNR with peak 256 of the PU21-encoded absolute R, G, B values.

    Args:
        pred: H×W×3 float ≥ 0, NTIRE domain; mapped to cd/m² by :func:`ntire_to_absolute`.
        ref: H×W×3 float ≥ 0, NTIRE domain.
        white_luminance: cd/m² of the NTIRE white (linear 1.0); default 100.

    Returns:
        PU21-PSNR in dB; +inf for identical images.
    """
    pred, ref = _as_image_pair(pred, ref, non_negative=True)
    encoded = [
        pu21_encode(ntire_to_absolute(x, white_luminance=white_luminance)) for x in (pred, ref)
    ]
    return _psnr_from_mse(float(np.mean((encoded[0] - encoded[1]) ** 2)), PU21_PEAK)


def pu21_ssim(
    pred: np.ndarray, ref: np.ndarray, *, white_luminance: float = DEFAULT_WHITE_LUMINANCE
) -> float:
    """PU21-SSIM: SSIM (dynamic range 256) of the PU21-encoded absolute luminance.

    Args:
        pred: H×W×3 float ≥ 0, NTIRE domain; H, W ≥ 11. Luminance = Rec. 709 Y of the linear
            RGB, scaled to cd/m² by ``white_luminance``.
        ref: H×W×3 float ≥ 0, NTIRE domain.
        white_luminance: cd/m² of the NTIRE white (linear 1.0); default 100.

    Returns:
        SSIM, unitless, ≤ 1 (1 for identical images).
    """
    pred, ref = _as_image_pair(pred, ref, non_negative=True)
    encoded = [
        pu21_encode(_luminance(ntire_to_absolute(x, white_luminance=white_luminance)))
        for x in (pred, ref)
    ]
    return _ssim_float64(encoded[0], encoded[1], PU21_PEAK)


def mean_scores(scores: Iterable[float], *, inf_cap: float | None = None) -> float:
    """Mean of per-image scores, with a stated handling of +inf (identical images).

    Args:
        scores: per-image values (dB or unitless); +inf allowed, nan not.
        inf_cap: ``None`` (default) keeps +inf, so the mean is +inf when any image scored +inf
            (what ``np.mean`` in the challenge's scoring gives). A number replaces each +inf by
            that value before averaging (e.g. 100 dB).

    Returns:
        The arithmetic mean, a Python float.
    """
    values = np.asarray(list(scores), dtype=np.float64)
    if values.size == 0:
        raise ValueError("scores is empty")
    if np.isnan(values).any():
        raise ValueError(f"scores contain nan: {values.tolist()!r}")
    if inf_cap is not None:
        if not math.isfinite(inf_cap):
            raise ValueError(f"inf_cap must be finite or None, got {inf_cap!r}")
        values = np.where(values == math.inf, inf_cap, values)
    return float(values.mean())


MIDTONE_RANGE = (0.1, 0.8)
"""Linear max-channel range of the input pixels that :func:`midtone_ratio` calls well exposed."""

HIGHLIGHT_PERCENTILE = 99.9
"""Percentile of linear luminance compared by :func:`highlight_ratio`."""


def midtone_ratio(pred: np.ndarray, ldr: np.ndarray) -> float:
    """How much a method changes the well-exposed pixels of its input (1.0 = left alone).

    The median over the input's well-exposed pixels (linear max channel in :data:`MIDTONE_RANGE`,
    the input linearised as ``ldr**2.24``) of ``sum(pred_linear) / sum(input_linear)`` over the
    three channels. Under the gamma-2.24 camera the reference itself scores ≈ 1.0.

    Args:
        pred: H×W×3 float, NTIRE domain (``linear**(1/2.24)``, 1.0 = the input's white), ≥ 0.
        ldr: H×W×3 float, the 8-bit input divided by 255, in [0, 1].

    Returns:
        The ratio (linear), or nan when the input has no well-exposed pixel.
    """
    pred64, ldr64 = _as_image_pair(pred, ldr, non_negative=True)
    linear_in = ldr64**NTIRE_GAMMA
    peak = linear_in.max(axis=-1)
    mask = (peak >= MIDTONE_RANGE[0]) & (peak <= MIDTONE_RANGE[1])
    if not mask.any():
        return math.nan
    ratio = (pred64**NTIRE_GAMMA).sum(axis=-1)[mask] / linear_in.sum(axis=-1)[mask]
    return float(np.median(ratio))


def highlight_ratio(pred: np.ndarray, ref: np.ndarray) -> float:
    """The prediction's 99.9th-percentile linear luminance over the reference's (1.0 = as bright).

    Args:
        pred, ref: H×W×3 float, NTIRE domain, ≥ 0.

    Returns:
        ``P99.9(L_pred) / P99.9(L_ref)`` with L the Rec. 709 luminance of the linear images;
        nan when the reference's percentile is 0 (a black reference).
    """
    pred64, ref64 = _as_image_pair(pred, ref, non_negative=True)
    top = [
        float(np.percentile(_luminance(x**NTIRE_GAMMA), HIGHLIGHT_PERCENTILE))
        for x in (pred64, ref64)
    ]
    return top[0] / top[1] if top[1] > 0 else math.nan


def median_finite(values: Iterable[float]) -> float:
    """Median of the non-nan values (nan when there is none): a set-level diagnostic ratio."""
    kept = np.asarray([v for v in values if not math.isnan(v)], dtype=np.float64)
    return float(np.median(kept)) if kept.size else math.nan
