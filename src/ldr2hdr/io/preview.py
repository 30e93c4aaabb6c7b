"""Tone-map linear HDR to 8-bit display images for ordinary (SDR) screens.

``tonemap`` is a global operator (the same curve for every pixel) applied per channel:

1. exposure: ``s = linear * 2 ** exposure``;
2. curve (``method``):
   - ``"shoulder"`` (default): identity up to the knee ``k = 0.75``, then a Reinhard shoulder
     ``k + (1 - k) * u / (1 + u)`` with ``u = (s - k) / (1 - k)``, continuous in value and
     slope, approaching 1 as ``s`` grows; LDR white ``s = 1`` → 0.875 (sRGB code 240);
   - ``"clip"``: ``min(s, 1)``, what an LDR camera would have recorded;
3. the sRGB OETF (IEC 61966-2-1) to display values in [0, 1].

``"paper"`` is the paper's visualisation instead: the NTIRE-domain values
``(s / max(linear)) ** (1 / 2.24)``, i.e. normalised by the image maximum, clipped to [0, 1]
(no sRGB OETF: what a viewer shows for an NTIRE 16-bit PNG).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from ldr2hdr.errors import ImageWriteError
from ldr2hdr.io._atomic import write_files_atomically
from ldr2hdr.io._common import NTIRE_GAMMA, check_linear, check_values
from ldr2hdr.io.marker import MARKER_TEXT

TONEMAP_METHODS = ("shoulder", "clip", "paper")
SHOULDER_KNEE = 0.75
"""Linear display value up to which the shoulder curve is the identity."""

SRGB_LINEAR_LIMIT = 0.0031308
SRGB_LINEAR_SLOPE = 12.92
SRGB_SCALE = 1.055
SRGB_OFFSET = 0.055
SRGB_EXPONENT = 1.0 / 2.4

PREVIEW_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
JPEG_QUALITY = 95
_MAX_8_BIT = 255


def srgb_oetf(linear: np.ndarray) -> np.ndarray:
    """Encode linear display light in [0, 1] with the sRGB OETF; float32, same shape, [0, 1]."""
    linear = np.clip(linear, 0.0, 1.0).astype(np.float32, copy=False)
    curve = SRGB_SCALE * np.power(linear, np.float32(SRGB_EXPONENT)) - SRGB_OFFSET
    return np.where(linear <= SRGB_LINEAR_LIMIT, SRGB_LINEAR_SLOPE * linear, curve).astype(
        np.float32
    )


def shoulder(scaled: np.ndarray, *, knee: float = SHOULDER_KNEE) -> np.ndarray:
    """The default tone curve: identity below ``knee``, Reinhard shoulder above; [0, 1)."""
    excess = np.maximum(scaled - knee, 0.0) / (1.0 - knee)
    rolled = knee + (1.0 - knee) * excess / (1.0 + excess)
    return np.where(scaled <= knee, scaled, rolled).astype(np.float32)


def tonemap(linear: np.ndarray, *, exposure: float = 0.0, method: str = "shoulder") -> np.ndarray:
    """Map linear HDR to display values (see the module docstring for the formulas).

    Args:
        linear: float array of any shape (usually (H, W, 3)), finite, ≥ 0, linear relative
            radiance (1.0 = LDR white).
        exposure: stops of gain applied first (``2 ** exposure``); negative to see highlights.
        method: ``"shoulder"`` (default), ``"clip"`` or ``"paper"``.

    Returns:
        float32, same shape, display-referred values in [0, 1] (sRGB-encoded, except ``"paper"``,
        which gives gamma-2.24 NTIRE-domain values normalised by the maximum).
    """
    if method not in TONEMAP_METHODS:
        raise ValueError(f"method must be one of {TONEMAP_METHODS}, got {method!r}")
    if not np.isfinite(exposure):
        raise ValueError(f"exposure must be a finite number of stops, got {exposure!r}")
    array = np.asarray(linear)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"linear must be a floating-point array, got dtype {array.dtype}")
    array = check_values(array.astype(np.float32, copy=False))
    gain = np.float32(2.0**exposure)
    if method == "paper":
        peak = float(array.max()) if array.size else 0.0
        normalised = array * (gain / peak) if peak > 0 else np.zeros_like(array)
        display = np.power(np.clip(normalised, 0.0, 1.0), np.float32(1.0 / NTIRE_GAMMA))
        return display.astype(np.float32)
    scaled = array * gain
    curve = shoulder(scaled) if method == "shoulder" else np.minimum(scaled, 1.0)
    return srgb_oetf(curve)


def write_preview(
    path: str | os.PathLike[str],
    linear: np.ndarray,
    exposure: float = 0.0,
    *,
    method: str = "shoulder",
    overwrite: bool = False,
    jpeg_quality: int = JPEG_QUALITY,
) -> Path:
    """Write an 8-bit sRGB PNG or JPEG preview of a linear HDR image (format from the suffix).

    Args:
        path: ``.png``, ``.jpg`` or ``.jpeg`` file to write.
        linear: float (H, W, 3), finite, ≥ 0, linear relative radiance (1.0 = LDR white).
        exposure: stops of gain before tone mapping.
        method: tone-mapping method, see :func:`tonemap`.
        overwrite: replace an existing file; otherwise an existing target is an error.
        jpeg_quality: JPEG quality 1–95 (Pillow's scale); colour is not subsampled (4:4:4).

    Returns:
        The path written. Pixels are ``round(255 * tonemap(linear, ...))``.

    Raises:
        TypeError, ValueError: invalid ``linear`` or option.
        ImageWriteError: unsupported suffix, existing target, missing folder, failed write.
    """
    path = Path(path)
    image_format = PREVIEW_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise ImageWriteError(
            f"{path}: a preview is a {', '.join(PREVIEW_FORMATS)} file, got {path.suffix!r}"
        )
    display = tonemap(check_linear(linear), exposure=exposure, method=method)
    pixels = np.rint(display * _MAX_8_BIT).astype(np.uint8)
    buffer = io.BytesIO()
    if image_format == "JPEG":
        options = {"quality": jpeg_quality, "subsampling": 0, "comment": MARKER_TEXT}
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", MARKER_TEXT)
        options = {"pnginfo": info}
    Image.fromarray(pixels, mode="RGB").save(buffer, format=image_format, **options)
    write_files_atomically({path: buffer.getvalue()}, overwrite=overwrite)
    return path
