"""The value domain every part of the package shares (floor 1: imports NumPy only).

- **LDR**: a display-referred photo, H×W×3, float in [0, 1] (8-bit codes / 255).
- **NTIRE domain**: what the networks read and write, ``y = linear ** (1 / 2.24)`` with 1.0 the
  input photo's clipping white (relative, not absolute, luminance); ``y ≥ 0``, unbounded above.
- **Linear**: relative linear radiance, ``linear = y ** 2.24`` (1.0 = the input's white), ≥ 0.

The conversions clamp negative values to 0 before the power (one rule everywhere: a negative
value has no real power) and keep the input's floating dtype (float32 in → float32 out).
"""

from __future__ import annotations

import numpy as np

NTIRE_GAMMA = 2.24
"""Exponent of the NTIRE 2021 domain: ``linear = y ** NTIRE_GAMMA``, ``y = linear ** (1/2.24)``."""

REC709_LUMINANCE = (0.2126, 0.7152, 0.0722)
"""Y row of linear sRGB / Rec. 709 → XYZ, four digits (the operators, gallery, figures)."""

REC709_LUMINANCE_EXACT = (0.212656, 0.715158, 0.072186)
"""The same row to six digits (IEC 61966-2-1), used by the metrics (PU21, highlight ratio)."""


def ntire_to_linear(y: np.ndarray) -> np.ndarray:
    """NTIRE domain → linear: ``max(y, 0) ** 2.24``, same shape and floating dtype as ``y``."""
    y = np.asarray(y)
    return np.power(np.maximum(y, 0), np.asarray(NTIRE_GAMMA, dtype=y.dtype))


def linear_to_ntire(linear: np.ndarray) -> np.ndarray:
    """Linear → NTIRE domain: ``max(linear, 0) ** (1 / 2.24)``, same shape and floating dtype."""
    linear = np.asarray(linear)
    return np.power(np.maximum(linear, 0), np.asarray(1.0 / NTIRE_GAMMA, dtype=linear.dtype))


def luminance(rgb: np.ndarray) -> np.ndarray:
    """H×W×3 RGB → H×W Rec. 709 luminance (same units and domain as the input), float64."""
    return np.asarray(rgb, dtype=np.float64) @ np.asarray(REC709_LUMINANCE)


def check_ldr(ldr: np.ndarray) -> np.ndarray:
    """Check an LDR photo and return it as float64.

    Args:
        ldr: float array H×W×3, display-referred values in [0, 1].

    Returns:
        float64 H×W×3 copy, [0, 1].

    Raises:
        TypeError: not a NumPy float array.
        ValueError: wrong shape, empty, or values outside [0, 1] (nan included).
    """
    if not isinstance(ldr, np.ndarray) or not np.issubdtype(ldr.dtype, np.floating):
        kind = ldr.dtype if isinstance(ldr, np.ndarray) else type(ldr).__name__
        raise TypeError(f"ldr must be a NumPy float array in [0, 1], got {kind}")
    if ldr.ndim != 3 or ldr.shape[2] != 3 or 0 in ldr.shape:
        raise ValueError(f"ldr must have shape (H, W, 3), got {ldr.shape}")
    low, high = float(np.min(ldr)), float(np.max(ldr))
    if not (low >= 0.0 and high <= 1.0):  # also catches nan
        raise ValueError(f"ldr values must lie in [0, 1], got range [{low}, {high}]")
    return ldr.astype(np.float64)


def check_linear(linear: object, *, name: str = "linear") -> np.ndarray:
    """Return ``linear`` as a float32 H×W×3 array after checking it is a valid linear HDR image.

    Args:
        linear: array-like, floating point, shape (H, W, 3), finite, ≥ 0 (linear radiance,
            relative: 1.0 is the input photo's clipping white).
        name: how error messages call the array.

    Raises:
        TypeError: if the dtype is not floating point.
        ValueError: if the shape is wrong or a value is negative, NaN or infinite (the message
            quotes the offending value).
    """
    array = np.asarray(linear)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array, got dtype {array.dtype}")
    if array.ndim != 3 or array.shape[2] != 3 or 0 in array.shape:
        raise ValueError(f"{name} must have shape (H, W, 3) with H, W ≥ 1, got {array.shape}")
    with np.errstate(over="ignore"):  # values beyond float32 become inf, reported below
        array = array.astype(np.float32, copy=False)
    return check_values(array, name=name)


def check_values(array: np.ndarray, *, name: str = "linear") -> np.ndarray:
    """Return ``array`` unchanged after checking every value is finite and ≥ 0."""
    finite = np.isfinite(array)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{name} has {int((~finite).sum())} non-finite values (NaN or ±inf as float32), "
            f"the first at index {where}: {array[where]}"
        )
    if array.size and array.min() < 0:
        raise ValueError(
            f"{name} has negative values (min {float(array.min()):.6g}); linear radiance must be "
            "≥ 0: clip it first, e.g. np.maximum(linear, 0)"
        )
    return array
