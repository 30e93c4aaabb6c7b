"""Write files so that a target is either left untouched or replaced by complete new content."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from ldr2hdr.errors import ImageWriteError, TargetExistsError

_TEMP_TOKEN_BYTES = 6


def write_files_atomically(files: Mapping[Path, bytes], *, overwrite: bool = False) -> None:
    """Write each ``{target: content}`` pair through a temporary file in the target's folder.

    Every content is first written in full to a hidden temporary file next to its target; only
    then are the temporary files renamed onto their targets with :func:`os.replace`, in the order
    given. Temporary files are removed whatever happens.

    Raises:
        TargetExistsError: if a target exists and ``overwrite`` is false.
        ImageWriteError: if a target is a folder, its folder
            is missing, or the operating system refuses a write or a rename.
    """
    for target in files:
        _check_target(target, overwrite=overwrite)
    staged: list[tuple[Path, Path]] = []
    current = next(iter(files), Path())
    try:
        for current, content in files.items():
            staged.append((_stage(current, content), current))
        for temporary, current in staged:
            os.replace(temporary, current)
    except OSError as exc:
        raise ImageWriteError(f"{current}: cannot write: {exc.strerror or exc}") from exc
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _check_target(target: Path, *, overwrite: bool) -> None:
    if target.is_dir():
        raise ImageWriteError(f"{target}: is a folder, not a file name")
    if not target.parent.is_dir():
        raise ImageWriteError(f"{target}: the folder {target.parent} does not exist")
    if target.exists() and not overwrite:
        raise TargetExistsError(f"{target}: already exists (not replaced)")


def _stage(target: Path, content: bytes) -> Path:
    """Write ``content`` to a new hidden file beside ``target`` and return its path."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(_TEMP_TOKEN_BYTES)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except FileExistsError:
        raise
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return temporary
