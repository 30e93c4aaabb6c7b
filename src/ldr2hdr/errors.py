"""The package's exception types.

Every error caused by a user's input derives from :class:`Ldr2HdrError`, so the CLI can print it
as one line (no traceback) and callers can catch one type.
"""

from __future__ import annotations


class Ldr2HdrError(Exception):
    """Base class of every error the package raises for bad user input."""


class ImageReadError(Ldr2HdrError, ValueError):
    """An image file is missing, truncated, corrupt, too large or of an unsupported type."""


class WriteError(Ldr2HdrError, OSError):
    """A file could not be written (target exists, missing or unwritable folder, full disk)."""


class ImageWriteError(WriteError):
    """An image could not be written (target exists, unknown format, unwritable folder)."""


class WeightsError(Ldr2HdrError, ValueError):
    """A weights file is missing, truncated, corrupt or made for another architecture."""


class DeviceError(Ldr2HdrError, ValueError):
    """A device was asked for (``cuda``, ``mps``) that this machine or PyTorch build lacks."""


class PixelLimitError(ImageReadError):
    """An image has more pixels than the reader's limit (``max_pixels``, ``--max-pixels``)."""


class TargetExistsError(ImageWriteError):
    """An output file exists and replacing it was not asked for (``overwrite``).

    Raised by every atomic writer (:mod:`ldr2hdr.fs`), images or not; it stays an
    :class:`ImageWriteError` so ``except ImageWriteError`` around the image writers still works.
    """
