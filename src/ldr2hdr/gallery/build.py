"""Build a before/after gallery folder from a folder of photos.

For every photo the gallery folder gets, under ``images/``: the input resized to fit a box
(``NAME_input.jpg``), the tone-mapped reconstruction (``NAME_preview.jpg``, the same size and
JPEG settings, so the two differ only in the reconstruction), the Ultra HDR JPEG (the same input
as its SDR image, the reconstruction in its gain map: ``NAME_hdr.jpg``) and the false-colour
luminance map (``NAME_luminance.png``). ``gallery.json`` lists them (the user study reads it)
and ``index.html`` shows them (works from ``file://``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.fs import write_files_atomically
from ldr2hdr.gallery.luminance import false_colour, legend_png, relative_luminance
from ldr2hdr.gallery.manifest import (
    IMAGES_FOLDER,
    INDEX_NAME,
    LEGEND_PATH,
    MANIFEST_NAME,
    Gallery,
    GalleryEntry,
    manifest_json,
    read_manifest,
)
from ldr2hdr.gallery.page import render_index
from ldr2hdr.io import PHOTO_SUFFIXES, read_icc_profile, read_ldr, write_hdr, write_preview
from ldr2hdr.io.marker import has_output_marker
from ldr2hdr.io.preview import JPEG_QUALITY

DEFAULT_BOX = (2048, 1080)
"""The paper resampled its real photos to 2048×1080."""

OUTPUT_SUFFIXES = {
    "input": "_input.jpg",
    "preview": "_preview.jpg",
    "uhdr": "_hdr.jpg",
    "luminance": "_luminance.png",
}
_SIZE_PATTERN = re.compile(r"^([1-9][0-9]*)[xX×]([1-9][0-9]*)$")
_NO_RESIZE = "none"
_UINT8_MAX = 255

Reconstruct = Callable[[np.ndarray], np.ndarray]
"""uint8 (H, W, 3) sRGB photo → float32 (H, W, 3) linear relative HDR (1.0 = input white)."""


def parse_box(text: str) -> tuple[int, int] | None:
    """``"2048x1080"`` → ``(2048, 1080)``; ``"none"`` → None (keep the photos' own size)."""
    if text.strip().lower() == _NO_RESIZE:
        return None
    match = _SIZE_PATTERN.match(text.strip())
    if match is None:
        raise ValueError(f"a size is WIDTHxHEIGHT in pixels (e.g. 2048x1080) or none, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def fit_size(width: int, height: int, box: tuple[int, int] | None) -> tuple[int, int]:
    """The size of a ``width``×``height`` photo shrunk to fit ``box``, aspect ratio kept.

    The box is turned to the photo's orientation (a 2048×1080 box holds a portrait photo as
    1080×2048), photos are never enlarged, and sides are rounded to whole pixels (at least 1).
    """
    if box is None:
        return width, height
    long_side, short_side = max(box), min(box)
    box_width, box_height = (long_side, short_side) if width >= height else (short_side, long_side)
    scale = min(1.0, box_width / width, box_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def find_photos(folder: Path) -> list[Path]:
    """The photo files directly inside ``folder`` (by suffix), sorted by name; files written by
    ``ldr2hdr`` (carrying its output marker, e.g. previews of ``convert``) are left out."""
    if not folder.is_dir():
        raise Ldr2HdrError(f"{folder}: no such folder")
    found = (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    return sorted(p for p in found if not has_output_marker(p))


def prepare_photo(path: Path, box: tuple[int, int] | None) -> np.ndarray:
    """Read a photo and shrink it to fit ``box`` (area averaging); uint8 (H, W, 3) sRGB."""
    image = read_ldr(path)
    height, width = image.shape[:2]
    new_width, new_height = fit_size(width, height, box)
    if (new_width, new_height) != (width, height):
        image = cv2.resize(image, (new_width, new_height), interpolation=cv2.INTER_AREA)
    return np.rint(np.clip(image, 0.0, 1.0) * _UINT8_MAX).astype(np.uint8)


def _encode(pixels: np.ndarray, image_format: str) -> bytes:
    buffer = io.BytesIO()
    options = {"quality": JPEG_QUALITY, "subsampling": 0} if image_format == "JPEG" else {}
    Image.fromarray(pixels, mode="RGB").save(buffer, format=image_format, **options)
    return buffer.getvalue()


def entry_paths(name: str) -> dict[str, str]:
    """Relative paths of a photo's outputs, by kind (``input``, ``preview``, ``uhdr``, ...)."""
    return {kind: f"{IMAGES_FOLDER}/{name}{suffix}" for kind, suffix in OUTPUT_SUFFIXES.items()}


def make_entry(
    photo: Path,
    out_dir: Path,
    reconstruct: Reconstruct,
    *,
    box: tuple[int, int] | None = DEFAULT_BOX,
    overwrite: bool = False,
) -> GalleryEntry:
    """Convert one photo and write its four gallery images under ``out_dir/images``."""
    pixels = prepare_photo(photo, box)
    linear = reconstruct(pixels)
    paths = entry_paths(photo.stem)
    files = {kind: out_dir / relative for kind, relative in paths.items()}
    files["input"].parent.mkdir(parents=True, exist_ok=True)
    write_files_atomically(
        {
            files["input"]: _encode(pixels, "JPEG"),
            files["luminance"]: _encode(false_colour(linear), "PNG"),
        },
        overwrite=overwrite,
    )
    icc = read_icc_profile(photo)
    write_hdr(files["uhdr"], linear, "uhdr", overwrite=overwrite, sdr=pixels, icc_profile=icc)
    write_preview(files["preview"], linear, overwrite=overwrite)
    luminance = relative_luminance(linear)
    height, width = pixels.shape[:2]
    return GalleryEntry(
        name=photo.stem,
        source=photo.name,
        width=width,
        height=height,
        peak=float(luminance.max()),
        above_white=float(np.mean(luminance > 1.0)),
        **paths,
    )


def _check_names(photos: Sequence[Path]) -> None:
    seen: dict[str, Path] = {}
    for photo in photos:
        if photo.stem in seen:
            raise Ldr2HdrError(
                f"{seen[photo.stem]} and {photo} have the same name {photo.stem!r}; "
                "the gallery names its images after the photo, so rename one"
            )
        seen[photo.stem] = photo


def _reusable(entry: GalleryEntry | None, out_dir: Path) -> bool:
    return entry is not None and all(
        (out_dir / relative).is_file() for relative in entry_paths(entry.name).values()
    )


def build_gallery(
    photos: Sequence[Path],
    out_dir: Path,
    reconstruct: Reconstruct,
    *,
    box: tuple[int, int] | None = DEFAULT_BOX,
    weights: str = "",
    overwrite: bool = False,
    progress: Callable[[Path], None] | None = None,
) -> Gallery:
    """Convert every photo into ``out_dir`` and write ``gallery.json`` and ``index.html``.

    A photo whose outputs exist from an earlier run is reused (``overwrite`` redoes it); a photo
    that fails is recorded with its reason and the others go on. ``progress`` is called with each
    photo after it is done. Raises :class:`Ldr2HdrError` if two photos share a name or
    ``out_dir`` holds an ``index.html`` that no gallery wrote (unless ``overwrite``).
    """
    _check_names(photos)
    out_dir.mkdir(parents=True, exist_ok=True)
    earlier = {entry.name: entry for entry in _earlier_entries(out_dir, overwrite=overwrite)}
    gallery = Gallery(weights=weights, box=box)
    for photo in photos:
        if not overwrite and _reusable(earlier.get(photo.stem), out_dir):
            gallery.entries.append(earlier[photo.stem])
            gallery.skipped += 1
        else:
            try:
                gallery.entries.append(
                    make_entry(photo, out_dir, reconstruct, box=box, overwrite=overwrite)
                )
            except (Ldr2HdrError, OSError, ValueError, TypeError) as exc:
                gallery.failures.append((photo.name, str(exc)))
        if progress is not None:
            progress(photo)
    write_files_atomically(
        {
            out_dir / LEGEND_PATH: legend_png(),
            out_dir / MANIFEST_NAME: manifest_json(gallery).encode(),
            out_dir / INDEX_NAME: render_index(gallery).encode(),
        },
        overwrite=True,
    )
    return gallery


def _earlier_entries(out_dir: Path, *, overwrite: bool) -> list[GalleryEntry]:
    if (out_dir / MANIFEST_NAME).is_file():
        return read_manifest(out_dir).entries
    if (out_dir / INDEX_NAME).exists() and not overwrite:
        raise Ldr2HdrError(
            f"{out_dir / INDEX_NAME} exists but is not from a gallery (no {MANIFEST_NAME}); "
            "choose another folder or pass --overwrite"
        )
    return []
