"""``ldr2hdr make-dataset``: write a synthetic set in the NTIRE 2021 layout from HDR images."""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from pathlib import Path

from ldr2hdr.cli._types import positive_int

NAME = "make-dataset"
HELP = (
    "simulate 8-bit shots of random views of HDR images (.hdr/.exr/.pfm, photos or panoramas) "
    "and write them with their references in the NTIRE 2021 layout"
)
EXIT_SOME_FILES_FAILED = 1
SIZE_PATTERN = re.compile(r"^(\d+)[xX×](\d+)$")


def image_size(text: str) -> tuple[int, int]:
    """argparse type: ``WIDTHxHEIGHT`` in pixels, e.g. ``256x256``."""
    match = SIZE_PATTERN.match(text.strip())
    if not match or min(int(match[1]), int(match[2])) < 1:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 256x256, got {text!r}")
    return int(match[1]), int(match[2])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("hdr_dir", metavar="HDR_DIR", help="folder searched recursively for HDRs")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output folder (created if needed)")
    parser.add_argument("--count", type=positive_int, required=True, help="frames to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    parser.add_argument(
        "--size", type=image_size, default=(256, 256), metavar="WxH", help="view size (256x256)"
    )
    parser.add_argument(
        "--clip-range",
        type=float,
        nargs=2,
        default=(0.01, 0.20),
        metavar=("LOW", "HIGH"),
        help="fraction of clipped pixels drawn from [LOW, HIGH] (default 0.01 0.20)",
    )
    parser.add_argument(
        "--jpeg-probability", type=float, default=0.25, help="chance of JPEG compression (0.25)"
    )
    parser.add_argument(
        "--curves",
        default="gamma,srgb,s-curve",
        help="response curves to draw from, comma-separated (default gamma,srgb,s-curve)",
    )
    parser.add_argument(
        "--scenes",
        metavar="LIST",
        help="use only the HDR files listed in this text file (paths relative to HDR_DIR)",
    )
    parser.add_argument("--flip", action="store_true", help="mirror half of the views")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")


def _sources(hdr_dir: str, scenes: str | None) -> str | list[Path]:
    """HDR_DIR itself, or the files of HDR_DIR named in the ``--scenes`` list."""
    from ldr2hdr.data.ntire import read_scene_list
    from ldr2hdr.errors import Ldr2HdrError

    if scenes is None:
        return hdr_dir
    files = [Path(hdr_dir) / name for name in read_scene_list(scenes)]
    missing = [str(path) for path in files if not path.is_file()]
    if missing or not files:
        raise Ldr2HdrError(f"{scenes}: no such HDR file(s): {', '.join(missing) or '(empty list)'}")
    return files


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.data import CameraParams, SyntheticHdrDataset, make_dataset
    from ldr2hdr.errors import Ldr2HdrError

    try:
        params = CameraParams(
            clip_range=tuple(args.clip_range),
            curves=tuple(name.strip() for name in args.curves.split(",")),
            jpeg_probability=args.jpeg_probability,
        )
    except ValueError as exc:
        raise Ldr2HdrError(f"invalid camera option: {exc}") from exc
    dataset = SyntheticHdrDataset(
        _sources(args.hdr_dir, args.scenes),
        length=args.count,
        size=args.size,
        seed=args.seed,
        params=params,
        flip=args.flip,
        skip_bad=True,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = make_dataset(dataset, args.out_dir, overwrite=args.overwrite)
    elapsed = time.perf_counter() - start
    for path, reason in report.bad_files.items():
        print(
            f"ldr2hdr {NAME}: skipped {path}: {reason.removeprefix(f'{path}: ')}", file=sys.stderr
        )
    print(f"wrote {len(report.written)} frames to {args.out_dir} in {elapsed:.1f} s")
    return EXIT_SOME_FILES_FAILED if report.bad_files else 0
