"""Read 8- and 16-bit photographs (LDR) as float32 RGB in [0, 1], EXIF orientation applied.

Pillow reads every header (format, size, mode, EXIF) and decodes 8-bit PNG, JPEG, WebP and BMP.
Pillow keeps only 8 bits of 16-bit colour, so 16-bit PNG pixels are decoded with imagecodecs;
TIFF pixels are decoded with OpenCV (8 or 16 bits, orientation applied by OpenCV).
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import cv2
import imagecodecs
import numpy as np
from PIL import ExifTags, Image

from ldr2hdr.errors import ImageReadError
from ldr2hdr.io._common import DECODE_ERRORS, MAX_PIXELS, check_pixel_count, read_file

LDR_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "BMP")
"""Pillow formats :func:`read_ldr` accepts (JPEG includes the multi-picture MPO of phones)."""

_SUPPORTED_MODES = frozenset(
    {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr"}
    | {"I;16", "I;16B", "I;16L", "I;16N"}
)
"""Pillow modes of 8- and 16-bit images (16-bit colour opens as "RGB"/"RGBA" in Pillow)."""
_ALPHA_MODES = frozenset({"LA", "PA", "RGBA"})
_MAX_8_BIT = 255.0
_MAX_16_BIT = 65535.0
_PNG_BIT_DEPTH_OFFSET = 24  # 8-byte signature, IHDR length and type, width, height, bit depth
_SIXTEEN = 16
_OPENCV_COLOUR_ANY_DEPTH = cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH
_OPENCV_PEAKS = {np.dtype(np.uint8): _MAX_8_BIT, np.dtype(np.uint16): _MAX_16_BIT}

_ORIENTATIONS: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],  # mirrored left-right
    3: lambda a: a[::-1, ::-1],  # rotated 180°
    4: lambda a: a[::-1],  # mirrored top-bottom
    5: lambda a: a.transpose(1, 0, 2),  # transposed (mirrored about the main diagonal)
    6: lambda a: np.rot90(a, k=-1),  # stored rotated 90° counter-clockwise: turn clockwise
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],  # transversed (about the anti-diagonal)
    8: lambda a: np.rot90(a, k=1),  # stored rotated 90° clockwise: turn counter-clockwise
}
"""EXIF orientation value → the operation that turns the stored pixels upright."""


def read_ldr(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a photograph as display-referred RGB.

    Accepts PNG, JPEG, TIFF, WebP and BMP with 8 or 16 bits per sample; grayscale and palette
    images are expanded to RGB, CMYK is converted to RGB, alpha is dropped (colours are kept as
    stored, not composited). The EXIF orientation tag is applied.

    Args:
        path: the image file.
        max_pixels: decompression-bomb limit on width × height, checked before decoding.

    Returns:
        float32 array (H, W, 3), values in [0, 1]: the file's encoded (sRGB, gamma) values divided
        by 255 or 65535, not linearised.

    Raises:
        ImageReadError: the file is missing, truncated, corrupt, not a supported image, or larger
            than ``max_pixels``; the message names the file and the reason.
    """
    path = Path(path)
    data = read_file(path)
    try:
        with _open_header(path, data, max_pixels) as image:
            if image.mode not in _SUPPORTED_MODES:
                raise ImageReadError(f"{path}: unsupported pixel mode {image.mode!r} for a photo")
            if image.format == "TIFF":
                return _decode_tiff(path, data)
            if image.format == "PNG" and data[_PNG_BIT_DEPTH_OFFSET] == _SIXTEEN:
                rgb = _decode_16_bit_png(path, data, image)
            else:
                rgb = _decode_8_bit(image)
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except ImageReadError:
        raise
    except DECODE_ERRORS as exc:
        raise ImageReadError(f"{path}: cannot decode the image: {exc}") from exc
    return apply_orientation(rgb, orientation)


def read_icc_profile(path: str | os.PathLike[str]) -> bytes | None:
    """Return the ICC profile embedded in a photo, or None if it has none (header only).

    Raises:
        ImageReadError: as :func:`read_ldr`, for a missing, unreadable or unsupported file.
    """
    path = Path(path)
    data = read_file(path)
    with _open_header(path, data, MAX_PIXELS) as image:
        return image.info.get("icc_profile") or None


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Return ``image`` (H, W, ...) turned upright for an EXIF orientation value (1–8).

    Values outside 1–8 are ignored, as Pillow's ``ImageOps.exif_transpose`` does.
    """
    upright = _ORIENTATIONS.get(orientation, _ORIENTATIONS[1])
    return np.ascontiguousarray(upright(image))


def _open_header(path: Path, data: bytes, max_pixels: int) -> Image.Image:
    """Open ``data`` with Pillow (header only) and check its pixel count."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=LDR_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageReadError(
            f"{path}: {exc} (Pillow's own limit; raise PIL.Image.MAX_IMAGE_PIXELS too)"
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageReadError(
            f"{path}: not an image in a supported LDR format ({', '.join(LDR_FORMATS)}); "
            "for HDR files use read_hdr"
        ) from exc
    width, height = image.size
    try:
        check_pixel_count(path, width, height, max_pixels)
    except ImageReadError:
        image.close()
        raise
    return image


def _decode_8_bit(image: Image.Image) -> np.ndarray:
    """Decode with Pillow to float32 RGB in [0, 1], as stored (orientation not applied)."""
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    converted = image.convert("RGBA" if has_alpha else "RGB")
    return np.asarray(converted, dtype=np.float32)[..., :3] / np.float32(_MAX_8_BIT)


def _decode_16_bit_png(path: Path, data: bytes, image: Image.Image) -> np.ndarray:
    """Decode a 16-bit PNG with imagecodecs (Pillow keeps 8 bits of colour); expand gray, drop
    alpha; orientation not applied."""
    pixels = imagecodecs.png_decode(data)
    width, height = image.size
    if pixels.shape[:2] != (height, width) or pixels.dtype != np.uint16:
        raise ImageReadError(
            f"{path}: unexpected 16-bit PNG layout: decoded {pixels.dtype} {pixels.shape}, "
            f"expected uint16 ({height}, {width}, channels)"
        )
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    rgb = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    return rgb.astype(np.float32) / np.float32(_MAX_16_BIT)


def _decode_tiff(path: Path, data: bytes) -> np.ndarray:
    """Decode a TIFF with OpenCV, which applies its orientation tag itself (Pillow 13 does too,
    but scrambles uncompressed gray, palette and CMYK TIFFs with orientation 5–8), keeps 16
    bits, and converts gray, palette and CMYK to RGB; alpha dropped."""
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), _OPENCV_COLOUR_ANY_DEPTH)
    if bgr is None:
        raise ImageReadError(f"{path}: OpenCV cannot decode the TIFF (truncated or corrupt?)")
    if bgr.dtype not in _OPENCV_PEAKS or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ImageReadError(f"{path}: unsupported TIFF samples: {bgr.dtype} {bgr.shape}")
    rgb = bgr[..., ::-1].astype(np.float32) / np.float32(_OPENCV_PEAKS[bgr.dtype])
    return np.ascontiguousarray(rgb)
