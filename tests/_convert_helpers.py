"""Helpers shared by the `convert` tests: a random photo written as a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_photo(path: Path, size: tuple[int, int], seed: int = 0) -> Path:
    """Write a random 8-bit RGB photo of ``size`` = (width, height) to ``path``; return it."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path
