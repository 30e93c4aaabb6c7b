"""Shared constants and checks of :mod:`ldr2hdr.io`: pixel limit, file checks (the value domain
and image checks come from :mod:`ldr2hdr.domain`)."""

from __future__ import annotations

import os
import stat
import struct
import zlib
from pathlib import Path

from PIL import Image

from ldr2hdr.domain import NTIRE_GAMMA, check_linear, check_values
from ldr2hdr.errors import ImageReadError, PixelLimitError

__all__ = [
    "DECODE_ERRORS",
    "MAX_PIXELS",
    "NTIRE_GAMMA",
    "check_linear",
    "check_pixel_count",
    "check_values",
    "read_file",
    "regular_file_size",
]

MAX_PIXELS = 178_956_970
"""Default decompression-bomb limit (width × height) checked from the header, before decoding.

It equals Pillow's own hard limit (``2 * PIL.Image.MAX_IMAGE_PIXELS``), so one number applies to
every format; pass ``max_pixels=`` to a reader to change it (see docs/io.md).
"""

DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # Pillow: unidentified or truncated file
    ValueError,  # Pillow, OpenEXR: bad values or no image part
    RuntimeError,  # imagecodecs *Error classes, OpenEXR: cannot open
    SyntaxError,  # some Pillow plugins on malformed headers
    EOFError,
    IndexError,  # imagecodecs.tiff_decode on truncated files
    KeyError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,  # Pillow's own pixel limit (see MAX_PIXELS)
)
"""Exceptions the decoding libraries raise for corrupt input; readers turn them into
:class:`~ldr2hdr.errors.ImageReadError`."""


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def regular_file_size(path: Path) -> int:
    """The size in bytes of ``path``; ImageReadError unless it is a regular file.

    Only ``stat`` is called, so a FIFO or device is refused without being opened (no hang, no
    endless read).
    """
    try:
        mode = os.stat(path)
    except FileNotFoundError as exc:
        raise ImageReadError(f"{path}: file not found") from exc
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    for is_kind, kind in _FILE_KINDS:
        if is_kind(mode.st_mode):
            raise ImageReadError(f"{path}: is {kind}, not an image file")
    if not stat.S_ISREG(mode.st_mode):
        raise ImageReadError(f"{path}: not a regular file")
    return mode.st_size


def read_file(path: Path, *, max_bytes: int | None = None) -> bytes:
    """Return the bytes of a regular file; raise ImageReadError naming it if it cannot be read,
    is not a regular file, or is larger than ``max_bytes`` (checked before reading)."""
    size = regular_file_size(path)
    if max_bytes is not None and size > max_bytes:
        raise ImageReadError(
            f"{path}: {size} bytes is more than an image within the pixel limit can take "
            f"({max_bytes} bytes)"
        )
    try:
        with open(path, "rb") as handle:
            return handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def check_pixel_count(path: Path, width: int, height: int, max_pixels: int) -> None:
    """Raise ImageReadError if a ``width`` × ``height`` image is empty or above ``max_pixels``."""
    if width <= 0 or height <= 0:
        raise ImageReadError(f"{path}: the header gives an empty image ({width}×{height})")
    if width * height > max_pixels:
        raise PixelLimitError(
            f"{path}: {width}×{height} = {width * height} pixels is more than the limit of "
            f"{max_pixels} pixels (decompression-bomb protection)"
        )
