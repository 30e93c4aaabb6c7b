"""Read 8- and 16-bit photographs (LDR) as float32 RGB in [0, 1], EXIF orientation applied.

Pillow reads every header (format, size, mode, EXIF) and decodes 8-bit PNG, JPEG, WebP and BMP.
Pillow keeps only 8 bits of 16-bit colour, so 16-bit PNG pixels are decoded with imagecodecs;
TIFF pixels are decoded with OpenCV (8 or 16 bits, orientation applied by OpenCV).
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import imagecodecs
import numpy as np
from PIL import ExifTags, Image

from ldr2hdr.errors import ImageReadError, PixelLimitError
from ldr2hdr.io._common import DECODE_ERRORS, MAX_PIXELS, check_pixel_count, regular_file_size

LDR_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "BMP")
"""Pillow formats :func:`read_ldr` accepts (JPEG includes the multi-picture MPO of phones)."""

PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".mpo"})
"""Lower-case file suffixes taken for photos when a folder is searched (convert, gallery)."""

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
MAX_BYTES_PER_PIXEL = 16
"""File bytes a photo may take per pixel (uncompressed 16-bit RGBA takes 8; MPO frames more)."""
METADATA_ALLOWANCE_BYTES = 64 * 2**20
"""File bytes allowed beyond the pixels (EXIF thumbnails, ICC profiles, XMP, gain maps)."""
HEADER_READ_LIMIT_BYTES = 4 * 2**20
"""Bytes Pillow may read to find the image size; a header is a few kilobytes (APP segments
of 64 KB at most each), so junk that Pillow would scan byte by byte is refused fast."""


class _HeaderReader:
    """A read-only file wrapper that refuses to read more than ``limit`` bytes in all, except
    in one read of the whole rest (Pillow's WebP plugin needs it), up to ``whole_limit``."""

    def __init__(self, handle: io.BufferedReader, path: Path, limit: int, whole_limit: int):
        self._handle, self._path, self._left, self._whole_limit = handle, path, limit, whole_limit

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            data = self._handle.read(self._whole_limit + 1)
            if len(data) > self._whole_limit:
                raise ImageReadError(f"{self._path}: larger than the pixel limit allows")
            return data
        if size > self._left:
            raise ImageReadError(
                f"{self._path}: no image size found in its first {HEADER_READ_LIMIT_BYTES} bytes"
            )
        self._left -= size
        return self._handle.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()


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
        ImageReadError: the file is missing, not a regular file (FIFO, device, folder: refused
            without being opened), truncated, corrupt, not a supported image, larger than its
            header's pixel count can explain, or larger than ``max_pixels``
            (:class:`~ldr2hdr.errors.PixelLimitError`); the message names the file and the reason.
    """
    path = Path(path)
    data = _read_checked(path, max_pixels)
    try:
        with _open_header(path, io.BytesIO(data), max_pixels) as image:
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
    with _opened_header(path, MAX_PIXELS) as (image, _, _):
        return image.info.get("icc_profile") or None


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Return ``image`` (H, W, ...) turned upright for an EXIF orientation value (1–8).

    Values outside 1–8 are ignored, as Pillow's ``ImageOps.exif_transpose`` does.
    """
    upright = _ORIENTATIONS.get(orientation, _ORIENTATIONS[1])
    return np.ascontiguousarray(upright(image))


def _read_checked(path: Path, max_pixels: int) -> bytes:
    """The bytes of a regular file, read in full only after its header passed the pixel limit
    and its size fits the pixel count (a huge junk file is refused after a few kilobytes)."""
    with _opened_header(path, max_pixels) as (image, handle, size):
        width, height = image.size
        budget = width * height * MAX_BYTES_PER_PIXEL + METADATA_ALLOWANCE_BYTES
        if size > budget:
            raise ImageReadError(
                f"{path}: {size} bytes is far more than a {width}×{height} photo takes "
                f"(at most {budget}); not read"
            )
        handle.seek(0)
        return handle.read()


@contextlib.contextmanager
def _opened_header(
    path: Path, max_pixels: int
) -> Iterator[tuple[Image.Image, io.BufferedReader, int]]:
    """Yield (the image opened from its header only, the open file, its size) of a regular
    file; Pillow may read at most HEADER_READ_LIMIT_BYTES to find the header. Errors, the
    caller's included, become ImageReadError naming the file."""
    size = regular_file_size(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below, errors mapped separately)
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        with handle:
            whole_limit = max_pixels * MAX_BYTES_PER_PIXEL + METADATA_ALLOWANCE_BYTES
            header = _HeaderReader(handle, path, HEADER_READ_LIMIT_BYTES, whole_limit)
            with _open_header(path, header, max_pixels) as image:
                yield image, handle, size
    except ImageReadError:
        raise
    except DECODE_ERRORS as exc:
        raise ImageReadError(f"{path}: cannot decode the image: {exc}") from exc


def _open_header(path: Path, source: object, max_pixels: int) -> Image.Image:
    """Open ``source`` with Pillow (header only) and check its pixel count."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source, formats=LDR_FORMATS)
    except Image.DecompressionBombError as exc:
        raise PixelLimitError(f"{path}: {exc} (decompression-bomb protection)") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageReadError(
            f"{path}: not an image in a supported photo format ({', '.join(LDR_FORMATS)})"
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
