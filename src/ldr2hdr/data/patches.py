"""The paper's patch preparation: cut NTIRE frames into square tiles, written in the NTIRE layout.

Tile ``(top, left)`` of frame ``NNNN`` becomes frame ``NNNN_y<top>_x<left>`` (4-digit pixel
offsets) in the output folder, with every part the source frame has: the LDR shots cropped
losslessly, the ground truth re-encoded with its own alignratio (``write_hdr(format='ntire')``),
the exposures copied. Tiles lie on a grid with stride = tile size from the top-left corner; the
remainder at the right and bottom (less than a tile) is dropped. :func:`NtireFrame.scene_id`
maps a tile back to its frame, so a split by scene keeps all tiles of a frame together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ldr2hdr.data._files import write_npy, write_png8
from ldr2hdr.data.ntire import EXPOSURE_NAMES, NtireFrame, usable_frames
from ldr2hdr.domain import ntire_to_linear
from ldr2hdr.errors import ImageWriteError
from ldr2hdr.io import read_ldr, read_ntire, write_hdr

PAPER_TILE_SIZE = 256
LDR_MAX = 255


def tile_origins(height: int, width: int, tile: int) -> list[tuple[int, int]]:
    """Top-left corners ``(top, left)`` of the whole tiles of a height×width frame, row-major."""
    return [
        (top, left)
        for top in range(0, height - tile + 1, tile)
        for left in range(0, width - tile + 1, tile)
    ]


def _tile_frame(frame: NtireFrame, out_dir: Path, top: int, left: int) -> NtireFrame:
    return NtireFrame(f"{frame.frame_id}_y{top:04d}_x{left:04d}", out_dir)


def _read_parts(frame: NtireFrame) -> dict[str, np.ndarray]:
    """The frame's LDR shots as uint8 and its ground truth in the NTIRE domain (float32)."""
    parts = {
        name: np.round(read_ldr(frame.path(name)) * LDR_MAX).astype(np.uint8)
        for name in EXPOSURE_NAMES
        if frame.path(name).is_file()
    }
    parts["gt"] = read_ntire(frame.path("gt"))
    return parts


def _write_tile(
    tile: NtireFrame, parts: dict[str, np.ndarray], exposures: np.ndarray | None, overwrite: bool
) -> None:
    for name, image in parts.items():
        if name != "gt":
            write_png8(tile.path(name), image, overwrite=overwrite)
    linear = ntire_to_linear(parts["gt"].astype(np.float64)).astype(np.float32)
    write_hdr(tile.path("gt"), linear, format="ntire", overwrite=overwrite)
    if exposures is not None:
        write_npy(tile.path("exposures"), exposures, overwrite=overwrite)


def prepare_patches(
    frames: Sequence[NtireFrame],
    out_dir: str | Path,
    *,
    tile: int = PAPER_TILE_SIZE,
    skip_bad: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> int:
    """Cut frames into tile×tile patches and write them as NTIRE frames in ``out_dir``.

    Args:
        frames: the source frames (e.g. :func:`~ldr2hdr.data.ntire.find_frames`); each needs at
            least its medium shot, ground truth and alignratio.
        out_dir: output folder (created if needed).
        tile: side of the square tiles in pixels.
        skip_bad: warn about and leave out inconsistent frames instead of raising.
        overwrite: replace existing output files instead of raising ImageWriteError.
        progress: show a tqdm progress bar (on stderr, only on a terminal).

    Returns:
        The number of tiles written.

    Raises:
        DatasetError: for a missing or inconsistent frame (unless ``skip_bad``).
        ImageWriteError: if an output file exists (unless ``overwrite``) or cannot be written.
    """
    if tile < 1:
        raise ValueError(f"tile must be a positive number of pixels, got {tile}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageWriteError(f"{out_dir}: cannot create the output folder: {exc}") from exc
    written = 0
    good = usable_frames(frames, inputs=("medium",), skip_bad=skip_bad)
    for frame in tqdm(good, desc="tiling", unit="frame", disable=None if progress else True):
        parts = _read_parts(frame)
        exposures_path = frame.path("exposures")
        exposures = np.load(exposures_path) if exposures_path.is_file() else None
        for top, left in tile_origins(*parts["gt"].shape[:2], tile):
            window = (slice(top, top + tile), slice(left, left + tile))
            tile_parts = {name: image[window] for name, image in parts.items()}
            _write_tile(_tile_frame(frame, out_dir, top, left), tile_parts, exposures, overwrite)
            written += 1
    return written
