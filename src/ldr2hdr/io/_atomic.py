"""The image writers' atomic writing: :mod:`ldr2hdr.fs` raising :class:`ImageWriteError`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ldr2hdr import fs
from ldr2hdr.errors import ImageWriteError


def write_files_atomically(files: Mapping[Path, bytes], *, overwrite: bool = False) -> None:
    """:func:`ldr2hdr.fs.write_files_atomically` for images: failures raise ImageWriteError."""
    fs.write_files_atomically(files, overwrite=overwrite, error=ImageWriteError)
