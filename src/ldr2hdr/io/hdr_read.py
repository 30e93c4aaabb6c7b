"""Read HDR images (OpenEXR, Radiance RGBE, PFM, NTIRE pairs, Ultra HDR JPEG) as linear RGB.

The format is recognised from the file's first bytes, not its name. Libraries: OpenEXR
(``OpenEXR.File``) for EXR, imagecodecs for RGBE and Ultra HDR, a few lines of numpy for PFM
(a text header plus raw float32), Pillow and imagecodecs for the NTIRE 16-bit PNG/TIFF.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path

import imagecodecs
import numpy as np
import OpenEXR
from PIL import Image

from ldr2hdr.domain import ntire_to_linear
from ldr2hdr.errors import ImageReadError
from ldr2hdr.io._common import (
    DECODE_ERRORS,
    MAX_PIXELS,
    check_pixel_count,
    read_file,
)
from ldr2hdr.io.ntire import read_ntire

_EXR_MAGIC = b"\x76\x2f\x31\x01"
_RGBE_MAGIC = b"#?"
_PFM_MAGIC = b"P"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
_JPEG_MAGIC = b"\xff\xd8\xff"

_RGBE_HEADER_END = re.compile(rb"\n\n")
_RGBE_RESOLUTION = re.compile(rb"([-+][XY]) (\d+) ([-+][XY]) (\d+)\n")
_RGBE_STANDARD_AXES = (b"-Y", b"+X")
_PFM_HEADER = re.compile(rb"\A(PF|Pf)\s+(\d+)\s+(\d+)\s+([-+0-9.eE]+)\s")
_PFM_CHANNELS = {b"PF": 3, b"Pf": 1}
_RGB = 3

_Reader = Callable[[Path, bytes, int], np.ndarray]


def read_hdr(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an HDR image as linear RGB.

    Formats (recognised by content): OpenEXR (any compression, DWAB included; RGB, RGBA or Y
    channels), Radiance ``.hdr`` (RGBE), PFM, a 16-bit NTIRE frame (``NNNN_gt.png`` +
    ``NNNN_alignratio.npy``, or a png16/tiff16 file of this package: linearised as
    ``(uint16 / alignratio) ** 2.24``) and Ultra HDR JPEG (the HDR rendition, 1.0 = SDR white).

    Args:
        path: the image file.
        max_pixels: decompression-bomb limit on width × height, checked from the header.

    Returns:
        float32 (H, W, 3), linear radiance as stored (relative for NTIRE and Ultra HDR files,
        whatever scale the file has otherwise), ≥ 0: negative values of EXR and PFM files (e.g.
        the tiny ones a lossy DWAB codec leaves) are clamped to 0. Colour primaries are not
        converted.

    Raises:
        ImageReadError: missing, truncated, corrupt or unsupported file, non-finite values, or
            more than ``max_pixels`` pixels; the message names the file and the reason.
    """
    path = Path(path)
    data = read_file(path)
    if data.startswith((_PNG_MAGIC, *_TIFF_MAGICS)):
        return ntire_to_linear(read_ntire(path, max_pixels=max_pixels))
    reader = _reader_for(data)
    if reader is None:
        raise ImageReadError(
            f"{path}: not an HDR image this package reads (it starts with {data[:8]!r}); "
            "supported: OpenEXR, Radiance .hdr, PFM, NTIRE 16-bit PNG, Ultra HDR JPEG"
        )
    try:
        rgb = reader(path, data, max_pixels)
    except ImageReadError:
        raise
    except DECODE_ERRORS as exc:
        raise ImageReadError(f"{path}: cannot decode the image: {exc}") from exc
    return _checked(path, rgb)


def _reader_for(data: bytes) -> _Reader | None:
    if data.startswith(_EXR_MAGIC):
        return _read_exr
    if data.startswith(_RGBE_MAGIC):
        return _read_rgbe
    if data.startswith(_PFM_MAGIC) and _PFM_HEADER.match(data):
        return _read_pfm
    if data.startswith(_JPEG_MAGIC):
        return _read_ultrahdr
    return None


def _checked(path: Path, rgb: np.ndarray) -> np.ndarray:
    """Return float32 contiguous RGB with negatives clamped; reject NaN and infinities."""
    rgb = np.ascontiguousarray(rgb, dtype=np.float32)
    non_finite = int(np.count_nonzero(~np.isfinite(rgb)))
    if non_finite:
        raise ImageReadError(f"{path}: {non_finite} pixel values are NaN or infinite")
    return np.maximum(rgb, np.float32(0), out=rgb)


def _read_exr(path: Path, data: bytes, max_pixels: int) -> np.ndarray:
    with OpenEXR.File(io.BytesIO(data), header_only=True) as header_file:
        low, high = header_file.header()["dataWindow"]
    check_pixel_count(path, int(high[0] - low[0] + 1), int(high[1] - low[1] + 1), max_pixels)
    with OpenEXR.File(io.BytesIO(data)) as exr:
        channels = {name: channel.pixels for name, channel in exr.channels().items()}
    for name in ("RGB", "RGBA"):
        if name in channels:
            return channels[name][..., :_RGB]
    layers = [p for p in channels.values() if p.ndim == _RGB and p.shape[2] in (3, 4)]
    if len(layers) == 1:
        return layers[0][..., :_RGB]
    if "Y" in channels:
        return np.repeat(channels["Y"][..., None], _RGB, axis=2)
    raise ImageReadError(
        f"{path}: no RGB, RGBA or Y channels in the EXR file (found {sorted(channels)})"
    )


def _read_rgbe(path: Path, data: bytes, max_pixels: int) -> np.ndarray:
    end = _RGBE_HEADER_END.search(data)
    resolution = _RGBE_RESOLUTION.match(data, end.end()) if end else None
    if resolution is None:
        raise ImageReadError(f"{path}: Radiance header without a resolution line")
    first_axis, height, second_axis, width = resolution.groups()
    if (first_axis, second_axis) != _RGBE_STANDARD_AXES:
        raise ImageReadError(
            f"{path}: unsupported Radiance orientation {resolution.group(0).strip()!r} "
            "(only '-Y H +X W' is read)"
        )
    check_pixel_count(path, int(width), int(height), max_pixels)
    return imagecodecs.rgbe_decode(data)


def _read_pfm(path: Path, data: bytes, max_pixels: int) -> np.ndarray:
    header = _PFM_HEADER.match(data)
    kind, width, height, scale = header.groups()
    width, height, channels = int(width), int(height), _PFM_CHANNELS[kind]
    check_pixel_count(path, width, height, max_pixels)
    byte_order = "<" if float(scale) < 0 else ">"
    count = width * height * channels
    if len(data) - header.end() < count * 4:
        raise ImageReadError(f"{path}: truncated PFM file ({len(data)} bytes)")
    values = np.frombuffer(data, dtype=f"{byte_order}f4", count=count, offset=header.end())
    rows = values.reshape(height, width, channels)[::-1]  # PFM stores the bottom row first
    return np.repeat(rows, _RGB, axis=2) if channels == 1 else rows


def _read_ultrahdr(path: Path, data: bytes, max_pixels: int) -> np.ndarray:
    if not imagecodecs.ultrahdr_check(data):
        raise ImageReadError(
            f"{path}: a plain JPEG without an HDR gain map (an LDR photo: use read_ldr)"
        )
    with Image.open(io.BytesIO(data)) as image:
        check_pixel_count(path, *image.size, max_pixels)
    return imagecodecs.ultrahdr_decode(data)[..., :_RGB]
