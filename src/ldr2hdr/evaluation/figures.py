"""Figures of an evaluation report (matplotlib, no pyplot state): crops grid and score bars.

Crops are tone-mapped with :func:`ldr2hdr.io.tonemap` (``shoulder`` curve, exposure 0, sRGB), the
same way for the input, the reference and every method, so columns compare directly.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from ldr2hdr.domain import REC709_LUMINANCE, ntire_to_linear
from ldr2hdr.evaluation.records import Prediction, SummaryRow
from ldr2hdr.io import tonemap

CROP_SIZE = 128
"""Side of the square crop, in pixels (smaller images are shown whole)."""
CROP_FRAMES = 4
"""Frames (rows) shown in the crops figure: the first ones scored."""
CELL_INCHES = 1.7
BAR_INCHES = (3.2, 0.35)
"""Width of one score panel, and height per method."""
DPI = 100


def brightest_window(reference: np.ndarray, size: int) -> tuple[slice, slice]:
    """The ``size``×``size`` window (clamped to the image) of highest mean reference luminance.

    Args:
        reference: H×W×3 NTIRE-domain image ≥ 0.
        size: window side in pixels, ≥ 1.

    Returns:
        (rows, columns) slices of the window.
    """
    height, width = reference.shape[:2]
    rows, cols = min(size, height), min(size, width)
    lum = np.ascontiguousarray(reference @ np.asarray(REC709_LUMINANCE, dtype=np.float32))
    mean = cv2.boxFilter(lum.astype(np.float32), -1, (cols, rows), borderType=cv2.BORDER_REFLECT)
    centre_y, centre_x = np.unravel_index(int(np.argmax(mean)), mean.shape)
    top = int(np.clip(centre_y - rows // 2, 0, height - rows))
    left = int(np.clip(centre_x - cols // 2, 0, width - cols))
    return slice(top, top + rows), slice(left, left + cols)


def _display(ntire: np.ndarray, window: tuple[slice, slice]) -> np.ndarray:
    crop = np.maximum(ntire[window], 0.0).astype(np.float32)
    return tonemap(ntire_to_linear(crop))


class CropCollector:
    """``on_prediction`` callback for :func:`ldr2hdr.evaluation.evaluate`: keeps display crops.

    ``crops[frame][column]`` is a float32 h×w×3 display image in [0, 1] for the columns
    ``input``, ``reference`` and each method, over the first ``frames`` frames; the window is
    the brightest of the reference (:func:`brightest_window`).
    """

    def __init__(self, *, frames: int = CROP_FRAMES, size: int = CROP_SIZE) -> None:
        if frames < 1 or size < 1:
            raise ValueError(f"frames and size must be ≥ 1, got {frames!r} and {size!r}")
        self.frames = frames
        self.size = size
        self.crops: dict[str, dict[str, np.ndarray]] = {}
        self._windows: dict[str, tuple[slice, slice]] = {}

    def __call__(self, prediction: Prediction) -> None:
        frame = prediction.frame
        if frame not in self.crops:
            if len(self.crops) >= self.frames:
                return
            window = brightest_window(prediction.reference, self.size)
            self._windows[frame] = window
            self.crops[frame] = {
                "input": _display(prediction.ldr, window),
                "reference": _display(prediction.reference, window),
            }
        self.crops[frame][prediction.method] = _display(prediction.ntire, self._windows[frame])


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def crops_figure(crops: Mapping[str, Mapping[str, np.ndarray]]) -> bytes:
    """A PNG grid: one row per frame, one column per entry (input, reference, methods).

    Args:
        crops: frame → column name → display image (h×w×3 float in [0, 1]).

    Returns:
        The PNG file's bytes.
    """
    from matplotlib.figure import Figure

    if not crops:
        raise ValueError("crops is empty: no frame to show")
    columns = list(dict.fromkeys(name for row in crops.values() for name in row))
    figure = Figure(figsize=(CELL_INCHES * len(columns), CELL_INCHES * len(crops)))
    axes = figure.subplots(len(crops), len(columns), squeeze=False)
    for row, (frame, images) in enumerate(crops.items()):
        for col, name in enumerate(columns):
            axis = axes[row][col]
            axis.set_xticks([])
            axis.set_yticks([])
            if name in images:
                axis.imshow(np.clip(images[name], 0.0, 1.0), interpolation="nearest")
            if row == 0:
                axis.set_title(name, fontsize=9)
            if col == 0:
                axis.set_ylabel(frame, fontsize=8)
    figure.tight_layout()
    return _png(figure)


def scores_figure(rows: Sequence[SummaryRow], labels: Mapping[str, str]) -> bytes:
    """A PNG of horizontal bar charts, one panel per score, one bar per method (mean scores).

    Args:
        rows: the summary, one row per method.
        labels: score field name → axis title, in panel order.

    Returns:
        The PNG file's bytes. A +inf mean is drawn as an empty bar labelled ``inf``.
    """
    from matplotlib.figure import Figure

    names = [row.method for row in rows]
    width, per_method = BAR_INCHES
    figure = Figure(figsize=(width * len(labels), 1.0 + per_method * len(names)))
    axes = figure.subplots(1, len(labels), squeeze=False)[0]
    positions = np.arange(len(names))
    for axis, (key, label) in zip(axes, labels.items(), strict=True):
        values = np.array([getattr(row, key) for row in rows], dtype=np.float64)
        axis.barh(positions, np.where(np.isfinite(values), values, 0.0), color="tab:blue")
        for position, value in zip(positions, values, strict=True):
            axis.text(
                value if np.isfinite(value) else 0.0,
                position,
                f" {value:.3g}",
                va="center",
                fontsize=7,
            )
        axis.set_yticks(positions, names if axis is axes[0] else [""] * len(names))
        axis.invert_yaxis()
        axis.set_title(label, fontsize=9)
        axis.tick_params(labelsize=8)
    figure.tight_layout()
    return _png(figure)
