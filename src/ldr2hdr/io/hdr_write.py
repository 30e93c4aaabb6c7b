"""Write linear HDR images: OpenEXR, Radiance RGBE, 16-bit PNG/TIFF, NTIRE pairs, Ultra HDR JPEG.

Every writer takes linear relative radiance (1.0 = the LDR input's clipping white) and writes
through :func:`ldr2hdr.fs.write_files_atomically` (temporary file, then rename; no
overwrite unless asked) and marks the file as this package's output (:mod:`ldr2hdr.io.marker`).
Libraries: OpenEXR for EXR, imagecodecs for RGBE, PNG, TIFF and Ultra HDR (libultrahdr; with the
photo as base image, :mod:`ldr2hdr.io.gainmap`), numpy for the ``.npy`` alignratio.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import imagecodecs
import numpy as np
import OpenEXR

from ldr2hdr.errors import ImageWriteError
from ldr2hdr.io._atomic import write_files_atomically
from ldr2hdr.io._common import check_linear
from ldr2hdr.io.gainmap import encode_ultrahdr
from ldr2hdr.io.marker import MARKER_TEXT, jpeg_with_marker
from ldr2hdr.io.ntire import ALIGNRATIO_KEY, alignratio_path, encode_ntire

HDR_FORMATS = ("exr", "hdr", "png16", "tiff16", "ntire", "uhdr")
"""Values of ``write_hdr``'s ``format``."""

FORMAT_BY_SUFFIX = {
    ".exr": "exr",
    ".hdr": "hdr",
    ".rgbe": "hdr",
    ".pic": "hdr",
    ".png": "png16",
    ".tif": "tiff16",
    ".tiff": "tiff16",
    ".jpg": "uhdr",
    ".jpeg": "uhdr",
}
"""The format ``write_hdr`` picks from the file name when ``format`` is None."""

EXR_DTYPES = {"half": np.float16, "float": np.float32}
HALF_MAX = 65504.0
"""The largest finite half float."""

UHDR_QUALITY = 95
"""Default JPEG quality (0–100) of the Ultra HDR base image and gain map."""
UHDR_MIN_SIDE = 8
UHDR_MAX_SIDE = 65535
"""libultrahdr's limits on the image width and height."""
_UHDR_ALPHA = 1.0
_UINT8_MAX = 255
_PERCENT = 100

_EXR_HEADER = {
    "compression": OpenEXR.ZIP_COMPRESSION,
    "type": OpenEXR.scanlineimage,
    "software": MARKER_TEXT,
}
_PNG_IHDR_END = 33  # 8-byte signature + IHDR chunk (4 length + 4 type + 13 data + 4 CRC)
_PNG_TEXT_CHUNK = b"tEXt"
_PNG_SOFTWARE_KEY = "Software"
_RGBE_MARKER_LINE = f"SOFTWARE={MARKER_TEXT}\n".encode("ascii")
_TIFF_COMPRESSION = "deflate"
_RGBE_HEADER_BYTES = 1024
_RGBE_WORST_CASE_BYTES_PER_PIXEL = 8  # 4 bytes + RLE count bytes + per-row markers, with margin


def write_hdr(
    path: str | os.PathLike[str],
    linear: np.ndarray,
    format: str | None = None,
    *,
    overwrite: bool = False,
    exr_dtype: str = "half",
    uhdr_quality: int = UHDR_QUALITY,
    sdr: np.ndarray | None = None,
    icc_profile: bytes | None = None,
) -> Path:
    """Write a linear HDR image.

    Formats (``format``, or from the suffix: see ``FORMAT_BY_SUFFIX``):

    - ``exr``: OpenEXR, ZIP (lossless), channels R, G, B, half floats (``exr_dtype="half"``,
      values must be ≤ 65504) or 32-bit floats (``exr_dtype="float"``); values as given.
    - ``hdr``: Radiance RGBE (run-length encoded); values as given.
    - ``png16`` / ``tiff16``: one 16-bit RGB file holding the NTIRE encoding
      (``round(linear ** (1/2.24) * alignratio)``, brightest value → 65535) with alignratio
      embedded (PNG text chunk / TIFF ImageDescription), so read_hdr restores the scale.
    - ``ntire``: the NTIRE 2021 pair ``NNNN.png`` (same pixels) + ``NNNN_alignratio.npy``
      (float32); ``path`` must end in ``.png``.
    - ``uhdr``: Ultra HDR JPEG (JPEG + gain map), at least 8×8 pixels; 1.0 is the SDR white of
      the HDR rendition. With ``sdr`` (the photo), the JPEG every viewer shows is that photo and
      the gain map (HDR / SDR, up to 2⁸) carries the reconstruction (see
      :mod:`ldr2hdr.io.gainmap`). Without it, libultrahdr renders its own darker SDR image
      from ``linear``, and values above about 49 (10,000 cd/m²) saturate.

    Args:
        path: the file to write (for ``ntire``, the PNG; the .npy goes beside it).
        linear: float (H, W, 3), finite, ≥ 0, linear relative radiance (1.0 = LDR white).
        format: one of ``HDR_FORMATS`` or None to choose from the suffix.
        overwrite: replace existing files; otherwise an existing target is an error.
        exr_dtype: ``"half"`` or ``"float"``, the EXR sample type.
        uhdr_quality: JPEG quality 0–100 of the Ultra HDR base image and gain map.
        sdr: ``uhdr`` only (ignored otherwise): the photo as the base image, upright, same height
            and width as ``linear``: uint8 sRGB codes (H, W, 3) or (H, W) for grey, or float
            in [0, 1] (``read_ldr``'s output; 16-bit photos are rounded to 8 bits).
        icc_profile: ``uhdr`` with ``sdr`` only: the photo's ICC profile, embedded if it is an
            RGB profile; otherwise sRGB is declared.

    Returns:
        The path of the image written.

    Raises:
        TypeError, ValueError: ``linear`` or an option is invalid (the message quotes it).
        ImageWriteError: unknown format, existing target, missing folder, or failed write.
    """
    path = Path(path)
    image = check_linear(linear)
    chosen = _choose_format(path, format)
    if exr_dtype not in EXR_DTYPES:
        raise ValueError(f"exr_dtype must be one of {sorted(EXR_DTYPES)}, got {exr_dtype!r}")
    if not isinstance(uhdr_quality, int) or not 0 <= uhdr_quality <= _PERCENT:
        raise ValueError(f"uhdr_quality must be in 0–100, got {uhdr_quality!r}")
    try:
        if chosen == "uhdr" and sdr is not None:
            files = {path: _encode_uhdr_on_photo(image, sdr, uhdr_quality, icc_profile)}
        else:
            files = _encode(path, image, chosen, exr_dtype=exr_dtype, uhdr_quality=uhdr_quality)
    except RuntimeError as exc:  # imagecodecs and OpenEXR encoder failures
        raise ImageWriteError(f"{path}: cannot encode as {chosen}: {exc}") from exc
    write_files_atomically(files, overwrite=overwrite)
    return path


def _choose_format(path: Path, format: str | None) -> str:
    if format is None:
        chosen = FORMAT_BY_SUFFIX.get(path.suffix.lower())
        if chosen is None:
            raise ImageWriteError(
                f"{path}: cannot tell the format from the suffix {path.suffix!r}; pass format= "
                f"(one of {', '.join(HDR_FORMATS)}) or use one of {', '.join(FORMAT_BY_SUFFIX)}"
            )
        return chosen
    if not isinstance(format, str) or format.lower() not in HDR_FORMATS:
        raise ImageWriteError(f"{path}: unknown format {format!r}; use one of {HDR_FORMATS}")
    return format.lower()


def _encode(
    path: Path, image: np.ndarray, chosen: str, *, exr_dtype: str, uhdr_quality: int
) -> dict[Path, bytes]:
    """Return ``{target path: file content}`` for every file the format writes."""
    if chosen == "exr":
        return {path: _encode_exr(image, exr_dtype)}
    if chosen == "hdr":
        return {path: _encode_rgbe(image)}
    if chosen == "uhdr":
        return {path: jpeg_with_marker(_encode_uhdr(image, uhdr_quality))}
    pixels, alignratio = encode_ntire(image)
    png = _png_with_text(imagecodecs.png_encode(pixels), _PNG_SOFTWARE_KEY, MARKER_TEXT)
    if chosen == "png16":
        return {path: _png_with_text(png, ALIGNRATIO_KEY, repr(float(alignratio)))}
    if chosen == "tiff16":
        description = f"{ALIGNRATIO_KEY}={float(alignratio)!r}"
        content = imagecodecs.tiff_encode(
            pixels, compression=_TIFF_COMPRESSION, description=description, software=MARKER_TEXT
        )
        return {path: content}
    if path.suffix.lower() != ".png":
        raise ImageWriteError(f"{path}: the ntire format writes a .png file (NNNN.png)")
    buffer = io.BytesIO()
    np.save(buffer, alignratio, allow_pickle=False)
    return {alignratio_path(path): buffer.getvalue(), path: png}


def _encode_exr(image: np.ndarray, exr_dtype: str) -> bytes:
    if exr_dtype == "half" and image.max() > HALF_MAX:
        raise ValueError(
            f"linear has values up to {float(image.max()):.6g}, above {HALF_MAX} (the largest "
            "half float); pass exr_dtype='float'"
        )
    channels = {"RGB": np.ascontiguousarray(image, dtype=EXR_DTYPES[exr_dtype])}
    buffer = io.BytesIO()
    OpenEXR.File(dict(_EXR_HEADER), channels).write(buffer)
    return buffer.getvalue()


def _encode_rgbe(image: np.ndarray) -> bytes:
    # imagecodecs sizes its output buffer for compressible data only; run-length encoding of
    # noisy rows can exceed 4 bytes a pixel, so pass an ample buffer (the result is trimmed).
    height, width = image.shape[:2]
    capacity = _RGBE_HEADER_BYTES + _RGBE_WORST_CASE_BYTES_PER_PIXEL * height * width
    encoded = bytes(imagecodecs.rgbe_encode(image, out=capacity))
    first_line_end = encoded.index(b"\n") + 1  # after "#?RADIANCE"
    return encoded[:first_line_end] + _RGBE_MARKER_LINE + encoded[first_line_end:]


def _encode_uhdr_on_photo(
    image: np.ndarray, sdr: object, quality: int, icc_profile: bytes | None
) -> bytes:
    """Ultra HDR with the photo ``sdr`` as base image (see ``write_hdr``)."""
    base = _check_sdr(sdr, image.shape)
    _check_uhdr_size(image)
    return encode_ultrahdr(base, image, quality=quality, icc_profile=icc_profile)


def _check_sdr(sdr: object, shape: tuple[int, ...]) -> np.ndarray:
    """Return the base image as uint8 (H, W, 3) sRGB codes; see ``write_hdr``'s ``sdr``."""
    if not isinstance(sdr, np.ndarray) or not (
        sdr.dtype == np.uint8 or np.issubdtype(sdr.dtype, np.floating)
    ):
        kind = sdr.dtype if isinstance(sdr, np.ndarray) else type(sdr).__name__
        raise TypeError(f"sdr must be a uint8 or float NumPy array, got {kind}")
    if sdr.ndim == 2:
        sdr = np.repeat(sdr[..., None], 3, axis=2)
    if sdr.shape != shape:
        raise ValueError(f"sdr must have the shape of linear {shape}, got {sdr.shape}")
    if sdr.dtype == np.uint8:
        return np.ascontiguousarray(sdr)
    low, high = float(np.min(sdr)), float(np.max(sdr))
    if not (low >= 0.0 and high <= 1.0):  # also catches NaN
        raise ValueError(f"float sdr values must lie in [0, 1], got range [{low}, {high}]")
    return np.rint(sdr * _UINT8_MAX).astype(np.uint8)


def _check_uhdr_size(image: np.ndarray) -> None:
    height, width = image.shape[:2]
    if min(height, width) < UHDR_MIN_SIDE or max(height, width) > UHDR_MAX_SIDE:
        raise ValueError(
            f"Ultra HDR needs {UHDR_MIN_SIDE} to {UHDR_MAX_SIDE} pixels a side, "
            f"got {width}×{height}"
        )


def _encode_uhdr(image: np.ndarray, quality: int) -> bytes:
    _check_uhdr_size(image)
    height, width = image.shape[:2]
    rgba = np.full((height, width, 4), _UHDR_ALPHA, dtype=np.float16)
    rgba[..., :3] = np.minimum(image, HALF_MAX)
    return imagecodecs.ultrahdr_encode(rgba, level=quality, gamut=imagecodecs.ULTRAHDR.CG.BT_709)


def _png_with_text(png: bytes, keyword: str, text: str) -> bytes:
    """Insert a PNG ``tEXt`` chunk right after the IHDR chunk of an encoded PNG."""
    body = keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    crc = zlib.crc32(_PNG_TEXT_CHUNK + body)
    chunk = struct.pack(">I", len(body)) + _PNG_TEXT_CHUNK + body + struct.pack(">I", crc)
    return png[:_PNG_IHDR_END] + chunk + png[_PNG_IHDR_END:]
