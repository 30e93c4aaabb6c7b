"""``ldr2hdr prepare-patches``: cut NTIRE 2021 frames into square training tiles."""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from ldr2hdr.cli._types import non_negative_int, positive_int
from ldr2hdr.errors import Ldr2HdrError

NAME = "prepare-patches"
HELP = (
    "cut NTIRE 2021 frames into 256×256 tiles (the paper's training patches), written in the "
    "NTIRE layout; optionally only the train or test scenes"
)
SPLITS = ("all", "train", "test")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ntire_dir", metavar="NTIRE_DIR", help="folder of frames (flat or nested)")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output folder (created if needed)")
    parser.add_argument("--tile", type=positive_int, default=256, help="tile side in pixels (256)")
    parser.add_argument("--split", choices=SPLITS, default="all", help="which scenes to tile")
    parser.add_argument(
        "--train-scenes",
        type=non_negative_int,
        metavar="N",
        default=1000,
        help="the first N scenes (sorted) train, the rest test (1000, as the paper)",
    )
    parser.add_argument(
        "--train-list", metavar="FILE", help="text file of train scene ids (overrides the count)"
    )
    parser.add_argument("--skip-bad", action="store_true", help="warn and skip broken frames")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.data import find_frames, prepare_patches, split_by_scene

    frames = find_frames(args.ntire_dir)
    all_scenes = len({frame.scene_id for frame in frames})
    if args.split != "all":
        train, test = split_by_scene(
            frames, train_scenes=args.train_scenes, train_list=args.train_list
        )
        frames = train if args.split == "train" else test
        if not frames:
            raise Ldr2HdrError(_empty_split_message(args, all_scenes))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        count = prepare_patches(
            frames, args.out_dir, tile=args.tile, skip_bad=args.skip_bad, overwrite=args.overwrite
        )
    for warning in caught:
        print(f"ldr2hdr {NAME}: warning: {warning.message}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"wrote {count} tiles of {len(frames)} frames to {args.out_dir} in {elapsed:.1f} s")
    return 0


def _empty_split_message(args: argparse.Namespace, scenes: int) -> str:
    """Why ``--split`` selected no frame, naming the options that decide the split."""
    rule = (
        f"--train-list {args.train_list}"
        if args.train_list is not None
        else f"--train-scenes {args.train_scenes}"
    )
    share = "all" if args.split == "test" else "none"
    return (
        f"--split {args.split}: no frame selected: {args.ntire_dir} holds {scenes} scene(s) and "
        f"{rule} puts {share} of them in train; change {rule.split()[0]} or use --split all"
    )
