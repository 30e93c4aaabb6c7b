"""Photo in, linear HDR out: the model kept loaded, any size, bounded memory.

Input: an RGB image H×W×3, uint8 or float in [0, 1] (display-referred LDR, as a camera stores
it). Output: float32 H×W×3 **linear** HDR, relative to the input's exposure: 1.0 is the input's
clipping white, values above 1 are the reconstructed highlights (the network's NTIRE-domain
output ``y`` raised to the power 2.24).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ldr2hdr.domain import NTIRE_GAMMA
from ldr2hdr.inference.gainmap import MEGA, reconstruct_at, work_size
from ldr2hdr.inference.memory import ORT_BYTES_PER_PIXEL, auto_tile_size
from ldr2hdr.inference.ort_backend import OrtRunner, select_backend
from ldr2hdr.inference.stages import network_stages
from ldr2hdr.inference.tiling import Tile, apply_tiled, apply_tiled_in_place, tile_grid
from ldr2hdr.models import load_weights
from ldr2hdr.models.presets import DEFAULT_PRESET, preset_path, resolve_weights
from ldr2hdr.runtime import PRECISIONS, autocast, resolve_device

UINT8_MAX = 255.0
# ``work_megapixels="auto"``: the exact path up to AUTO_EXACT_MEGAPIXELS, above it the gain-map
# fast path with the network at AUTO_WORK_MEGAPIXELS.
AUTO = "auto"
AUTO_EXACT_MEGAPIXELS = 4.0
AUTO_WORK_MEGAPIXELS = 1.0

WorkMegapixels = float | str


def default_weights_path() -> Path:
    """The packaged weights of the default preset (``photo``)."""
    return preset_path(DEFAULT_PRESET)


def check_work_megapixels(value: WorkMegapixels) -> WorkMegapixels:
    """``"auto"`` or a number of megapixels ≥ 0 (0: full size); anything else is refused."""
    if value == AUTO:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"work_megapixels must be 'auto' or a number; got {value!r}")
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"work_megapixels must be ≥ 0 (0: full size) or 'auto'; got {value!r}")
    return float(value)


def check_photo(image: np.ndarray) -> np.ndarray:
    """Check an H×W×3 uint8 or float image; return it as uint8 or float32 in [0, 1].

    A uint8 photo is returned as it is (the exact path converts it tile by tile, so a 24 MP
    photo is never held as float32 whole: 72 MB instead of 288 MB).
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a NumPy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise ValueError(f"image must be H×W×3 RGB, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image
    if not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"image must be uint8 or float in [0, 1], got dtype {image.dtype}")
    low, high = float(np.min(image)), float(np.max(image))
    if not (low >= 0.0 and high <= 1.0):  # also catches NaN
        raise ValueError(f"float image values must lie in [0, 1]; got range [{low}, {high}]")
    return image.astype(np.float32, copy=False)


def as_unit_float(image: np.ndarray) -> np.ndarray:
    """Check an H×W×3 uint8 or float image and return float32 in [0, 1]."""
    photo = check_photo(image)
    if photo.dtype == np.uint8:
        return photo.astype(np.float32) / np.float32(UINT8_MAX)
    return photo


class Reconstructor:
    """A loaded HDR reconstruction model; call it on images.

    Args:
        weights: a preset name (``photo``, ``ntire``; see :mod:`ldr2hdr.models.presets`) or a
            weights file (safetensors, see :func:`ldr2hdr.models.save_weights`); ``None`` takes
            the default preset, ``photo``.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        precision: ``fp32``, ``bf16`` or ``fp16`` (autocast; the result is float32 either way).
        tile: core tile side in pixels; ``None`` picks it from the free memory, ``0`` disables
            tiling. The network's stages (:mod:`ldr2hdr.inference.stages`) are tiled one
            after the other, each stage's tiles overlapping by its receptive radius, so the
            result equals the untiled one.
        work_megapixels: the network's working resolution. ``0``: full size (the exact path,
            tiled). ``N`` > 0: if the photo is larger than N megapixels, the gain-map fast path
            (:mod:`ldr2hdr.inference.gainmap`) runs the network on an N-megapixel copy and
            applies its gain to the full photo. ``"auto"``: exact up to 4 MP, above it the fast
            path at 1 MP. A call may override it.
        backend: ``auto`` (ONNX Runtime on the CPU in fp32 for the two-stage family, PyTorch
            otherwise), ``torch`` or ``onnxruntime`` (see :mod:`ldr2hdr.inference.ort_backend`;
            the two agree to float32 rounding).
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        *,
        device: str | torch.device = "auto",
        precision: str = "fp32",
        tile: int | None = None,
        work_megapixels: WorkMegapixels = AUTO,
        backend: str = "auto",
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
        if tile is not None and (not isinstance(tile, int) or tile < 0):
            raise ValueError(f"tile must be None, 0 or a positive number of pixels; got {tile!r}")
        self.weights = resolve_weights(weights)
        self.device = resolve_device(device)
        self.precision = precision
        self.model = self._load(self.weights, self.device)
        self.stages = network_stages(self.model)
        self.backend = select_backend(backend, self.model, self.device, precision)
        self._ort = (
            [OrtRunner(s.module) for s in self.stages] if self.backend == "onnxruntime" else None
        )
        self.tile = self._choose_tile(tile)
        self.work_megapixels = check_work_megapixels(work_megapixels)

    @staticmethod
    def _load(path: Path, device: torch.device) -> nn.Module:
        model = load_weights(path, device=str(device)).eval()
        model.requires_grad_(False)
        if device.type == "cpu":
            model = model.to(memory_format=torch.channels_last)
        return model

    def _choose_tile(self, tile: int | None) -> int:
        radii = [s.radius for s in self.stages]
        if None in radii:
            return 0  # a global model (pooling) cannot be tiled exactly
        if tile is None:
            element = torch.finfo(PRECISIONS[self.precision]).bits // 8
            per_pixel = ORT_BYTES_PER_PIXEL if self._ort is not None else None
            return auto_tile_size(
                self.device,
                overlap=max(radii),
                bytes_per_element=element,
                bytes_per_pixel=per_pixel,
            )
        return tile

    def _autocast(self) -> contextlib.AbstractContextManager:
        return autocast(self.device, self.precision)

    def _forward(self, stage: int, window: torch.Tensor) -> torch.Tensor:
        """Stage ``stage`` of the network on one window (N×3×h×w) → float32 N×3×h×w."""
        if window.dtype == torch.uint8:  # as as_unit_float does it, one tile at a time
            window = window.to(torch.float32).div_(UINT8_MAX)
        if self._ort is not None:
            return self._ort[stage](window)
        x = window.to(self.device)
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), self._autocast():
            return self.stages[stage].module(x).float()

    def work_size(
        self, height: int, width: int, work_megapixels: WorkMegapixels | None = None
    ) -> tuple[int, int]:
        """The network's working size (rows, cols) for a photo; (height, width) = exact path.

        ``work_megapixels`` overrides the instance's setting (None keeps it).
        """
        budget = check_work_megapixels(
            self.work_megapixels if work_megapixels is None else work_megapixels
        )
        if budget == AUTO:
            exact = height * width <= AUTO_EXACT_MEGAPIXELS * MEGA
            budget = 0.0 if exact else AUTO_WORK_MEGAPIXELS
        return work_size(height, width, budget)

    def describe(
        self, height: int, width: int, work_megapixels: WorkMegapixels | None = None
    ) -> str:
        """One line naming the path chosen for a photo of this size (printed by the CLI)."""
        rows, cols = self.work_size(height, width, work_megapixels)
        size = f"{height * width / MEGA:.1f} MP"
        if (rows, cols) == (height, width):
            return f"{size}: exact path (full resolution)"
        return f"{size}: gain-map fast path, network at {cols}×{rows} ({rows * cols / MEGA:.2f} MP)"

    def _network_ntire(
        self, image: np.ndarray, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        if not image.flags.writeable:  # e.g. np.asarray(PIL image); torch wants writable
            image = image.copy()
        y = torch.from_numpy(image).permute(2, 0, 1).unsqueeze(0)
        for index in range(len(self.stages)):
            try:
                y = self._run_stage(index, y, progress)
            finally:
                if self._ort is not None:  # its arena holds a tile's peak: ~1 GB
                    self._ort[index].release()
        return np.ascontiguousarray(y[0].permute(1, 2, 0).numpy())

    def _run_stage(
        self, index: int, x: torch.Tensor, progress: Callable[[int], None] | None
    ) -> torch.Tensor:
        """Stage ``index`` on the whole image x (N×3×H×W, on the CPU) → float32, on the CPU;
        a later stage's tiled result replaces its input (stage I's float32 array)."""
        fn = functools.partial(self._forward, index)
        if not self.tile:
            y = fn(x).cpu()
            if progress is not None:
                progress(1)
            return y
        radius = self.stages[index].radius
        if index > 0:
            return apply_tiled_in_place(fn, x, tile=self.tile, overlap=radius, progress=progress)
        return apply_tiled(
            fn, x, tile=self.tile, overlap=radius, out_dtype=torch.float32, progress=progress
        )

    def predict_ntire(
        self,
        image: np.ndarray,
        *,
        progress: Callable[[int], None] | None = None,
        work_megapixels: WorkMegapixels | None = None,
    ) -> np.ndarray:
        """The result in the NTIRE domain (float32 H×W×3, ≥ 0, 1.0 = input white).

        On the exact path this is the network's own output; on the fast path, the linear
        result raised to 1/2.24. ``progress`` is called with 1 after each tile of the network;
        ``work_megapixels`` overrides the instance's setting.
        """
        photo = check_photo(image)
        rows, cols = self.work_size(*photo.shape[:2], work_megapixels)
        if (rows, cols) == photo.shape[:2]:
            return self._network_ntire(photo, progress)
        y = self._fast_path(as_unit_float(photo), rows, cols, progress)
        return np.power(y, np.float32(1 / NTIRE_GAMMA), out=y)

    def __call__(
        self,
        image: np.ndarray,
        *,
        progress: Callable[[int], None] | None = None,
        work_megapixels: WorkMegapixels | None = None,
    ) -> np.ndarray:
        """Linear HDR (float32 H×W×3, ≥ 0, relative: 1.0 = the input's clipping white)."""
        photo = check_photo(image)
        rows, cols = self.work_size(*photo.shape[:2], work_megapixels)
        if (rows, cols) == photo.shape[:2]:
            y = self._network_ntire(photo, progress)
            return np.power(y, np.float32(NTIRE_GAMMA), out=y)
        return self._fast_path(as_unit_float(photo), rows, cols, progress)

    def _fast_path(
        self, photo: np.ndarray, rows: int, cols: int, progress: Callable[[int], None] | None
    ) -> np.ndarray:
        """Linear HDR of a checked photo with the network at rows × cols (the gain-map path)."""

        def network(small: np.ndarray) -> np.ndarray:
            return self._network_ntire(small, progress)

        return reconstruct_at(photo, network, rows, cols)

    def tile_count(
        self, height: int, width: int, work_megapixels: WorkMegapixels | None = None
    ) -> int:
        """How many tiles of the network an image of this size is processed in."""
        rows, cols = self.work_size(height, width, work_megapixels)
        return sum(len(grid) for grid in self.tile_grids(rows, cols))

    def tile_grids(self, rows: int, cols: int) -> list[list[Tile]]:
        """The tiles of each stage (:attr:`stages`) for a network input of rows × cols pixels;
        untiled, each stage has one tile, the whole input."""
        if not self.tile:
            whole = Tile(
                core=(slice(0, rows), slice(0, cols)), window=(slice(0, rows), slice(0, cols))
            )
            return [[whole] for _ in self.stages]
        return [
            tile_grid(rows, cols, tile=self.tile, overlap=stage.radius) for stage in self.stages
        ]


@functools.lru_cache(maxsize=2)
def _cached(
    weights: str | None, device: str, precision: str, tile: int | None, backend: str
) -> Reconstructor:
    return Reconstructor(weights, device=device, precision=precision, tile=tile, backend=backend)


def reconstruct(
    image: np.ndarray,
    *,
    weights: str | os.PathLike | None = None,
    device: str = "auto",
    precision: str = "fp32",
    tile: int | None = None,
    work_megapixels: WorkMegapixels = AUTO,
    backend: str = "auto",
) -> np.ndarray:
    """Reconstruct linear HDR from one LDR photo.

    Args:
        image: H×W×3 RGB, uint8 or float32 in [0, 1].
        weights, device, precision, tile, backend: as for :class:`Reconstructor` (the loaded
            model is cached, so repeated calls with the same settings do not reload it).
        work_megapixels: ``"auto"`` (exact up to 4 MP, else the gain-map fast path at 1 MP),
            ``0`` (exact, full size) or N megapixels (see :class:`Reconstructor`).

    Returns:
        float32 H×W×3 linear HDR, ≥ 0, relative to the input's exposure (1.0 = its white).
    """
    key = str(resolve_weights(weights).resolve())
    reconstructor = _cached(key, device, precision, tile, backend)
    return reconstructor(image, work_megapixels=work_megapixels)
