"""Photo in, linear HDR out: the model kept loaded, any size, bounded memory.

Input: an RGB image H×W×3, uint8 or float in [0, 1] (display-referred LDR, as a camera stores
it). Output: float32 H×W×3 **linear** HDR, relative to the input's exposure: 1.0 is the input's
clipping white, values above 1 are the reconstructed highlights (the network's NTIRE-domain
output ``y`` raised to the power 2.24).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ldr2hdr.domain import NTIRE_GAMMA
from ldr2hdr.inference.memory import auto_tile_size
from ldr2hdr.inference.tiling import apply_tiled, tile_grid
from ldr2hdr.models import load_weights
from ldr2hdr.models.presets import DEFAULT_PRESET, preset_path, resolve_weights
from ldr2hdr.runtime import PRECISIONS, autocast, resolve_device

UINT8_MAX = 255.0


def default_weights_path() -> Path:
    """The packaged weights of the default preset (``photo``)."""
    return preset_path(DEFAULT_PRESET)


def as_unit_float(image: np.ndarray) -> np.ndarray:
    """Check an H×W×3 uint8 or float image and return float32 in [0, 1]."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a NumPy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise ValueError(f"image must be H×W×3 RGB, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / np.float32(UINT8_MAX)
    if not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"image must be uint8 or float in [0, 1], got dtype {image.dtype}")
    low, high = float(np.min(image)), float(np.max(image))
    if not (low >= 0.0 and high <= 1.0):  # also catches NaN
        raise ValueError(f"float image values must lie in [0, 1]; got range [{low}, {high}]")
    return image.astype(np.float32, copy=False)


class Reconstructor:
    """A loaded HDR reconstruction model; call it on images.

    Args:
        weights: a preset name (``photo``, ``ntire``; see :mod:`ldr2hdr.models.presets`) or a
            weights file (safetensors, see :func:`ldr2hdr.models.save_weights`); ``None`` takes
            the default preset, ``photo``.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        precision: ``fp32``, ``bf16`` or ``fp16`` (autocast; the result is float32 either way).
        tile: core tile side in pixels; ``None`` picks it from the free memory, ``0`` disables
            tiling. Tiles overlap by the network's receptive radius, so the result equals the
            untiled one.
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        *,
        device: str | torch.device = "auto",
        precision: str = "fp32",
        tile: int | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
        if tile is not None and (not isinstance(tile, int) or tile < 0):
            raise ValueError(f"tile must be None, 0 or a positive number of pixels; got {tile!r}")
        self.weights = resolve_weights(weights)
        self.device = resolve_device(device)
        self.precision = precision
        self.model = self._load(self.weights, self.device)
        self.radius: int | None = getattr(self.model, "receptive_radius", None)
        self.tile = self._choose_tile(tile)

    @staticmethod
    def _load(path: Path, device: torch.device) -> nn.Module:
        model = load_weights(path, device=str(device)).eval()
        model.requires_grad_(False)
        if device.type == "cpu":
            model = model.to(memory_format=torch.channels_last)
        return model

    def _choose_tile(self, tile: int | None) -> int:
        if self.radius is None:
            return 0  # a global model (pooling) cannot be tiled exactly
        if tile is None:
            element = torch.finfo(PRECISIONS[self.precision]).bits // 8
            return auto_tile_size(self.device, overlap=self.radius, bytes_per_element=element)
        return tile

    def tile_count(self, height: int, width: int) -> int:
        """How many tiles an image of this size is processed in."""
        if not self.tile:
            return 1
        return len(tile_grid(height, width, tile=self.tile, overlap=self.radius or 0))

    def _autocast(self) -> contextlib.AbstractContextManager:
        return autocast(self.device, self.precision)

    def _forward(self, window: torch.Tensor) -> torch.Tensor:
        x = window.to(self.device)
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), self._autocast():
            return self.model(x).hdr.float()

    def predict_ntire(
        self, image: np.ndarray, *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """The network's output in the NTIRE domain (float32 H×W×3, ≥ 0, 1.0 = input white).

        ``progress`` is called with 1 after each tile.
        """
        x = torch.from_numpy(as_unit_float(image)).permute(2, 0, 1).unsqueeze(0)
        if self.tile:
            y = apply_tiled(
                self._forward, x, tile=self.tile, overlap=self.radius, progress=progress
            )
        else:
            y = self._forward(x).cpu()
            if progress is not None:
                progress(1)
        return np.ascontiguousarray(y[0].permute(1, 2, 0).numpy())

    def __call__(
        self, image: np.ndarray, *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Linear HDR (float32 H×W×3, ≥ 0, relative: 1.0 = the input's clipping white)."""
        y = self.predict_ntire(image, progress=progress)
        np.power(y, np.float32(NTIRE_GAMMA), out=y)
        return y


@functools.lru_cache(maxsize=2)
def _cached(weights: str | None, device: str, precision: str, tile: int | None) -> Reconstructor:
    return Reconstructor(weights, device=device, precision=precision, tile=tile)


def reconstruct(
    image: np.ndarray,
    *,
    weights: str | os.PathLike | None = None,
    device: str = "auto",
    precision: str = "fp32",
    tile: int | None = None,
) -> np.ndarray:
    """Reconstruct linear HDR from one LDR photo.

    Args:
        image: H×W×3 RGB, uint8 or float32 in [0, 1].
        weights, device, precision, tile: as for :class:`Reconstructor` (the loaded model is
            cached, so repeated calls with the same settings do not reload it).

    Returns:
        float32 H×W×3 linear HDR, ≥ 0, relative to the input's exposure (1.0 = its white).
    """
    key = str(resolve_weights(weights).resolve())
    return _cached(key, device, precision, tile)(image)
