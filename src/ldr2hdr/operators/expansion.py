"""Global and simple local expansion operators, each from its paper's formula.

Every operator takes a display-referred LDR photo (float H×W×3 in [0, 1]), linearises it with
``ldr ** 2.24`` (except where a paper works on the stored pixel values, said below), computes an
expanded luminance and returns **linear** HDR, float32 H×W×3, ≥ 0, at the operator's own scale.
Display-peak factors that only scale the whole image are left out: the evaluation rescales every
output with :func:`ldr2hdr.operators.ntire_scale`. Formulas and citations: ``docs/evaluation.md``.
"""

from __future__ import annotations

import numpy as np

from ldr2hdr.operators._common import (
    OVEREXPOSED_LEVEL,
    change_luminance,
    check_ldr,
    image_key,
    linearise,
    log_mean,
    luminance,
)
from ldr2hdr.operators.bilateral import cross_bilateral_grid

LANDIS_THRESHOLD = 0.5
LANDIS_ALPHA = 2.0
LANDIS_PEAK = 30.0
"""Landis's expanded white relative to the unexpanded white: a 3000 cd/m² HDR display (the
papers' usual peak) over the 100 cd/m² SDR white this project assumes (as PU21 does)."""

MASIA09_SLOPE = 10.44
MASIA09_OFFSET = -6.282
MASIA17_COEFFICIENTS = (2.4379, 0.2319, -1.1228, 0.0085)
"""Masia et al. 2017, eq. 5: γ = c0 + c1·ln(L_H) + c2·k + c3·p_ov (p_ov in percent)."""

MIN_GAMMA = 0.1
"""Floor on Masia's fitted γ: the fits give γ ≤ 0 for dark images, which would invert them."""

HUO_EXPONENT = 0.86
HUO_FILTER_PASSES = ((16.0, 0.3), (10.0, 0.1))
"""Huo et al. 2014: two bilateral passes on linear luminance, (σ_space px, σ_range)."""

PERCENT = 100.0


def identity(ldr: np.ndarray) -> np.ndarray:
    """No expansion: the linearised input ``ldr ** 2.24`` (float32 H×W×3 in [0, 1], linear).

    Its NTIRE-domain value is the input itself: the floor every method should beat.
    """
    return linearise(check_ldr(ldr)).astype(np.float32)


def _stretch(lum: np.ndarray, gamma: float) -> np.ndarray:
    """``((L − L_min) / (L_max − L_min)) ** γ``; a flat image stays as it is."""
    low, high = float(lum.min()), float(lum.max())
    if not high > low:
        return lum.copy()
    return ((lum - low) / (high - low)) ** gamma


def linear(ldr: np.ndarray) -> np.ndarray:
    """Linear scaling: the linearised luminance stretched to the full range (γ = 1).

    ``L_exp = (L − L_min) / (L_max − L_min)`` on ``L`` = luminance of ``ldr ** 2.24``: the
    formula of Akyüz et al. (2007) with γ = 1 applied to linear values, i.e. black-level removal
    and a linear stretch (Landis-style linear scaling without the highlight boost).

    Args:
        ldr: float H×W×3 in [0, 1], display-referred.

    Returns:
        float32 H×W×3 linear HDR ≥ 0 (white = 1 when the image holds white).
    """
    lin = linearise(check_ldr(ldr))
    lum = luminance(lin)
    return change_luminance(lin, lum, _stretch(lum, 1.0))


def akyuz(ldr: np.ndarray, *, gamma: float = 1.0) -> np.ndarray:
    """Akyüz, Fleming, Riecke, Reinhard & Bülthoff 2007, on the stored pixel values.

    ``L_exp = k · ((L_p − L_p,min) / (L_p,max − L_p,min)) ** γ`` where ``L_p`` is the luminance
    of the *display-referred* pixel values (the paper scaled the stored values, not linearised
    ones; γ = 1 was among its preferred settings). ``k``, the display peak, is left out. Colours:
    the linearised RGB takes the new luminance.

    Args:
        ldr: float H×W×3 in [0, 1], display-referred.
        gamma: the exponent γ > 0 (1 = the paper's linear scaling of pixel values).

    Returns:
        float32 H×W×3 linear HDR ≥ 0.
    """
    if not (np.isfinite(gamma) and gamma > 0):
        raise ValueError(f"gamma must be a positive number, got {gamma!r}")
    ldr = check_ldr(ldr)
    lin = linearise(ldr)
    return change_luminance(lin, luminance(lin), _stretch(luminance(ldr), gamma))


def landis(
    ldr: np.ndarray,
    *,
    threshold: float = LANDIS_THRESHOLD,
    alpha: float = LANDIS_ALPHA,
    peak: float = LANDIS_PEAK,
) -> np.ndarray:
    """Landis 2002: power-law boost of the pixels above a luminance threshold.

    For ``L ≥ R``: ``w = ((L − R) / (L_max − R)) ** α`` and ``L_exp = (1 − w)·L + w·peak·L``;
    below ``R`` the pixel is unchanged (linear luminance ``L`` of ``ldr ** 2.24``).

    Args:
        ldr: float H×W×3 in [0, 1], display-referred.
        threshold: ``R`` in linear luminance, in (0, 1) (default 0.5).
        alpha: the exponent α > 0 (default 2).
        peak: the brightest pixel's gain, ≥ 1 (default 30; see :data:`LANDIS_PEAK`).

    Returns:
        float32 H×W×3 linear HDR ≥ 0; pixels below ``R`` equal the linearised input.
    """
    if not 0 < threshold < 1 or not alpha > 0 or not peak >= 1:
        raise ValueError(
            f"need 0 < threshold < 1, alpha > 0, peak ≥ 1; got {threshold!r}, {alpha!r}, {peak!r}"
        )
    lin = linearise(check_ldr(ldr))
    lum = luminance(lin)
    top = float(lum.max())
    if not top > threshold:
        return lin.astype(np.float32)
    weight = (np.clip(lum - threshold, 0.0, None) / (top - threshold)) ** alpha
    return change_luminance(lin, lum, (1.0 - weight) * lum + weight * peak * lum)


def _gamma_expansion(lin: np.ndarray, lum: np.ndarray, gamma: float) -> np.ndarray:
    return change_luminance(lin, lum, lum ** max(gamma, MIN_GAMMA))


def masia_gamma(ldr: np.ndarray) -> float:
    """γ of Masia et al. 2009 for an image: ``10.44·k − 6.282`` (k: :func:`image_key`), or 1 when
    the key is undefined. Not floored; :func:`masia` floors it at :data:`MIN_GAMMA`."""
    key = image_key(luminance(linearise(check_ldr(ldr))))
    return 1.0 if key is None else MASIA09_SLOPE * key + MASIA09_OFFSET


def masia(ldr: np.ndarray) -> np.ndarray:
    """Masia, Agustin, Fleming, Sorkine & Gutierrez 2009: gamma expansion set by the image key.

    ``L_exp = L ** γ`` with ``γ = 10.44·k − 6.282`` (:func:`masia_gamma`), floored at 0.1; the
    display peak factor is left out. No bilateral detail layer (the paper gives no parameters).

    Args:
        ldr: float H×W×3 in [0, 1], display-referred.

    Returns:
        float32 H×W×3 linear HDR ≥ 0, white = 1.
    """
    lin = linearise(check_ldr(ldr))
    return _gamma_expansion(lin, luminance(lin), masia_gamma(ldr))


def masia17_gamma(ldr: np.ndarray) -> float:
    """γ of Masia, Serrano & Gutierrez 2017 (eq. 5), not floored.

    ``γ = 2.4379 + 0.2319·ln(L_H) − 1.1228·k + 0.0085·p_ov`` with ``L_H`` the log-average linear
    luminance, ``k`` the image key and ``p_ov`` the percentage of pixels whose luminance is at
    least 254/255 (display). 1 when the key is undefined.
    """
    ldr = check_ldr(ldr)
    lum = luminance(linearise(ldr))
    key = image_key(lum)
    if key is None:
        return 1.0
    over = PERCENT * float(np.mean(luminance(ldr) >= OVEREXPOSED_LEVEL))
    c0, c1, c2, c3 = MASIA17_COEFFICIENTS
    return c0 + c1 * np.log(log_mean(lum)) + c2 * key + c3 * over


def masia17(ldr: np.ndarray) -> np.ndarray:
    """Masia, Serrano & Gutierrez 2017: gamma expansion from image statistics.

    ``L_exp = L ** γ`` with γ from :func:`masia17_gamma` (key, log-average luminance and
    over-exposed percentage), floored at 0.1.

    Args:
        ldr: float H×W×3 in [0, 1], display-referred.

    Returns:
        float32 H×W×3 linear HDR ≥ 0, white = 1.
    """
    lin = linearise(check_ldr(ldr))
    return _gamma_expansion(lin, luminance(lin), masia17_gamma(ldr))


def huo(ldr: np.ndarray, *, exponent: float = HUO_EXPONENT) -> np.ndarray:
    """Huo, Yang, Dong & Brost 2014: physiological expansion from the retina response.

    ``L_exp = (L / L_max) · (L_s ** n + σ ** n) ** (1 / n)`` with ``L`` the linear luminance,
    ``L_s`` its local adaptation level (two bilateral passes, σ_space 16 then 10 px, σ_range 0.3
    then 0.1, on a bilateral grid: :mod:`ldr2hdr.operators.bilateral`), ``σ`` the log-average
    luminance and ``n = 0.86``.
    The display peak multiplies ``L_s`` and ``σ`` alike, so it only scales the result: left out.

    Args:
        ldr: float H×W×3 in [0, 1], display-referred.
        exponent: ``n`` > 0.

    Returns:
        float32 H×W×3 linear HDR ≥ 0.
    """
    if not (np.isfinite(exponent) and exponent > 0):
        raise ValueError(f"exponent must be a positive number, got {exponent!r}")
    lin = linearise(check_ldr(ldr))
    lum = luminance(lin)
    top = float(lum.max())
    if not top > 0:
        return lin.astype(np.float32)
    local = lum
    for sigma_space, sigma_range in HUO_FILTER_PASSES:
        local = cross_bilateral_grid(local, local, sigma_space=sigma_space, sigma_range=sigma_range)
    sigma = log_mean(lum)
    expanded = (lum / top) * (local**exponent + sigma**exponent) ** (1.0 / exponent)
    return change_luminance(lin, lum, expanded)
