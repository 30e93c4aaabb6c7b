"""The gallery's records: ``gallery.json`` (what :mod:`ldr2hdr.gallery.build` writes, the page
and the user study read) and the names of the files in a gallery folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from ldr2hdr.errors import Ldr2HdrError

MANIFEST_NAME = "gallery.json"
INDEX_NAME = "index.html"
IMAGES_FOLDER = "images"
LEGEND_PATH = f"{IMAGES_FOLDER}/luminance-legend.png"
MANIFEST_FORMAT = "ldr2hdr-gallery"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class GalleryEntry:
    """One photo of a gallery; paths are POSIX paths relative to the gallery folder."""

    name: str
    source: str
    width: int
    height: int
    input: str
    preview: str
    uhdr: str
    luminance: str
    peak: float
    """Highest relative luminance of the reconstruction (1.0 = the input's white)."""
    above_white: float
    """Fraction of pixels whose reconstructed relative luminance exceeds the input's white."""


@dataclass
class Gallery:
    """What ``gallery.json`` holds."""

    weights: str
    box: tuple[int, int] | None
    entries: list[GalleryEntry] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(photo file name, reason) of each photo that could not be converted."""
    skipped: int = 0
    """Photos whose outputs already existed and were reused (not stored in the manifest)."""


def manifest_json(gallery: Gallery) -> str:
    """The text of ``gallery.json`` for ``gallery`` (indented JSON, one trailing newline)."""
    content = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "weights": gallery.weights,
        "box": list(gallery.box) if gallery.box else None,
        "photos": [asdict(entry) for entry in gallery.entries],
        "failed": [{"source": source, "reason": reason} for source, reason in gallery.failures],
    }
    return json.dumps(content, indent=1) + "\n"


def read_manifest(folder: Path) -> Gallery:
    """Read ``folder/gallery.json``.

    Raises:
        Ldr2HdrError: the file is missing, not JSON, not a gallery manifest, or an entry's path
            is absolute or climbs out of the folder (``..``); the message names the file.
    """
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise Ldr2HdrError(
            f"{folder}: not a gallery ({MANIFEST_NAME} is missing); "
            f"build one first with: ldr2hdr gallery PHOTOS_DIR {folder}"
        )
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        if content.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"format is {content.get('format')!r}, not {MANIFEST_FORMAT!r}")
        entries = [GalleryEntry(**entry) for entry in content["photos"]]
        failures = [(item["source"], item["reason"]) for item in content.get("failed", [])]
        box = tuple(content["box"]) if content.get("box") else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Ldr2HdrError(f"{path}: not a valid gallery manifest: {exc}") from exc
    for entry in entries:
        for relative in (entry.input, entry.preview, entry.uhdr, entry.luminance):
            _check_relative(path, relative)
    return Gallery(weights=content.get("weights", ""), box=box, entries=entries, failures=failures)


def _check_relative(manifest: Path, relative: str) -> None:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative:
        raise Ldr2HdrError(f"{manifest}: image path {relative!r} leaves the gallery folder")
