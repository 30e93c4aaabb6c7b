"""Ultra HDR JPEG whose primary image is the photo itself and whose gain map holds the HDR.

The file is an Ultra HDR v1 / Adobe gain-map JPEG: the primary image is the 8-bit sRGB photo
(what every JPEG viewer shows), a second JPEG holds a three-channel gain map, and the XMP
``hdrgm`` metadata tells an HDR-capable decoder how to apply it:

    HDR = (SDR + offset_sdr) · 2 ** lerp(GainMapMin, GainMapMax, code / 255) − offset_hdr

with SDR and HDR linear, 1.0 = the photo's white. libultrahdr (through imagecodecs) encodes only
from an HDR image and renders its own SDR base, so this module writes the container itself:
Pillow encodes the two JPEGs (with the XMP, EXIF and ICC segments), Pillow's TIFF directory
writer builds the MPF index that links them, as Pillow's own MPO writer does.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, TiffImagePlugin

from ldr2hdr.io.marker import jpeg_with_marker
from ldr2hdr.io.preview import (
    SRGB_EXPONENT,
    SRGB_LINEAR_LIMIT,
    SRGB_LINEAR_SLOPE,
    SRGB_OFFSET,
    SRGB_SCALE,
)

GAIN_MAP_OFFSET = 1.0 / 64.0
"""OffsetSDR and OffsetHDR (linear, 1.0 = white): the Adobe default; keeps the gain of black and
near-black pixels near 1 so that they do not widen the gain range."""
GAIN_MAP_GAMMA = 1.0
"""hdrgm:Gamma: the gain is already coded in stops, which spreads the 256 codes evenly."""
MAX_BOOST_STOPS = 8.0
"""The largest gain stored, in stops (256 × the photo's value); brighter pixels are clipped."""
MIN_RANGE_STOPS = 1.0 / 16.0
"""The narrowest GainMapMin–GainMapMax range, so that a constant gain is still coded."""
MIN_HEADROOM_STOPS = 1.0 / 16.0
"""The smallest HDRCapacityMax: decoders need it above HDRCapacityMin (0 stops)."""

_CODE_MAX = 255
_SRGB_CUTOFF = SRGB_LINEAR_LIMIT * SRGB_LINEAR_SLOPE  # encoded value where the curve starts
_ORIENTATION_TAG = 0x0112
_UPRIGHT = 1
_SUBSAMPLING_444 = 0
_APP_MARKERS = range(0xFFE0, 0xFFF0)
_SOI_LENGTH = 2
_MPF_HEADER = b"MPF\0"
_MPF_TIFF_HEADER = b"II*\0" + struct.pack("<I", 8)  # little endian, first IFD at offset 8
_MP_VERSION, _MP_COUNT, _MP_ENTRIES = 0xB000, 0xB001, 0xB002
_MP_PRIMARY_JPEG = 0x030000  # MP entry attribute: baseline primary image
_MP_OTHER_JPEG = 0x000000

_PRIMARY_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Container="http://ns.google.com/photos/1.0/container/"
    xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
    xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"
    hdrgm:Version="1.0">
   <Container:Directory>
    <rdf:Seq>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/>
     </rdf:li>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg" Item:Length="{length}"/>
     </rdf:li>
    </rdf:Seq>
   </Container:Directory>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""

_GAIN_MAP_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"
    hdrgm:Version="1.0"
    hdrgm:GainMapMin="{p.min_stops:.6f}"
    hdrgm:GainMapMax="{p.max_stops:.6f}"
    hdrgm:Gamma="{p.gamma:.6f}"
    hdrgm:OffsetSDR="{p.offset:.6f}"
    hdrgm:OffsetHDR="{p.offset:.6f}"
    hdrgm:HDRCapacityMin="0.000000"
    hdrgm:HDRCapacityMax="{p.headroom_stops:.6f}"
    hdrgm:BaseRenditionIsHDR="False"/>
 </rdf:RDF>
</x:xmpmeta>"""


@dataclass(frozen=True)
class GainMapParameters:
    """The hdrgm values of one image; gains in stops (log2), offsets linear (1.0 = white)."""

    min_stops: float
    max_stops: float
    headroom_stops: float
    gamma: float = GAIN_MAP_GAMMA
    offset: float = GAIN_MAP_OFFSET


def srgb_to_linear(codes: np.ndarray) -> np.ndarray:
    """8-bit sRGB codes (uint8, any shape) → linear light, float32 in [0, 1], same shape."""
    encoded = np.arange(_CODE_MAX + 1, dtype=np.float64) / _CODE_MAX
    curve = ((encoded + SRGB_OFFSET) / SRGB_SCALE) ** (1.0 / SRGB_EXPONENT)
    table = np.where(encoded <= _SRGB_CUTOFF, encoded / SRGB_LINEAR_SLOPE, curve)
    return table.astype(np.float32)[codes]


def compute_gain_map(sdr: np.ndarray, linear: np.ndarray) -> tuple[np.ndarray, GainMapParameters]:
    """The gain map that turns the photo ``sdr`` into the reconstruction ``linear``.

    Args:
        sdr: uint8 (H, W, 3), the photo's sRGB codes.
        linear: float (H, W, 3), ≥ 0, linear HDR (1.0 = the photo's white).

    Returns:
        uint8 (H, W, 3) gain-map codes (0 → GainMapMin, 255 → GainMapMax, linear in stops) and
        the image's parameters: the range is the image's smallest and largest gain.
    """
    offset = np.float32(GAIN_MAP_OFFSET)
    hdr = np.asarray(linear, dtype=np.float32)
    stops = np.log2((hdr + offset) / (srgb_to_linear(sdr) + offset))
    stops = np.minimum(stops, np.float32(MAX_BOOST_STOPS))
    low, high = float(stops.min()), float(stops.max())
    if high - low < MIN_RANGE_STOPS:
        low = min(low, high - MIN_RANGE_STOPS)
    parameters = GainMapParameters(
        min_stops=low, max_stops=high, headroom_stops=max(high, MIN_HEADROOM_STOPS)
    )
    scaled = (stops - np.float32(low)) / np.float32(high - low) * _CODE_MAX
    return np.rint(np.clip(scaled, 0, _CODE_MAX)).astype(np.uint8), parameters


def encode_ultrahdr(
    sdr: np.ndarray, linear: np.ndarray, *, quality: int, icc_profile: bytes | None = None
) -> bytes:
    """Encode an Ultra HDR JPEG: ``sdr`` as the primary image, ``linear`` through the gain map.

    Args:
        sdr: uint8 (H, W, 3), the photo's sRGB codes, upright (EXIF orientation 1 is written).
        linear: float (H, W, 3), ≥ 0, linear HDR (1.0 = the photo's white), same size as ``sdr``.
        quality: JPEG quality 0–100 of both images (4:4:4, no chroma subsampling).
        icc_profile: the photo's RGB ICC profile; None, or a profile that is not an RGB one,
            declares sRGB.

    Returns:
        The file's bytes. The gain is computed against the base image as it decodes, so the base
        JPEG's own error cancels out of the HDR rendition.
    """
    coded_sdr = _decode(_jpeg(sdr, quality))  # the base as decoders will see it
    codes, parameters = compute_gain_map(coded_sdr, linear)
    gain_map = _jpeg(codes, quality, xmp=_GAIN_MAP_XMP.format(p=parameters).encode())
    exif = Image.Exif()
    exif[_ORIENTATION_TAG] = _UPRIGHT
    primary = jpeg_with_marker(  # the marker first: the MPF index below counts it
        _jpeg(
            sdr,
            quality,
            xmp=_PRIMARY_XMP.format(length=len(gain_map)).encode(),
            exif=exif.tobytes(),
            icc_profile=_rgb_profile(icc_profile),
        )
    )
    return _with_mpf(primary, len(gain_map)) + gain_map


def _jpeg(pixels: np.ndarray, quality: int, **segments: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(
        buffer, "JPEG", quality=quality, subsampling=_SUBSAMPLING_444, **segments
    )
    return buffer.getvalue()


def _decode(jpeg: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(jpeg)) as image:
        return np.asarray(image.convert("RGB"))


def _rgb_profile(icc_profile: bytes | None) -> bytes:
    """``icc_profile`` if it is a readable RGB profile, else Little CMS's sRGB profile."""
    if icc_profile:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        except (OSError, ImageCms.PyCMSError):
            profile = None
        if profile is not None and profile.profile.xcolor_space == "RGB ":
            return icc_profile
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _with_mpf(primary: bytes, gain_map_length: int) -> bytes:
    """Insert an MPF (CIPA DC-007) APP2 segment indexing the primary image and the gain map
    that follows it, after the primary's last APPn segment."""
    position = _end_of_app_segments(primary)
    segment_length = len(_mpf_segment(0, 0))
    primary_length = len(primary) + segment_length
    tiff_start = position + 4 + len(_MPF_HEADER)  # marker and length, then "MPF\0"
    segment = _mpf_segment(primary_length, gain_map_length, primary_length - tiff_start)
    return primary[:position] + segment + primary[position:]


def _mpf_segment(primary_length: int, gain_map_length: int, gain_map_offset: int = 0) -> bytes:
    entries = struct.pack("<LLLHH", _MP_PRIMARY_JPEG, primary_length, 0, 0, 0)
    entries += struct.pack("<LLLHH", _MP_OTHER_JPEG, gain_map_length, gain_map_offset, 0, 0)
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[_MP_VERSION] = b"0100"
    ifd[_MP_COUNT] = 2
    ifd[_MP_ENTRIES] = entries
    body = _MPF_HEADER + _MPF_TIFF_HEADER + ifd.tobytes(len(_MPF_TIFF_HEADER))
    return struct.pack(">HH", 0xFFE2, len(body) + 2) + body


def _end_of_app_segments(jpeg: bytes) -> int:
    """The byte offset just after the APPn segments that follow the JPEG's SOI marker."""
    position = _SOI_LENGTH
    while struct.unpack_from(">H", jpeg, position)[0] in _APP_MARKERS:
        position += 2 + struct.unpack_from(">H", jpeg, position + 2)[0]
    return position
