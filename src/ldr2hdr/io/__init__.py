"""Image input and output: read any photo, write every HDR format people view.

Value convention: the network works in the NTIRE 2021 domain ``y = linear ** (1 / 2.24)``, where
1.0 is the input photo's clipping white (relative, not absolute, luminance); linear HDR is
``y ** 2.24``. Readers of HDR files return linear values (``read_ntire`` the NTIRE domain);
writers take linear values. See docs/io.md for the formats, libraries and limits.
"""

from ldr2hdr.errors import ImageReadError, ImageWriteError
from ldr2hdr.io._common import MAX_PIXELS, NTIRE_GAMMA
from ldr2hdr.io.hdr_read import read_hdr
from ldr2hdr.io.hdr_write import FORMAT_BY_SUFFIX, HDR_FORMATS, write_hdr
from ldr2hdr.io.ldr import (
    LDR_FORMATS,
    PHOTO_SUFFIXES,
    apply_orientation,
    read_icc_profile,
    read_ldr,
)
from ldr2hdr.io.ntire import alignratio_path, encode_ntire, read_ntire
from ldr2hdr.io.preview import TONEMAP_METHODS, srgb_oetf, tonemap, write_preview

__all__ = [
    "FORMAT_BY_SUFFIX",
    "HDR_FORMATS",
    "LDR_FORMATS",
    "MAX_PIXELS",
    "NTIRE_GAMMA",
    "PHOTO_SUFFIXES",
    "TONEMAP_METHODS",
    "ImageReadError",
    "ImageWriteError",
    "alignratio_path",
    "apply_orientation",
    "encode_ntire",
    "read_hdr",
    "read_icc_profile",
    "read_ldr",
    "read_ntire",
    "srgb_oetf",
    "tonemap",
    "write_hdr",
    "write_preview",
]
