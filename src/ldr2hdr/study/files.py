"""The study folder's images, and the one check every served file passes: it is inside its root.

A path is resolved (``..`` removed, symbolic links followed) before the check, so neither a
crafted request nor a link inside the folder that points elsewhere can reach other files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.gallery import read_manifest
from ldr2hdr.study.storage import CONDITIONS


class OutsideFolderError(Ldr2HdrError, LookupError):
    """A requested file is not a regular file inside the folder it must come from."""


def file_inside(root: Path, relative: str) -> Path:
    """``root / relative`` resolved, if that is an existing regular file inside ``root``.

    Args:
        root: an absolute, resolved folder.
        relative: a path relative to ``root`` (as taken from a manifest or a URL).

    Raises:
        OutsideFolderError: the path is absolute, contains a NUL, resolves outside ``root``
            (``..``, a symbolic link out) or is not an existing regular file.
    """
    if "\0" in relative or Path(relative).is_absolute():
        raise OutsideFolderError(f"{relative!r} is not a path inside {root}")
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise OutsideFolderError(f"{relative!r} is not a file inside {root}")
    return path


@dataclass(frozen=True)
class StudyFolder:
    """A gallery folder as the study sees it: per photo, the file of each condition."""

    root: Path
    photos: dict[str, dict[str, str]]
    """photo name → {"input": relative path, "reconstruction": relative path}."""

    def file(self, photo: str, condition: str) -> Path:
        """The checked, resolved file showing ``photo`` under ``condition``."""
        if photo not in self.photos or condition not in CONDITIONS:
            raise OutsideFolderError(f"no image for photo {photo!r}, condition {condition!r}")
        return file_inside(self.root, self.photos[photo][condition])


def load_study_folder(folder: str | Path) -> StudyFolder:
    """Read a gallery folder's ``gallery.json`` and check that every image is inside it.

    Raises:
        Ldr2HdrError: ``folder`` is not a gallery (the message says to run ``ldr2hdr gallery``
            first), lists no photos, or lists an image that is missing or outside the folder.
    """
    root = Path(folder).resolve()
    gallery = read_manifest(root)
    if not gallery.entries:
        raise Ldr2HdrError(f"{folder}: the gallery has no photos")
    photos = {
        entry.name: {"input": entry.input, "reconstruction": entry.preview}
        for entry in gallery.entries
    }
    study = StudyFolder(root=root, photos=photos)
    for name in photos:
        for condition in CONDITIONS:
            try:
                study.file(name, condition)
            except OutsideFolderError as exc:
                raise Ldr2HdrError(f"{folder}: photo {name!r}: {exc}") from exc
    return study
