"""How much memory a forward pass may use, and the tile size that fits in it."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

# Peak memory of a no-grad forward pass of the two-stage network, per pixel of the processed
# window, measured as ~2.0–2.6 KB at fp32 on CPU (256² to 1024², channels-last); rounded up.
BYTES_PER_PIXEL_FP32 = 3 * 1024
# The same for the ONNX Runtime backend (static shapes, memory patterns off; its graph has no
# Concat in the dense blocks): 1.66–1.72 KB at 459² to 800² without the arena, 1.71–1.76 KB
# with the session arena the backend uses; rounded up.
ORT_BYTES_PER_PIXEL = 1900
# Share of the available memory a forward pass may take, and a hard cap on the CPU.
CPU_MEMORY_SHARE = 0.25
CPU_MEMORY_CAP = 1 << 30
GPU_MEMORY_SHARE = 0.5
MIN_TILE, MAX_TILE = 64, 4096


def available_memory(device: torch.device) -> int:
    """Bytes of memory free for work on ``device`` (RAM for the CPU, free memory for CUDA)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def auto_tile_size(
    device: torch.device,
    *,
    overlap: int,
    bytes_per_element: int = 4,
    bytes_per_pixel: float | None = None,
) -> int:
    """The largest tile (core side, pixels) whose padded window fits the memory budget.

    ``bytes_per_pixel``: the forward pass's peak per window pixel (default: PyTorch's,
    :data:`BYTES_PER_PIXEL_FP32` scaled by ``bytes_per_element``).
    """
    if device.type == "cuda":
        budget = available_memory(device) * GPU_MEMORY_SHARE
    else:
        budget = min(available_memory(device) * CPU_MEMORY_SHARE, CPU_MEMORY_CAP)
    per_pixel = bytes_per_pixel or BYTES_PER_PIXEL_FP32 * bytes_per_element / 4
    window = int(math.sqrt(budget / per_pixel))
    return max(MIN_TILE, min(MAX_TILE, window - 2 * overlap))
