"""``ldr2hdr evaluate``: score networks and expansion operators on an NTIRE-layout folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ldr2hdr.cli._types import add_device_argument, check_device, positive_int

NAME = "evaluate"
EXIT_SOME_FRAMES_FAILED = 1
HELP = (
    "score networks (twostage, stage1, ...) and classical expansion operators (identity, masia, "
    "...) on an NTIRE-layout folder: PSNR-L, μ-PSNR, PU21-PSNR/SSIM, parameters, seconds"
)


def method_list(text: str) -> list[str]:
    """argparse type: comma-separated method names, e.g. ``twostage,masia,identity``."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected NAME[,NAME...], got {text!r}")
    return names


def weights_entry(text: str) -> tuple[str, str]:
    """argparse type: ``NAME=FILE`` or ``NAME=PRESET`` (``twostage=ntire``)."""
    name, sep, path = text.partition("=")
    if not sep or not name.strip() or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE or NAME=PRESET, got {text!r}")
    return name.strip(), path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data_dir", metavar="DATA_DIR", help="NTIRE-layout folder of frames")
    parser.add_argument(
        "--methods",
        type=method_list,
        required=True,
        help="comma-separated networks and/or operators (`ldr2hdr models`; operators: akyuz, "
        "huo, identity, kovaleski, landis, linear, masia, masia17)",
    )
    parser.add_argument(
        "--weights",
        type=weights_entry,
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="weights of a network method (repeatable): a file, or for twostage a packaged "
        "preset (twostage=photo, the default, or twostage=ntire)",
    )
    parser.add_argument("--out", type=Path, metavar="REPORT_DIR", help="write the report here")
    add_device_argument(parser)
    parser.add_argument(
        "--tile", type=int, help="network tile side in px (default: from free memory; 0: none)"
    )
    parser.add_argument("--limit", type=positive_int, help="score only the first N frames")
    parser.add_argument("--overwrite", action="store_true", help="replace existing report files")


class _ProgressBar:
    """``progress`` callback for :func:`ldr2hdr.evaluation.evaluate`: a tqdm bar over the frames."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, desc="evaluate", unit="frame", leave=False)
        self.bar.update(1)
        if done == total:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.errors import Ldr2HdrError
    from ldr2hdr.evaluation import (
        CropCollector,
        check_report_folder,
        evaluate,
        format_table,
        summarise,
        write_report,
    )

    weights = dict(args.weights)
    if len(weights) != len(args.weights):
        raise Ldr2HdrError(f"--weights names a network twice: {[n for n, _ in args.weights]}")
    if args.tile is not None and args.tile < 0:
        raise Ldr2HdrError(f"--tile must be ≥ 0, got {args.tile}")
    check_device(args.device)
    collector = None
    if args.out is not None:
        check_report_folder(args.out, overwrite=args.overwrite)
        collector = CropCollector()
    failed: dict[str, str] = {}
    records = evaluate(
        args.data_dir,
        args.methods,
        weights=weights,
        device=args.device,
        tile=args.tile,
        limit=args.limit,
        on_prediction=collector,
        progress=_ProgressBar(),
        on_frame_error=failed.__setitem__,
    )
    for frame_id, reason in failed.items():
        print(f"ldr2hdr {NAME}: frame {frame_id} not scored: {reason}", file=sys.stderr)
    if not records:
        raise Ldr2HdrError("no frame could be scored")
    print(format_table(summarise(records)), end="")
    if collector is not None:
        write_report(
            records,
            args.out,
            crops=collector.crops,
            data_dir=args.data_dir,
            overwrite=args.overwrite,
        )
        print(f"wrote the report to {args.out}")
    return EXIT_SOME_FRAMES_FAILED if failed else 0
