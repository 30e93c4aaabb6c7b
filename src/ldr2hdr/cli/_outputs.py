"""Where ``ldr2hdr convert`` writes each photo's outputs, and which inputs are its own outputs.

Rules (see docs/inference.md, "Re-runs"):

- an output path is never an input path: a planned output that is also an input makes that
  photo fail, and ``--overwrite`` cannot change that;
- a file this tool wrote is never taken as a photo: it is recognised by its name (the output
  name of another photo of the batch, in any format) or by the marker in its metadata
  (:mod:`ldr2hdr.io.marker`), so renamed outputs are skipped too;
- two photos that would write the same file (``a.jpg`` and ``a.png`` → ``a.exr``) both fail,
  with the reason; the rest of the batch goes on.
"""

from __future__ import annotations

import glob
import os
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.io.ldr import PHOTO_SUFFIXES
from ldr2hdr.io.marker import has_output_marker

OUTPUT_NAMES = {  # format → (name suffix, extension) of the output file
    "exr": ("", ".exr"),
    "hdr": ("", ".hdr"),
    "tiff16": ("_hdr", ".tif"),
    "png16": ("_hdr", ".png"),
    "ntire": ("_hdr", ".png"),
    "uhdr": ("_hdr", ".jpg"),
}
"""The ``_hdr`` suffix keeps outputs that have a photo's extension apart from the photos."""
PREVIEW_NAME = ("_preview", ".jpg")
ALIGNRATIO_NAME = "_alignratio.npy"
GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class Job:
    """One photo, the files it writes, and why it cannot be converted (None: it can)."""

    source: Path
    target: Path
    preview: Path | None
    extras: tuple[Path, ...] = ()
    problem: str | None = None

    @property
    def hdr_files(self) -> tuple[Path, ...]:
        """The HDR output and the files written with it (the ntire alignratio)."""
        return (self.target, *self.extras)

    @property
    def outputs(self) -> tuple[Path, ...]:
        return (*self.hdr_files, *((self.preview,) if self.preview else ()))


@dataclass(frozen=True)
class Plan:
    """The photos to convert, and the inputs recognised as this tool's outputs (with why)."""

    jobs: list[Job]
    own_outputs: list[tuple[Path, str]]


def _key(path: Path) -> str:
    return os.path.realpath(path)


def _photos_in(folder: Path, recursive: bool) -> list[Path]:
    """Entries named like photos; non-regular ones are kept so that they fail with a reason."""
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p for p in found if p.suffix.lower() in PHOTO_SUFFIXES and not (recursive and p.is_dir())
    )


def expand_inputs(inputs: list[str], *, recursive: bool) -> list[tuple[Path, Path]]:
    """(photo, folder its output path is relative to) for every input; errors name the input."""
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        if GLOB_CHARACTERS & set(item) and not Path(item).exists():
            matches = sorted(Path(m) for m in glob.glob(item, recursive=recursive))
            if not matches:
                raise Ldr2HdrError(f"{item}: no file matches this pattern")
            found += [(m, m.parent) for m in matches if not m.is_dir()]
        elif Path(item).is_dir():
            found += [(p, Path(item)) for p in _photos_in(Path(item), recursive)]
        elif Path(item).exists() or Path(item).is_symlink():
            found.append((Path(item), Path(item).parent))
        else:
            raise Ldr2HdrError(f"{item}: no such file or folder")
    seen: set[str] = set()
    unique = []
    for source, base in found:  # a photo named twice (file and glob) is converted once
        if _key(source) not in seen:
            seen.add(_key(source))
            unique.append((source, base))
    return unique


def _job_for(source: Path, base: Path, fmt: str, out_dir: Path | None, preview: bool) -> Job:
    folder = source.parent if out_dir is None else out_dir / source.parent.relative_to(base)
    name_suffix, extension = OUTPUT_NAMES[fmt]
    target = folder / f"{source.stem}{name_suffix}{extension}"
    extras = (folder / f"{target.stem}{ALIGNRATIO_NAME}",) if fmt == "ntire" else ()
    preview_path = folder / f"{source.stem}{PREVIEW_NAME[0]}{PREVIEW_NAME[1]}"
    return Job(source, target, preview_path if preview else None, extras)


def _names_beside(source: Path) -> set[str]:
    """Every file name ``convert`` could write beside ``source``, in any format."""
    names = {*OUTPUT_NAMES.values(), PREVIEW_NAME}
    paths = {source.with_name(f"{source.stem}{suffix}{extension}") for suffix, extension in names}
    return {_key(path) for path in paths} - {_key(source)}


def _own_output_reason(source: Path, producers: dict[str, Path]) -> str | None:
    producer = producers.get(_key(source))
    if producer is not None and producer != source:
        return f"named like the output of {producer}"
    if has_output_marker(source):
        return "carries the ldr2hdr output marker"
    return None


def plan_jobs(
    found: list[tuple[Path, Path]], *, fmt: str, out_dir: Path | None, preview: bool
) -> Plan:
    """Jobs for the photos among ``found``, outputs of this tool set aside, conflicts marked."""
    all_jobs = [_job_for(source, base, fmt, out_dir, preview) for source, base in found]
    producers: dict[str, Path] = {}
    for job in all_jobs:
        producers.update({name: job.source for name in _names_beside(job.source)})
        producers.update({_key(path): job.source for path in job.outputs})
    jobs, own_outputs = [], []
    for job in all_jobs:
        reason = _own_output_reason(job.source, producers)
        if reason is None:
            jobs.append(job)
        else:
            own_outputs.append((job.source, reason))
    return Plan(_mark_conflicts(jobs), own_outputs)


def _mark_conflicts(jobs: list[Job]) -> list[Job]:
    """Give a problem to each job whose output is an input or is written by another job too."""
    inputs = {_key(job.source): job.source for job in jobs}
    writers: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        for path in job.outputs:
            writers[_key(path)].append(job)
    marked = []
    for job in jobs:
        problem = next(
            filter(None, (_conflict(job, p, inputs, writers) for p in job.outputs)), None
        )
        marked.append(replace(job, problem=problem) if problem else job)
    return marked


def _conflict(job: Job, path: Path, inputs: dict[str, Path], writers: dict[str, list[Job]]) -> str:
    """Why ``job`` may not write ``path`` ("" when it may)."""
    if _key(path) in inputs:
        return f"its output {path} would replace the input {inputs[_key(path)]}"
    others = [str(other.source) for other in writers[_key(path)] if other is not job]
    if not others:
        return ""
    verb = "would both write" if len(others) == 1 else "would all write"
    return (
        f"{job.source} and {', '.join(others)} {verb} {path}: rename one, or convert them "
        "separately with different --out-dir"
    )
