"""Deprecated alias of :mod:`ldr2hdr.runtime` (device availability); import from there.

This module only re-exports the name it used to define, and warns once on import.
"""

from __future__ import annotations

import warnings

from ldr2hdr.runtime import missing_device_reason

__all__ = ["missing_device_reason"]

warnings.warn(
    "ldr2hdr.devices is deprecated; import from ldr2hdr.runtime",
    DeprecationWarning,
    stacklevel=2,
)
