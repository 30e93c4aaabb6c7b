"""``ldr2hdr convert``: photos in, HDR files out; one bad file never stops the batch."""

from __future__ import annotations

import argparse
import glob
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ldr2hdr.cli._types import add_model_arguments, set_threads, work_megapixels
from ldr2hdr.errors import Ldr2HdrError

NAME = "convert"
HELP = "reconstruct HDR images from 8-bit photos (files, folders or globs)"

OUTPUT_NAMES = {  # format → (name suffix, extension) of the output file
    "exr": ("", ".exr"),
    "hdr": ("", ".hdr"),
    "tiff16": ("", ".tif"),
    "png16": ("_hdr", ".png"),
    "ntire": ("_hdr", ".png"),
    "uhdr": ("_hdr", ".jpg"),
}
PREVIEW_NAME = ("_preview", ".jpg")
PHOTO_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".mpo"}
GLOB_CHARACTERS = set("*?[")
MEGA = 1e6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="photo files, folders, globs")
    parser.add_argument("-o", "--out-dir", type=Path, help="output folder (default: beside each)")
    parser.add_argument(
        "--format",
        choices=sorted(OUTPUT_NAMES),
        default="exr",
        help="HDR file format (default: exr, half float, linear)",
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="also write a tone-mapped 8-bit JPEG preview (NAME_preview.jpg)",
    )
    parser.add_argument(
        "--exposure", type=float, default=0.0, help="preview exposure in stops (default: 0)"
    )
    parser.add_argument("-r", "--recursive", action="store_true", help="descend into subfolders")
    add_model_arguments(parser)
    parser.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32")
    parser.add_argument(
        "--work-megapixels",
        type=work_megapixels,
        default="auto",
        metavar="N|auto",
        help="run the network at N megapixels and apply its gain map to the full photo (fast "
        "path); 0: full resolution (exact); auto (default): exact up to 4 MP, else 1 MP",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing outputs (default: skip inputs already converted)",
    )


@dataclass(frozen=True)
class Job:
    """One photo and where its outputs go."""

    source: Path
    target: Path
    preview: Path | None


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    megapixels: float = 0.0


def _photos_in(folder: Path, recursive: bool) -> list[Path]:
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def expand_inputs(inputs: list[str], *, recursive: bool) -> list[tuple[Path, Path]]:
    """(photo, folder its output path is relative to) for every input; errors name the input."""
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        if GLOB_CHARACTERS & set(item) and not Path(item).exists():
            matches = sorted(Path(m) for m in glob.glob(item, recursive=recursive))
            if not matches:
                raise Ldr2HdrError(f"{item}: no file matches this pattern")
            found += [(m, m.parent) for m in matches if m.is_file()]
        elif Path(item).is_dir():
            found += [(p, Path(item)) for p in _photos_in(Path(item), recursive)]
        elif Path(item).exists():
            found.append((Path(item), Path(item).parent))
        else:
            raise Ldr2HdrError(f"{item}: no such file or folder")
    return found


def plan_jobs(args: argparse.Namespace) -> list[Job]:
    """Output paths for every input photo (mirroring input folders under --out-dir)."""
    name_suffix, extension = OUTPUT_NAMES[args.format]
    jobs, targets = [], {}
    for source, base in expand_inputs(args.inputs, recursive=args.recursive):
        folder = (
            source.parent
            if args.out_dir is None
            else args.out_dir / source.parent.relative_to(base)
        )
        target = folder / f"{source.stem}{name_suffix}{extension}"
        if target in targets:
            raise Ldr2HdrError(f"{source} and {targets[target]} would both write {target}")
        targets[target] = source
        preview = folder / f"{source.stem}{PREVIEW_NAME[0]}{PREVIEW_NAME[1]}"
        jobs.append(Job(source, target, preview if args.preview else None))
    return jobs


def _convert_one(job: Job, reconstructor, args: argparse.Namespace, summary: Summary) -> None:
    from ldr2hdr.io import read_ldr, write_hdr, write_preview

    image = read_ldr(job.source)
    height, width = image.shape[:2]
    tiles = reconstructor.tile_count(height, width)
    tqdm.write(f"{job.source.name}: {reconstructor.describe(height, width)}")
    with tqdm(
        total=tiles, desc=job.source.name, unit="tile", leave=False, disable=tiles < 2
    ) as bar:
        linear = reconstructor(image, progress=bar.update)
    job.target.parent.mkdir(parents=True, exist_ok=True)
    write_hdr(job.target, linear, args.format, overwrite=args.overwrite)
    if job.preview is not None:
        write_preview(job.preview, linear, args.exposure, overwrite=args.overwrite)
    summary.megapixels += height * width / MEGA


def _finished(job: Job) -> bool:
    return job.target.exists() and (job.preview is None or job.preview.exists())


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.inference import Reconstructor

    jobs = plan_jobs(args)
    if not jobs:
        raise Ldr2HdrError("no photos found in the given inputs")
    set_threads(args.threads)
    reconstructor = Reconstructor(
        args.weights,
        device=args.device,
        precision=args.precision,
        tile=args.tile,
        work_megapixels=args.work_megapixels,
    )
    summary, start = Summary(), time.perf_counter()
    for job in tqdm(jobs, desc="convert", unit="photo", disable=len(jobs) < 2):
        if _finished(job) and not args.overwrite:
            summary.skipped += 1
            continue
        try:
            _convert_one(job, reconstructor, args, summary)
            summary.done += 1
        except (Ldr2HdrError, OSError, ValueError, TypeError) as exc:
            summary.failed.append((job.source, str(exc)))
            tqdm.write(f"failed: {job.source}: {exc}")
    _print_summary(summary, time.perf_counter() - start)
    return 1 if summary.failed else 0


def _print_summary(summary: Summary, seconds: float) -> None:
    rate = summary.megapixels / seconds if seconds > 0 else 0.0
    print(
        f"done {summary.done}, skipped {summary.skipped} (already converted), "
        f"failed {len(summary.failed)}; {seconds:.1f} s, {rate:.3f} megapixels/s"
    )
    for source, reason in summary.failed:
        print(f"  failed: {source}: {reason}")
