"""``ldr2hdr models``: list the registered networks, or describe a weights file."""

from __future__ import annotations

import argparse

NAME = "models"
HELP = "list the registered networks with their parameter counts, or show a weights file's metadata"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", metavar="FILE", help="show this weights file's metadata")


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.models import create_model, list_models, read_weights_metadata

    if args.weights:
        for key, value in sorted(read_weights_metadata(args.weights).items()):
            print(f"{key}: {value}")
        return 0
    print(f"{'model':<12} {'parameters':>12}  receptive radius (px)")
    for name in list_models():
        model = create_model(name)
        count = sum(p.numel() for p in model.parameters())
        radius = getattr(model, "receptive_radius", None)
        print(f"{name:<12} {count:>12,}  {'global' if radius is None else radius}")
    return 0
