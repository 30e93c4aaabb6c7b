"""argparse value types and options shared by the subcommands (errors quote the bad value)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from ldr2hdr.errors import DeviceError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
BACKEND_CHOICES = ("auto", "torch", "onnxruntime")  # = inference.ort_backend.BACKENDS (tested)


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type accepting integers ≥ ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def work_megapixels(text: str) -> float | str:
    """argparse type: ``auto`` or a number of megapixels ≥ 0 (0: full resolution)."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 <= value < math.inf):
        raise argparse.ArgumentTypeError(f"expected auto or megapixels >= 0, got {text!r}")
    return value


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    """``--threads N``: PyTorch's CPU threads (applied by :func:`set_threads`)."""
    parser.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help="CPU threads for PyTorch (default: one per core); on a machine shared with other "
        "busy processes, fewer threads can be much faster",
    )


def set_threads(threads: int | None) -> None:
    """Set PyTorch's intra-op CPU threads when ``threads`` is given (None keeps the default)."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


WEIGHTS_HELP = (
    "a packaged preset — photo (default: phones and cameras, sRGB/S-curve tones, JPEG) or ntire "
    "(the NTIRE 2021 gamma-2.24 camera) — or a weights file (.safetensors)"
)


def add_weights_argument(parser: argparse.ArgumentParser) -> None:
    """``--weights photo|ntire|FILE``: a packaged preset or a weights file (None = ``photo``)."""
    parser.add_argument("--weights", metavar="photo|ntire|FILE", help=WEIGHTS_HELP)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--weights``, ``--device``, ``--tile`` and ``--threads``: how a subcommand runs the
    network."""
    add_weights_argument(parser)
    add_device_argument(parser)
    parser.add_argument(
        "--tile",
        type=non_negative_int,
        help="tile side in pixels (default: from free memory; 0: no tiling)",
    )
    add_threads_argument(parser)


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device auto|cpu|cuda|mps``; :func:`check_device` reports a missing one."""
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto")


def check_device(device: str) -> None:
    """Raise a one-line user error when ``--device`` names a device this machine lacks."""
    from ldr2hdr.runtime import missing_device_reason

    reason = missing_device_reason(device)
    if reason is not None:
        raise DeviceError(f"--device {device}: {reason}; use --device cpu or --device auto")
