"""ldr2hdr: one 8-bit photo in, one high-dynamic-range image out.

Value domain used throughout: the network works in the NTIRE 2021 domain
``y = linear ** (1 / 2.24)``, where 1.0 is the input's clipping white (relative, not absolute,
luminance). Linear HDR is ``y ** 2.24``. Writers in :mod:`ldr2hdr.io` take linear values.
"""

from ldr2hdr._version import __version__
from ldr2hdr.errors import ImageReadError, ImageWriteError, Ldr2HdrError, WeightsError

__all__ = ["ImageReadError", "ImageWriteError", "Ldr2HdrError", "WeightsError", "__version__"]
