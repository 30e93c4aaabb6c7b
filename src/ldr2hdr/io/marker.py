"""The mark every file this package writes carries, so its outputs are never taken as inputs.

Each writer stores the text ``ldr2hdr-output`` (followed by the package version) where its
format keeps free text: OpenEXR ``software`` header attribute, Radiance ``SOFTWARE=`` header
line, PNG ``Software`` text chunk, TIFF ``Software`` tag, JPEG comment (COM) segment (Ultra HDR
and previews). :func:`has_output_marker` looks for it near the start and the end of a file
(the TIFF tag data is written after the pixels), so renamed outputs are recognised too.
"""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

from ldr2hdr._version import __version__

OUTPUT_MARKER = "ldr2hdr-output"
MARKER_TEXT = f"{OUTPUT_MARKER} (ldr2hdr {__version__})"
"""The text written into every output file."""
MARKER_SEARCH_BYTES = 65536
"""How many bytes at the start and at the end of a file are searched for the marker."""
_JPEG_SOI = b"\xff\xd8"
_JPEG_COMMENT = b"\xff\xfe"
_SEGMENT_LENGTH_BYTES = 2


def jpeg_with_marker(jpeg: bytes) -> bytes:
    """Return ``jpeg`` with a comment segment holding the marker right after its SOI marker.

    The segment goes before every other segment, so the offsets of an Ultra HDR file's
    multi-picture index (relative to its own APP2 segment) stay valid.
    """
    if not jpeg.startswith(_JPEG_SOI):
        raise ValueError(f"not a JPEG stream (starts with {jpeg[:2]!r})")
    body = MARKER_TEXT.encode("ascii")
    segment = _JPEG_COMMENT + struct.pack(">H", len(body) + _SEGMENT_LENGTH_BYTES) + body
    return _JPEG_SOI + segment + jpeg[len(_JPEG_SOI) :]


def has_output_marker(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a regular file carrying this package's output marker.

    Reads at most ``2 * MARKER_SEARCH_BYTES`` bytes; a FIFO, device or folder is never opened.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return False
        needle = OUTPUT_MARKER.encode("ascii")
        with open(Path(path), "rb") as handle:
            if needle in handle.read(MARKER_SEARCH_BYTES):
                return True
            if info.st_size <= MARKER_SEARCH_BYTES:
                return False
            handle.seek(max(0, info.st_size - MARKER_SEARCH_BYTES))
            return needle in handle.read(MARKER_SEARCH_BYTES)
    except OSError:
        return False
