"""Tiled application of a local (finite receptive field) image network.

The image is cut into a grid of *core* tiles of at most ``tile`` × ``tile`` pixels, of balanced
sizes (a side of at most ``tile + 2·overlap`` pixels is not cut at all: one window holds it).
Each core is processed inside a *window* that reaches at least ``overlap`` pixels of real image
beyond it (or the image's border), and only the core of the result is kept. When ``overlap`` is
at least the network's receptive radius, every kept pixel sees exactly the inputs it would see
in a whole-image pass, so the tiled result equals the untiled one (up to
floating-point summation order).

All windows of one image have the same shape (those at the border are shifted inwards rather
than cut), so a backend that builds one graph or session per input shape builds one per image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise

import torch
from torch import Tensor

TileFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Tile:
    """One tile: the core rows/cols it produces and the padded window it reads."""

    core: tuple[slice, slice]
    window: tuple[slice, slice]

    @property
    def core_in_window(self) -> tuple[slice, slice]:
        """The core's position inside the padded window's result."""
        (cr, cc), (wr, wc) = self.core, self.window
        return (
            slice(cr.start - wr.start, cr.stop - wr.start),
            slice(cc.start - wc.start, cc.stop - wc.start),
        )


def _spans(length: int, tile: int, overlap: int) -> Iterator[tuple[slice, slice]]:
    """(core, window) spans along one axis: balanced cores, windows of one size."""
    count = 1 if length <= tile + 2 * overlap else -(-length // tile)  # ceil
    cores = list(pairwise(i * length // count for i in range(count + 1)))
    size = min(length, max(stop - start for start, stop in cores) + 2 * overlap)
    for start, stop in cores:
        first = min(max(start - overlap, 0), length - size)
        yield slice(start, stop), slice(first, first + size)


def tile_grid(height: int, width: int, *, tile: int, overlap: int) -> list[Tile]:
    """The tiles that cover an image of ``height`` × ``width`` pixels, row by row."""
    if tile < 1:
        raise ValueError(f"tile must be a positive number of pixels, got {tile!r}")
    if overlap < 0:
        raise ValueError(f"overlap must be ≥ 0 pixels, got {overlap!r}")
    return [
        Tile(core=(rc, cc), window=(rw, cw))
        for rc, rw in _spans(height, tile, overlap)
        for cc, cw in _spans(width, tile, overlap)
    ]


def apply_tiled(
    fn: TileFn,
    image: Tensor,
    *,
    tile: int,
    overlap: int,
    out_channels: int | None = None,
    out_dtype: torch.dtype | None = None,
    progress: Callable[[int], None] | None = None,
) -> Tensor:
    """Apply ``fn`` (N×C×h×w → N×C'×h×w, same h×w) to ``image`` (N×C×H×W) tile by tile.

    The result is assembled on ``image``'s device, in ``out_dtype`` (default: ``image``'s; pass
    a CPU image to keep big results off the accelerator; ``fn`` moves each window where it
    computes), in channels-last
    memory layout, so that ``result[0].permute(1, 2, 0)`` is an H×W×C array without a copy.
    ``progress`` is called with 1 after each tile.
    """
    n, c, height, width = image.shape
    result = torch.empty(
        (n, out_channels or c, height, width),
        dtype=out_dtype or image.dtype,
        device=image.device,
        memory_format=torch.channels_last,
    )
    for t in tile_grid(height, width, tile=tile, overlap=overlap):
        out = fn(image[(..., *t.window)])
        result[(..., *t.core)] = out[(..., *t.core_in_window)].to(result.device, result.dtype)
        if progress is not None:
            progress(1)
    return result


def apply_tiled_in_place(
    fn: TileFn,
    image: Tensor,
    *,
    tile: int,
    overlap: int,
    progress: Callable[[int], None] | None = None,
) -> Tensor:
    """Like :func:`apply_tiled`, but the result replaces ``image`` (N×C×H×W) and is returned.

    ``fn`` must keep the channels; its result is cast to ``image``'s dtype. A tile's result is
    held back until no window still to be computed reads its core (windows come row by row, so
    about two rows of tiles are held), so every window reads ``image``'s original values and the
    result equals :func:`apply_tiled`'s, without a second full-size array.
    """
    pending: list[tuple[Tile, Tensor]] = []
    for t in tile_grid(image.shape[-2], image.shape[-1], tile=tile, overlap=overlap):
        first_row = t.window[0].start  # no later window starts above it
        pending = _write_back(image, pending, before_row=first_row)
        out = fn(image[(..., *t.window)])
        pending.append((t, out[(..., *t.core_in_window)]))
        if progress is not None:
            progress(1)
    _write_back(image, pending, before_row=image.shape[-2])
    return image


def _write_back(
    image: Tensor, pending: list[tuple[Tile, Tensor]], *, before_row: int
) -> list[tuple[Tile, Tensor]]:
    """Write the held results whose cores end at or above ``before_row``; return the others."""
    held = []
    for t, core in pending:
        if t.core[0].stop <= before_row:
            image[(..., *t.core)] = core.to(image.device, image.dtype)
        else:
            held.append((t, core))
    return held
