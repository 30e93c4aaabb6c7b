"""False-colour maps of reconstructed luminance, in stops relative to the input's white.

The map shows ``log2 Y`` of the reconstruction, where ``Y`` is the Rec. 709 / sRGB relative
luminance of the linear HDR image (1.0 = the input photo's clipping white, so 0 stops is the
brightest an 8-bit photo can record and everything above 0 is reconstructed highlight). The range
``[LOG2_MIN, LOG2_MAX]`` is fixed, so the colours of different photos compare directly; values
outside it take the end colours.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ldr2hdr.domain import REC709_LUMINANCE

REC709_LUMA = np.asarray(REC709_LUMINANCE, dtype=np.float32)
"""Relative luminance weights of linear Rec. 709 / sRGB RGB (ITU-R BT.709), float32."""

LOG2_MIN = -8.0
"""Darkest stop shown (8 stops below the input's white); darker values take the end colour."""

LOG2_MAX = 4.0
"""Brightest stop shown (16 × the input's white); brighter values take the end colour."""

COLORMAP = "turbo"
LEGEND_TICK_STEP = 2.0
LEGEND_SIZE_INCHES = (6.4, 1.1)
LEGEND_DPI = 100
_UINT8_MAX = 255


def relative_luminance(linear: np.ndarray) -> np.ndarray:
    """Relative luminance of a linear image.

    Args:
        linear: float (H, W, 3), ≥ 0, linear relative RGB (1.0 = the input's white).

    Returns:
        float32 (H, W), ≥ 0, linear relative luminance ``0.2126 R + 0.7152 G + 0.0722 B``.
    """
    array = np.asarray(linear)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"linear must be an (H, W, 3) array, got shape {array.shape}")
    return array.astype(np.float32, copy=False) @ REC709_LUMA


def log2_luminance(linear: np.ndarray) -> np.ndarray:
    """``log2`` of :func:`relative_luminance`, floored one stop below ``LOG2_MIN``.

    Returns:
        float32 (H, W): stops relative to the input's white (0 = white, +1 = twice as bright).
    """
    floor = np.float32(2.0 ** (LOG2_MIN - 1.0))
    return np.log2(np.maximum(relative_luminance(linear), floor))


def false_colour(linear: np.ndarray) -> np.ndarray:
    """Colour-code the log2 relative luminance with the ``turbo`` colormap.

    Args:
        linear: float (H, W, 3), ≥ 0, linear relative RGB (1.0 = the input's white).

    Returns:
        uint8 (H, W, 3) sRGB colours: ``COLORMAP((clip(log2 Y, LOG2_MIN, LOG2_MAX) - LOG2_MIN)
        / (LOG2_MAX - LOG2_MIN))``, rounded to 8 bits.
    """
    stops = np.clip(log2_luminance(linear), LOG2_MIN, LOG2_MAX)
    fraction = (stops - LOG2_MIN) / (LOG2_MAX - LOG2_MIN)
    rgba = colormaps[COLORMAP](fraction)
    return np.rint(rgba[..., :3] * _UINT8_MAX).astype(np.uint8)


def legend_png() -> bytes:
    """A PNG colour bar for :func:`false_colour`: stops from ``LOG2_MIN`` to ``LOG2_MAX``."""
    figure = Figure(figsize=LEGEND_SIZE_INCHES, dpi=LEGEND_DPI, layout="constrained")
    axes = figure.add_subplot()
    mappable = ScalarMappable(norm=Normalize(LOG2_MIN, LOG2_MAX), cmap=colormaps[COLORMAP])
    bar = figure.colorbar(mappable, cax=axes, orientation="horizontal")
    bar.set_ticks(np.arange(LOG2_MIN, LOG2_MAX + LEGEND_TICK_STEP, LEGEND_TICK_STEP))
    bar.set_label("log2 relative luminance (stops; 0 = the input's white)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
