"""The NTIRE 2021 HDR storage convention: 16-bit gamma-2.24 pixels and an alignratio scale.

A frame is ``uint16 = round(y * alignratio)`` with ``y = linear ** (1 / 2.24)`` and
``alignratio = 65535 / max(y)``; the NTIRE-domain values are ``uint16 / alignratio``. The
challenge stores alignratio beside the PNG (``NNNN_alignratio.npy``); the ``png16`` and ``tiff16``
writers of this package embed it in the file instead (PNG text chunk / TIFF ImageDescription).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import imagecodecs
import numpy as np
from PIL import Image

from ldr2hdr.domain import linear_to_ntire
from ldr2hdr.errors import ImageReadError
from ldr2hdr.io._common import (
    DECODE_ERRORS,
    MAX_PIXELS,
    check_pixel_count,
    read_file,
)

NTIRE_WHITE = 65535
"""The uint16 code the brightest value of a frame is stored as."""

ALIGNRATIO_KEY = "ldr2hdr:alignratio"
"""PNG text-chunk keyword (and TIFF ImageDescription prefix ``KEY=``) holding alignratio."""

_GT_SUFFIX = "_gt"
_SIDECAR_SUFFIX = "_alignratio.npy"
_TIFF_IMAGE_DESCRIPTION = 270
_PIXEL_DECODERS = {"PNG": imagecodecs.png_decode, "TIFF": imagecodecs.tiff_decode}
_RGB = 3


def alignratio_path(image_path: str | os.PathLike[str]) -> Path:
    """Return the NTIRE alignratio file of a frame: ``NNNN_gt.png`` or ``NNNN.png`` →
    ``NNNN_alignratio.npy`` in the same folder."""
    image_path = Path(image_path)
    stem = image_path.stem.removesuffix(_GT_SUFFIX)
    return image_path.with_name(stem + _SIDECAR_SUFFIX)


def encode_ntire(linear: np.ndarray) -> tuple[np.ndarray, np.float32]:
    """Encode linear HDR the NTIRE way.

    Args:
        linear: float32 (H, W, 3), finite, ≥ 0, linear relative radiance (1.0 = LDR white).

    Returns:
        ``(pixels, alignratio)``: uint16 (H, W, 3) ``round(y * alignratio)`` with
        ``y = linear ** (1 / 2.24)``, and the float32 scalar ``alignratio = 65535 / max(y)``
        (65535 for an all-black image, as if its maximum were 1).
    """
    y = linear_to_ntire(np.asarray(linear, dtype=np.float64))
    peak = float(y.max())
    alignratio = np.float32(NTIRE_WHITE / peak) if peak > 0 else np.float32(NTIRE_WHITE)
    pixels = np.clip(np.rint(y * float(alignratio)), 0, NTIRE_WHITE).astype(np.uint16)
    return pixels, alignratio


def read_ntire(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a 16-bit NTIRE-convention frame and return its NTIRE-domain values.

    ``path`` is a 16-bit RGB PNG or TIFF: an NTIRE pair (``NNNN_gt.png`` or ``NNNN.png`` with
    ``NNNN_alignratio.npy`` beside it) or a ``png16``/``tiff16`` file of this package, whose
    alignratio is embedded. An embedded alignratio wins over a sidecar file.

    Returns:
        float32 (H, W, 3), ``uint16 / alignratio``: the NTIRE domain ``y = linear ** (1 / 2.24)``,
        relative (1.0 = the LDR input's clipping white), ≥ 0, no upper bound. Linear is
        ``y ** 2.24`` (what :func:`ldr2hdr.io.read_hdr` returns).

    Raises:
        ImageReadError: the image or its alignratio is missing, corrupt, not 16-bit RGB, or the
            image is larger than ``max_pixels``.
    """
    path = Path(path)
    data = read_file(path)
    try:
        with Image.open(io.BytesIO(data), formats=tuple(_PIXEL_DECODERS)) as image:
            width, height = image.size
            check_pixel_count(path, width, height, max_pixels)
            embedded = _embedded_alignratio(image)
            decode = _PIXEL_DECODERS[image.format]
        pixels = decode(data)
    except ImageReadError:
        raise
    except Image.UnidentifiedImageError as exc:
        raise ImageReadError(f"{path}: not a PNG or TIFF file") from exc
    except DECODE_ERRORS as exc:
        raise ImageReadError(f"{path}: cannot decode the image: {exc}") from exc
    if pixels.dtype != np.uint16 or pixels.shape != (height, width, _RGB):
        raise ImageReadError(
            f"{path}: an NTIRE frame must be 16-bit RGB, got {pixels.dtype} {pixels.shape}"
        )
    if embedded is None:
        return pixels.astype(np.float32) / _read_sidecar(path)
    return pixels.astype(np.float32) / _parse_alignratio(path, embedded)


def _embedded_alignratio(image: Image.Image) -> str | None:
    """The alignratio text a png16/tiff16 file carries, or None."""
    if image.format == "PNG":
        return image.info.get(ALIGNRATIO_KEY)
    description = image.tag_v2.get(_TIFF_IMAGE_DESCRIPTION, "")
    prefix = ALIGNRATIO_KEY + "="
    return description.removeprefix(prefix) if description.startswith(prefix) else None


def _read_sidecar(path: Path) -> np.float32:
    sidecar = alignratio_path(path)
    if not sidecar.is_file():
        raise ImageReadError(
            f"{path}: no alignratio: neither embedded in the file nor in {sidecar.name} beside it "
            "(an ordinary 16-bit photo is read with read_ldr)"
        )
    try:
        value = np.load(sidecar, allow_pickle=False)
    except DECODE_ERRORS as exc:
        raise ImageReadError(f"{sidecar}: cannot read the alignratio: {exc}") from exc
    if not isinstance(value, np.ndarray) or value.size != 1:
        raise ImageReadError(f"{sidecar}: alignratio must be one number, got {value!r}")
    return _parse_alignratio(sidecar, value.reshape(()).item())


def _parse_alignratio(source: Path, value: object) -> np.float32:
    try:
        alignratio = np.float32(value)
    except (TypeError, ValueError) as exc:
        raise ImageReadError(f"{source}: alignratio {value!r} is not a number") from exc
    if not (np.isfinite(alignratio) and alignratio > 0):
        raise ImageReadError(f"{source}: alignratio must be finite and > 0, got {value!r}")
    return alignratio
