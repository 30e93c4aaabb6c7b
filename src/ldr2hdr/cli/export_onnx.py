"""``ldr2hdr export-onnx``: write a weights file's generator as an ONNX model."""

from __future__ import annotations

import argparse
from pathlib import Path

from ldr2hdr.cli._types import add_weights_argument

NAME = "export-onnx"
HELP = "export the generator to ONNX (input ldr N×3×H×W in [0, 1], output hdr in NTIRE domain)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", type=Path, metavar="OUT.onnx", help="ONNX file to write")
    add_weights_argument(parser)
    parser.add_argument("--opset", type=int, default=18, help="ONNX opset (default: 18)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.inference.onnx_export import export_onnx
    from ldr2hdr.models import load_weights
    from ldr2hdr.models.presets import resolve_weights

    model = load_weights(resolve_weights(args.weights))
    export_onnx(model, args.output, opset=args.opset, overwrite=args.overwrite)
    print(f"wrote {args.output}")
    return 0
