"""Kovaleski & Oliveira 2014: an expand map from a cross-bilateral filter of the clipped mask.

1. ``M`` = 1 where any channel of the display-referred input exceeds the threshold (254/255 for
   still images), else 0.
2. ``B`` = cross-bilateral filter of ``M``, edge-stopped by the input's luminance (σ_space 150 px
   for 1080-line content, σ_range 25/255 on display values), so the map spreads inside bright
   regions but not across their edges.
3. expand map ``E = 1 + (α − 1)·B`` with α = 4.
4. ``L_exp = (L·(1 − d) + d) · E``: the linear luminance mapped to a display with black level
   ``d`` (0.3 cd/m² over a 1200 cd/m² peak) and boosted by ``E``.

The cross-bilateral filter is :func:`~ldr2hdr.operators.bilateral.cross_bilateral_grid`, a
bilateral grid (OpenCV's joint bilateral filter needs the contrib package); Kovaleski & Oliveira's
earlier real-time operator (2009) computed its filter on a bilateral grid as well.
"""

from __future__ import annotations

import numpy as np

from ldr2hdr.operators._common import (
    NTIRE_GAMMA,
    change_luminance,
    check_ldr,
    linearise,
    luminance,
)
from ldr2hdr.operators.bilateral import cross_bilateral_grid

KOVALESKI_THRESHOLD = 254.0 / 255.0
KOVALESKI_ALPHA = 4.0
KOVALESKI_SIGMA_RANGE = 25.0 / 255.0
HD_SIGMA_SPACE = 150.0
"""σ_space in pixels for 1080-line content; scaled with the image's short side."""
HD_SHORT_SIDE = 1080
DISPLAY_BLACK = 0.3 / 1200.0
"""Display black level over display peak (0.3 and 1200 cd/m²)."""


def kovaleski(
    ldr: np.ndarray,
    *,
    threshold: float = KOVALESKI_THRESHOLD,
    alpha: float = KOVALESKI_ALPHA,
    sigma_space: float | None = None,
    sigma_range: float = KOVALESKI_SIGMA_RANGE,
) -> np.ndarray:
    """Kovaleski & Oliveira 2014 reverse tone mapping (see the module docstring).

    Args:
        ldr: float H×W×3 in [0, 1], display-referred.
        threshold: display value above which a channel counts as clipped (default 254/255).
        alpha: the expand map's maximum ≥ 1 (default 4).
        sigma_space: spatial σ in px; None = 150 px scaled by short side / 1080.
        sigma_range: range σ on display luminance (default 25/255).

    Returns:
        float32 H×W×3 linear HDR ≥ 0: up to ``alpha`` × brighter inside clipped regions,
        ``L·(1 − d) + d`` (``d`` = 0.3/1200) far from them.
    """
    if not (0 < threshold < 1 and alpha >= 1 and sigma_range > 0):
        raise ValueError(
            f"need 0 < threshold < 1, alpha ≥ 1, sigma_range > 0; "
            f"got {threshold!r}, {alpha!r}, {sigma_range!r}"
        )
    ldr = check_ldr(ldr)
    if sigma_space is None:
        sigma_space = HD_SIGMA_SPACE * min(ldr.shape[:2]) / HD_SHORT_SIDE
    if not sigma_space > 0:
        raise ValueError(f"sigma_space must be > 0 px, got {sigma_space!r}")
    lin = linearise(ldr)
    lum = luminance(lin)
    mask = (ldr.max(axis=-1) > threshold).astype(np.float64)
    if mask.any():
        guide = lum ** (1.0 / NTIRE_GAMMA)
        spread = cross_bilateral_grid(mask, guide, sigma_space=sigma_space, sigma_range=sigma_range)
    else:
        spread = mask
    expand_map = 1.0 + (alpha - 1.0) * spread
    return change_luminance(lin, lum, (lum * (1.0 - DISPLAY_BLACK) + DISPLAY_BLACK) * expand_map)
