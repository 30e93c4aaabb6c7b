"""A bilateral grid (Paris & Durand 2006; Chen, Paris & Durand 2007) for cross-bilateral filters.

OpenCV's joint bilateral filter lives in the contrib package, which this project does not use,
and ``cv2.bilateralFilter`` filters an image by itself only (and is slow for wide float kernels).
:func:`cross_bilateral_grid` splats (value, 1) into a coarse 3-D grid whose cells are half a σ
on each axis (σ_space/2 × σ_space/2 × σ_range/2), blurs the grid with a separable Gaussian of
σ = 2 cells (the 5-tap binomial kernel, variance 1 cell², applied 4 times), slices it by trilinear
interpolation and divides. Cost is linear in the pixel count whatever σ_space. Half-σ cells keep
the error against the exact filter near 1 % of the signal range at worst (tested); cells of one σ,
as in Paris & Durand, gave about 4 %.
"""

from __future__ import annotations

import math

import numpy as np

BINOMIAL_KERNEL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
"""5-tap binomial ≈ Gaussian of σ = 1 grid cell (its variance is exactly 1)."""
KERNEL_RADIUS = len(BINOMIAL_KERNEL) // 2
CELLS_PER_SIGMA = 2
BLUR_PASSES = CELLS_PER_SIGMA**2
"""Passes of the unit-variance kernel that make a Gaussian of σ = CELLS_PER_SIGMA cells."""
GRID_PAD = KERNEL_RADIUS * BLUR_PASSES
"""Empty cells around the data, so that the blurred mass stays inside the grid."""


def _blur_axis(grid: np.ndarray, axis: int) -> np.ndarray:
    """Convolve ``grid`` with :data:`BINOMIAL_KERNEL` along ``axis`` (zero padding)."""
    padding = [(0, 0)] * grid.ndim
    padding[axis] = (KERNEL_RADIUS, KERNEL_RADIUS)
    padded = np.pad(grid, padding)
    length = grid.shape[axis]
    out = np.zeros_like(grid)
    for offset, weight in enumerate(BINOMIAL_KERNEL):
        out += weight * np.take(padded, np.arange(offset, offset + length), axis=axis)
    return out


def _trilinear(grid: np.ndarray, coords: tuple[np.ndarray, ...]) -> np.ndarray:
    """Sample a 3-D grid at fractional ``coords`` (inside the grid) by trilinear interpolation."""
    base = [np.floor(c).astype(np.intp) for c in coords]
    frac = [c - b for c, b in zip(coords, base, strict=True)]
    out = np.zeros(coords[0].shape)
    for corner in range(8):
        bits = [(corner >> axis) & 1 for axis in range(3)]
        weight = np.ones(coords[0].shape)
        for f, bit in zip(frac, bits, strict=True):
            weight = weight * (f if bit else 1.0 - f)
        out += weight * grid[tuple(b + bit for b, bit in zip(base, bits, strict=True))]
    return out


def cross_bilateral_grid(
    values: np.ndarray, guide: np.ndarray, *, sigma_space: float, sigma_range: float
) -> np.ndarray:
    """Cross (joint) bilateral filter of ``values`` edge-stopped by ``guide``, on a bilateral grid.

    Approximates ``Σ_q G_s(|p − q|) G_r(|g_p − g_q|) v_q / Σ_q G_s G_r`` (Gaussian kernels of
    standard deviation ``sigma_space`` px and ``sigma_range`` guide units).

    Args:
        values: H×W float, the signal to filter (e.g. a 0/1 mask).
        guide: H×W float, the edge image (e.g. display luminance in [0, 1]).
        sigma_space: spatial σ in pixels, > 0.
        sigma_range: range σ in guide units, > 0.

    Returns:
        float64 H×W, the filtered signal, within ``[min(values), max(values)]``.
    """
    if values.shape != guide.shape or values.ndim != 2:
        raise ValueError(
            f"values and guide must share one H×W shape, got {values.shape} and {guide.shape}"
        )
    if not (sigma_space > 0 and sigma_range > 0):
        raise ValueError(f"sigmas must be > 0, got {sigma_space!r} and {sigma_range!r}")
    rows, cols = np.indices(values.shape, dtype=np.float64)
    coords = (
        rows * (CELLS_PER_SIGMA / sigma_space) + GRID_PAD,
        cols * (CELLS_PER_SIGMA / sigma_space) + GRID_PAD,
        (guide - guide.min()) * (CELLS_PER_SIGMA / sigma_range) + GRID_PAD,
    )
    shape = tuple(math.ceil(c.max()) + GRID_PAD + 2 for c in coords)
    cells = np.ravel_multi_index(tuple(np.rint(c).astype(np.intp) for c in coords), shape)
    size = math.prod(shape)
    data = np.bincount(cells.ravel(), weights=values.ravel(), minlength=size).reshape(shape)
    weight = np.bincount(cells.ravel(), minlength=size).astype(np.float64).reshape(shape)
    for axis in range(3):
        for _ in range(BLUR_PASSES):
            data, weight = _blur_axis(data, axis), _blur_axis(weight, axis)
    total = _trilinear(weight, coords)
    filtered = _trilinear(data, coords) / np.maximum(total, np.finfo(np.float64).tiny)
    return np.clip(filtered, values.min(), values.max())
