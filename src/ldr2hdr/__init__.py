"""ldr2hdr: one 8-bit photo in, one high-dynamic-range image out.

Value domain used throughout: the network works in the NTIRE 2021 domain
``y = linear ** (1 / 2.24)``, where 1.0 is the input's clipping white (relative, not absolute,
luminance). Linear HDR is ``y ** 2.24``. Writers in :mod:`ldr2hdr.io` take linear values.

``ldr2hdr.reconstruct`` and ``ldr2hdr.Reconstructor`` (from :mod:`ldr2hdr.inference`) are
imported on first use, so ``import ldr2hdr`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from ldr2hdr._version import __version__
from ldr2hdr.errors import ImageReadError, ImageWriteError, Ldr2HdrError, WeightsError

_LAZY = {"reconstruct": "ldr2hdr.inference", "Reconstructor": "ldr2hdr.inference"}

__all__ = [
    "ImageReadError",
    "ImageWriteError",
    "Ldr2HdrError",
    "Reconstructor",
    "WeightsError",
    "__version__",
    "reconstruct",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ldr2hdr' has no attribute {name!r}")
