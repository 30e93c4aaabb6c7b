"""Deprecated alias of :mod:`ldr2hdr.runtime` (device availability); import from there."""

from __future__ import annotations

from ldr2hdr.runtime import missing_device_reason

__all__ = ["missing_device_reason"]
