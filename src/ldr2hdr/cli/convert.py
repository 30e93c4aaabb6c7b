"""``ldr2hdr convert``: photos in, HDR files out; one bad file never stops the batch.

A photo's outputs (the HDR file, its alignratio for ``ntire``, the preview) form one unit: a
re-run skips photos whose outputs all exist, writes what an earlier run left missing (the
preview from the existing HDR file, or the whole photo again) and says so.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from tqdm import tqdm

from ldr2hdr.cli import cli_message
from ldr2hdr.cli._outputs import OUTPUT_NAMES, PHOTO_SUFFIXES, Job, expand_inputs, plan_jobs
from ldr2hdr.cli._report import (
    COMPLETED,
    CONVERTED,
    FAILED,
    MEGA,
    OWN_OUTPUT,
    SKIPPED,
    BatchReport,
    FileResult,
    escaped,
)
from ldr2hdr.cli._types import (
    BACKEND_CHOICES,
    add_model_arguments,
    check_device,
    int_at_least,
    set_threads,
    work_megapixels,
)
from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.io._common import MAX_PIXELS
from ldr2hdr.io.marker import has_output_marker

NAME = "convert"
HELP = "reconstruct HDR images from 8-bit photos (files, folders or globs)"
MAX_EXPOSURE_STOPS = 64.0
"""``--exposure`` is within ±this many stops (2**64 is far beyond any display)."""
PER_FILE_ERRORS = (Ldr2HdrError, OSError, ValueError, TypeError)


def exposure_stops(text: str) -> float:
    """argparse type: a finite number of stops within ±MAX_EXPOSURE_STOPS."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > MAX_EXPOSURE_STOPS:
        raise argparse.ArgumentTypeError(
            f"expected stops between -{MAX_EXPOSURE_STOPS:g} and {MAX_EXPOSURE_STOPS:g}, "
            f"got {text!r}"
        )
    return value


def max_pixels(text: str) -> int:
    """argparse type: a pixel limit in 1–MAX_PIXELS (Pillow refuses larger images anyway)."""
    value = int_at_least(1)(text)
    if value > MAX_PIXELS:
        raise argparse.ArgumentTypeError(f"at most {MAX_PIXELS} (Pillow's own limit), got {text!r}")
    return value


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
        "--exposure",
        type=exposure_stops,
        default=0.0,
        help=f"preview exposure in stops, ±{MAX_EXPOSURE_STOPS:g} (default: 0); to redo a "
        "converted photo with another exposure, add --overwrite",
    )
    parser.add_argument("-r", "--recursive", action="store_true", help="descend into subfolders")
    add_model_arguments(parser)
    parser.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32")
    parser.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="auto (default): ONNX Runtime on the CPU in fp32 (1.4–1.7× faster), else PyTorch",
    )
    parser.add_argument(
        "--max-pixels",
        type=max_pixels,
        default=MAX_PIXELS,
        metavar="N",
        help=f"refuse photos of more than N pixels, before decoding (default: {MAX_PIXELS})",
    )
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
        help="redo photos already converted (never replaces an input, nor a photo-type file "
        "this tool did not write)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON report of every file on stdout"
    )


def _replace_problem(job: Job, paths: tuple[Path, ...]) -> str | None:
    """Why an existing output cannot be replaced: a photo-type file this tool did not write."""
    for path in paths:
        if path.exists() and path.suffix.lower() in PHOTO_SUFFIXES and not has_output_marker(path):
            return (
                f"{path} exists and was not written by ldr2hdr (no output marker); "
                "not replaced, even with --overwrite: move it away"
            )
    return None


def _convert(job: Job, reconstructor, args: argparse.Namespace, report: BatchReport) -> None:
    """Run the network on the photo and write every output of the unit."""
    from ldr2hdr.io import read_icc_profile, read_ldr, write_hdr, write_preview

    image = read_ldr(job.source, max_pixels=args.max_pixels)
    height, width = image.shape[:2]
    tiles = reconstructor.tile_count(height, width)
    choice = reconstructor.describe(height, width)
    tqdm.write(f"{escaped(job.source.name)}: {choice}", file=sys.stderr)
    with tqdm(
        total=tiles, desc=job.source.name, unit="tile", leave=False, disable=tiles < 2
    ) as bar:
        linear = reconstructor(image, progress=bar.update)
    job.target.parent.mkdir(parents=True, exist_ok=True)
    icc = read_icc_profile(job.source) if args.format == "uhdr" else None
    write_hdr(job.target, linear, args.format, overwrite=True, sdr=image, icc_profile=icc)
    if job.preview is not None:
        write_preview(job.preview, linear, args.exposure, overwrite=True)
    report.megapixels += height * width / MEGA


def _complete_preview(job: Job, args: argparse.Namespace) -> bool:
    """Write the missing preview from the existing HDR file; False if that file is unreadable."""
    from ldr2hdr.io import read_hdr, write_preview

    try:
        linear = read_hdr(job.target)
    except PER_FILE_ERRORS:
        return False
    write_preview(job.preview, linear, args.exposure, overwrite=False)
    return True


def _process(job: Job, reconstructor, args: argparse.Namespace, report: BatchReport) -> None:
    if job.problem is not None:
        report.add(FileResult(job.source, FAILED, reason=job.problem))
        return
    hdr_done = all(path.exists() for path in job.hdr_files)
    preview_done = job.preview is None or job.preview.exists()
    if hdr_done and preview_done and not args.overwrite:
        report.add(FileResult(job.source, SKIPPED, job.outputs))
        return
    if hdr_done and not args.overwrite and _complete_preview(job, args):
        reason = f"wrote the missing preview {job.preview} from {job.target}"
        report.add(FileResult(job.source, COMPLETED, job.outputs, reason))
        return
    problem = _replace_problem(job, job.outputs)
    if problem is not None:
        report.add(FileResult(job.source, FAILED, reason=problem))
        return
    partial = not args.overwrite and any(path.exists() for path in job.outputs)
    _convert(job, reconstructor, args, report)
    if partial:
        reason = "an earlier run left it unfinished; converted again"
        report.add(FileResult(job.source, COMPLETED, job.outputs, reason))
    else:
        report.add(FileResult(job.source, CONVERTED, job.outputs))


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.inference import Reconstructor

    found = expand_inputs(args.inputs, recursive=args.recursive)
    plan = plan_jobs(found, fmt=args.format, out_dir=args.out_dir, preview=args.preview)
    if not found:
        raise Ldr2HdrError("no photos found in the given inputs")
    check_device(args.device)
    set_threads(args.threads)
    reconstructor = None
    if plan.jobs:
        reconstructor = Reconstructor(
            args.weights,
            device=args.device,
            precision=args.precision,
            tile=args.tile,
            work_megapixels=args.work_megapixels,
            backend=args.backend,
        )
    report, start = BatchReport(), time.perf_counter()
    for source, reason in plan.own_outputs:
        report.add(FileResult(source, OWN_OUTPUT, reason=reason))
    for job in tqdm(plan.jobs, desc="convert", unit="photo", disable=len(plan.jobs) < 2):
        try:
            _process(job, reconstructor, args, report)
        except PER_FILE_ERRORS as exc:
            report.add(FileResult(job.source, FAILED, reason=cli_message(exc, args)))
    seconds = time.perf_counter() - start
    print(f"ldr2hdr {NAME}: {report.summary_line(seconds)}", file=sys.stderr)
    if args.json:
        print(report.to_json(seconds))
    return 1 if report.failed else 0
