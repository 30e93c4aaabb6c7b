"""Atomic file writing: a target is either left untouched or replaced by complete new content.

Every writer of the package goes through here (floor 1): a temporary file with a unique hidden
name is written in the target's folder, flushed to disk, then renamed onto the target with
:func:`os.replace` (atomic on one file system); the temporary file is removed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path

from ldr2hdr.errors import TargetExistsError, WriteError

_TEMP_TOKEN_BYTES = 6


def check_target(target: Path, *, overwrite: bool, error: type[WriteError] = WriteError) -> None:
    """Raise unless ``target`` can be written: not a folder, its folder exists, and it does not
    exist yet unless ``overwrite`` (:class:`~ldr2hdr.errors.TargetExistsError`)."""
    if target.is_dir():
        raise error(f"{target}: is a folder, not a file name")
    if not target.parent.is_dir():
        raise error(f"{target}: the folder {target.parent} does not exist")
    if target.exists() and not overwrite:
        raise TargetExistsError(f"{target}: already exists (not replaced)")


def temporary_path(target: Path) -> Path:
    """A new hidden file name beside ``target``: ``.NAME.<random hex>.tmp`` (not created)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(_TEMP_TOKEN_BYTES)}.tmp")


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike, *, overwrite: bool, error: type[WriteError] = WriteError
) -> Iterator[Path]:
    """Yield a temporary path to write ``target``'s new content to; on success it replaces it.

    Fits writers that take a file name (``torch.save``, safetensors ``save_file``, ONNX
    ``program.save``, ``Path.write_text``). The file written there is flushed to disk, then
    renamed onto ``target``; if the ``with`` body raises, ``target`` is left as it was.

    Raises:
        TargetExistsError: ``target`` exists and ``overwrite`` is false.
        WriteError (or ``error``): ``target`` is a folder, its folder is missing, or the
            operating system refuses the flush or the rename.
    """
    target = Path(target)
    check_target(target, overwrite=overwrite, error=error)
    temporary = temporary_path(target)
    try:
        yield temporary
        try:
            _sync(temporary)
            _replace(temporary, target)
        except OSError as exc:
            raise error(f"{target}: cannot write: {exc.strerror or exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)


def write_files_atomically(
    files: Mapping[Path, bytes], *, overwrite: bool = False, error: type[WriteError] = WriteError
) -> None:
    """Write each ``{target: content}`` pair through a temporary file in the target's folder.

    Every content is first written in full to a temporary file next to its target; only then
    are the temporary files renamed onto their targets, in the order given.

    Raises:
        TargetExistsError: if a target exists and ``overwrite`` is false.
        WriteError (or ``error``): if a target is a folder, its folder is missing, or the
            operating system refuses a write or a rename.
    """
    for target in files:
        check_target(target, overwrite=overwrite, error=error)
    staged: list[tuple[Path, Path]] = []
    current = next(iter(files), Path())
    try:
        for current, content in files.items():
            staged.append((_stage(current, content), current))
        for temporary, current in staged:
            _replace(temporary, current)
    except OSError as exc:
        raise error(f"{current}: cannot write: {exc.strerror or exc}") from exc
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _stage(target: Path, content: bytes) -> Path:
    """Write ``content`` to a new hidden file beside ``target`` and return its path."""
    temporary = temporary_path(target)
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


def _sync(path: Path) -> None:
    """Flush a file another library wrote (and closed) to disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _replace(temporary: Path, target: Path) -> None:
    os.replace(temporary, target)
