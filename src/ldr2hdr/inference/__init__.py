"""Inference: :func:`reconstruct` and :class:`Reconstructor` (tiled, any size, CPU or GPU)."""

from ldr2hdr.inference.reconstructor import (
    Reconstructor,
    default_weights_path,
    reconstruct,
    resolve_device,
)
from ldr2hdr.inference.tiling import apply_tiled, tile_grid

__all__ = [
    "Reconstructor",
    "apply_tiled",
    "default_weights_path",
    "reconstruct",
    "resolve_device",
    "tile_grid",
]
