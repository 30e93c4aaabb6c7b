"""``ldr2hdr models``: list the networks and the packaged presets, or describe weights."""

from __future__ import annotations

import argparse

from ldr2hdr.cli._types import WEIGHTS_HELP

NAME = "models"
HELP = (
    "list the registered networks (parameter counts) and the packaged weight presets, or show "
    "a weights file's metadata"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--weights",
        metavar="photo|ntire|FILE",
        help=f"show the metadata of these weights: {WEIGHTS_HELP}",
    )


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.models import create_model, list_models, read_weights_metadata
    from ldr2hdr.models.presets import describe_presets, resolve_weights

    if args.weights:
        path = resolve_weights(args.weights)
        for key, value in sorted(read_weights_metadata(path).items()):
            print(f"{key}: {value}")
        return 0
    print(f"{'model':<12} {'parameters':>12}  receptive radius (px)")
    for name in list_models():
        model = create_model(name)
        count = sum(p.numel() for p in model.parameters())
        radius = getattr(model, "receptive_radius", None)
        print(f"{name:<12} {count:>12,}  {'global' if radius is None else radius}")
    print("\nweight presets (--weights NAME; photo is the default):")
    for preset in describe_presets():
        print(f"{preset.name:<6} sha256 {preset.sha256}  {preset.arch}")
        print(f"       camera: {preset.camera}")
        print(f"       training: {preset.training}")
    return 0
