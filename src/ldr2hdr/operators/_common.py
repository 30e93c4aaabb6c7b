"""Shared pieces of the expansion operators: input check, linearisation, luminance, image
statistics, and the scale normalisation that brings every operator to the NTIRE domain.

Conventions (see ``docs/evaluation.md``):

- input: a display-referred LDR photo, float H×W×3 in [0, 1]; it is linearised with the inverse
  of the NTIRE gamma, ``linear = ldr ** 2.24``;
- luminance: Rec. 709 / sRGB Y of linear RGB;
- colour: operators change luminance only; each linear channel is multiplied by
  ``L_expanded / L`` (linear chromaticity kept);
- scale: an operator's raw output has its paper's arbitrary scale (display peak in cd/m², ...);
  :func:`ntire_scale` picks the factor that makes the well-exposed pixels match the linearised
  input in the median, so 1.0 is again the input's white for unexpanded pixels.
"""

from __future__ import annotations

import numpy as np

from ldr2hdr.domain import (
    NTIRE_GAMMA,
    REC709_LUMINANCE,
    check_ldr,
    luminance,
    ntire_to_linear,
)

__all__ = ["NTIRE_GAMMA", "REC709_LUMINANCE", "check_ldr", "linearise", "luminance"]

WELL_EXPOSED_RANGE = (0.02, 0.95)
"""Display values (0–1) between which a pixel counts as well exposed: its darkest channel is at
least 0.02 (about code 5) and its brightest at most 0.95 (about code 242)."""

ROBUST_PERCENTILE = 1.0
"""Percent of the darkest and of the brightest pixels left out of the key's min and max."""

LOG_DELTA = 1e-6
"""Added to linear luminance before a logarithm (log-average of a black pixel)."""

OVEREXPOSED_LEVEL = 254.0 / 255.0
"""Display luminance at or above which a pixel counts as over-exposed (Masia et al. 2017)."""


def linearise(ldr: np.ndarray) -> np.ndarray:
    """Display-referred [0, 1] → linear [0, 1]: ``ldr ** 2.24`` (same shape, float64)."""
    return ntire_to_linear(np.asarray(ldr, dtype=np.float64))


def change_luminance(linear: np.ndarray, lum: np.ndarray, expanded: np.ndarray) -> np.ndarray:
    """Give linear RGB a new luminance, keeping its linear chromaticity.

    Args:
        linear: H×W×3 linear RGB ≥ 0.
        lum: H×W, its luminance.
        expanded: H×W, the new luminance ≥ 0.

    Returns:
        float32 H×W×3 linear RGB ``linear · expanded / lum``; a black pixel (``lum = 0``) becomes
        grey ``expanded`` in every channel.
    """
    positive = lum > 0
    ratio = np.where(positive, expanded / np.where(positive, lum, 1.0), 0.0)
    out = linear * ratio[..., None]
    out = np.where(positive[..., None], out, expanded[..., None])
    return np.maximum(out, 0.0).astype(np.float32)


def log_mean(lum: np.ndarray) -> float:
    """Log-average (geometric mean) luminance ``exp(mean(log(L + 1e-6)))``."""
    return float(np.exp(np.mean(np.log(lum + LOG_DELTA))))


def image_key(lum: np.ndarray) -> float | None:
    """Image key (Akyüz & Reinhard 2006, as used by Masia et al. 2009, 2017).

    ``k = (log L_H − log L_min) / (log L_max − log L_min)`` with ``L_H`` the log-average and
    ``L_min``, ``L_max`` the 1st and 99th percentiles of the positive luminances (robust to
    outliers).

    Args:
        lum: H×W linear luminance ≥ 0.

    Returns:
        The key (about 0 for a dark, 1 for a bright image), or None when it is undefined (no
        positive pixel, or a flat image).
    """
    positive = lum[lum > 0]
    if positive.size == 0:
        return None
    low, high = np.percentile(positive, [ROBUST_PERCENTILE, 100.0 - ROBUST_PERCENTILE])
    if not high > low:
        return None
    return float((np.log(log_mean(lum)) - np.log(low)) / (np.log(high) - np.log(low)))


def well_exposed(ldr: np.ndarray) -> np.ndarray:
    """H×W bool mask of well-exposed pixels (see :data:`WELL_EXPOSED_RANGE`)."""
    dark, bright = WELL_EXPOSED_RANGE
    return (ldr.min(axis=-1) >= dark) & (ldr.max(axis=-1) <= bright)


def ntire_scale(ldr: np.ndarray, linear: np.ndarray) -> float:
    """The factor that brings an operator's linear output to the NTIRE domain's scale.

    ``s = median(L_in / L_out)`` over the well-exposed pixels, where ``L_in`` is the luminance
    of the linearised input (``ldr ** 2.24``) and ``L_out`` that of the operator's output. After
    ``s · linear``, a typical well-exposed pixel keeps its input value, so 1.0 is the input's
    white for pixels the operator does not expand, and expanded highlights rise above 1. Only
    the input is used (never the reference). Without well-exposed pixels, all pixels with a
    positive input and output are used; without those, ``s = 1``.

    Args:
        ldr: H×W×3 display-referred input in [0, 1].
        linear: H×W×3 linear output of an operator, ≥ 0, any scale.

    Returns:
        The positive factor ``s``.
    """
    lum_in = luminance(linearise(ldr))
    lum_out = luminance(linear)
    usable = (lum_in > 0) & (lum_out > 0)
    chosen = usable & well_exposed(ldr)
    if not chosen.any():
        chosen = usable
    if not chosen.any():
        return 1.0
    return float(np.median(lum_in[chosen] / lum_out[chosen]))


def to_ntire(ldr: np.ndarray, linear: np.ndarray) -> np.ndarray:
    """Scale an operator's linear output by :func:`ntire_scale` and encode it in the NTIRE domain.

    Returns:
        float32 H×W×3 ``(s · linear) ** (1 / 2.24)``, ≥ 0, relative (1.0 = input white).
    """
    scaled = np.asarray(linear, dtype=np.float64) * ntire_scale(ldr, linear)
    return np.power(scaled, 1.0 / NTIRE_GAMMA).astype(np.float32)
