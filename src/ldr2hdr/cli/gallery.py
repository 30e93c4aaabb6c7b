"""``ldr2hdr gallery``: a folder of photos in, a static before/after web page out."""

from __future__ import annotations

import argparse
from pathlib import Path

from ldr2hdr.cli._types import add_model_arguments, check_device, set_threads
from ldr2hdr.errors import Ldr2HdrError

NAME = "gallery"
HELP = "convert a folder of photos into a static before/after gallery page (index.html)"
DEFAULT_BOX_TEXT = "2048x1080"


def _box(text: str):
    from ldr2hdr.gallery import parse_box

    try:
        return parse_box(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photos_dir", type=Path, metavar="PHOTOS_DIR", help="folder of photos")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="gallery folder to write")
    parser.add_argument(
        "--resize",
        type=_box,
        default=DEFAULT_BOX_TEXT,
        metavar="WxH",
        help="shrink photos to fit this box, turned to each photo's orientation, or 'none' "
        f"(default: {DEFAULT_BOX_TEXT}, as in the paper)",
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="redo photos whose outputs exist (default: reuse them)",
    )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ldr2hdr.gallery import INDEX_NAME, build_gallery, find_photos
    from ldr2hdr.inference import Reconstructor

    photos = find_photos(args.photos_dir)
    if not photos:
        raise Ldr2HdrError(f"{args.photos_dir}: no photos found (PNG, JPEG, TIFF, WebP, BMP)")
    check_device(args.device)
    set_threads(args.threads)
    reconstructor = Reconstructor(args.weights, device=args.device, tile=args.tile)
    with tqdm(total=len(photos), desc="gallery", unit="photo", disable=len(photos) < 2) as bar:
        gallery = build_gallery(
            photos,
            args.out_dir,
            reconstructor,
            box=args.resize,
            weights=reconstructor.weights.name,
            overwrite=args.overwrite,
            progress=lambda _: bar.update(),
        )
    print(
        f"gallery: {len(gallery.entries)} photos ({gallery.skipped} reused), "
        f"{len(gallery.failures)} failed; open {args.out_dir / INDEX_NAME}"
    )
    for source, reason in gallery.failures:
        print(f"  failed: {source}: {reason}")
    return 1 if gallery.failures else 0
