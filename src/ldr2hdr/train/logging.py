"""Run logs: a CSV of every logged scalar, TensorBoard event files and sample-grid PNGs.

``RUN_DIR/metrics.csv`` has one row per scalar: ``step,tag,value,wall_time`` (``wall_time`` in
Unix seconds). TensorBoard events go to ``RUN_DIR/events`` through ``tensorboardX`` when it is
installed (``tensorboard --logdir RUN_DIR/events``); without it only the CSV is written and a
warning says so. Sample grids are written to ``RUN_DIR/samples/step_NNNNNNN.png``.

On resume, rows and events after the checkpoint's step (written by the interrupted run after
its last checkpoint) are dropped, so the logs read as one uninterrupted run.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ldr2hdr.fs import atomic_path
from ldr2hdr.io import tonemap, write_preview

CSV_NAME = "metrics.csv"
EVENTS_DIR = "events"
SAMPLES_DIR = "samples"
CSV_FIELDS = ("step", "tag", "value", "wall_time")
STEP_DIGITS = 7


def _truncate_csv(path: Path, last_step: int) -> None:
    """Keep only the rows of ``path`` with step ≤ ``last_step`` (rewritten atomically)."""
    with path.open(newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if int(row["step"]) <= last_step]
    with (
        atomic_path(path, overwrite=True) as temporary,
        temporary.open("w", newline="", encoding="utf-8") as stream,
    ):
        writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


class RunLogger:
    """Writes scalars and sample grids for rank 0; every method is a no-op when not ``enabled``.

    Args:
        run_dir: the run's folder.
        enabled: False on ranks other than 0.
        resume_step: the step a resumed run continues from (None for a fresh run).
    """

    def __init__(self, run_dir: Path, *, enabled: bool, resume_step: int | None = None) -> None:
        self.enabled = enabled
        self.run_dir = Path(run_dir)
        self._writer = None
        self._csv = None
        if not enabled:
            return
        csv_path = self.run_dir / CSV_NAME
        if resume_step is not None and csv_path.is_file():
            _truncate_csv(csv_path, resume_step)
        new_file = not csv_path.is_file()
        self._csv = csv_path.open("a", newline="", encoding="utf-8")
        self._rows = csv.writer(self._csv)
        if new_file:
            self._rows.writerow(CSV_FIELDS)
        self._writer = self._event_writer(resume_step)

    def _event_writer(self, resume_step: int | None) -> Any:
        if importlib.util.find_spec("tensorboardX") is None:
            warnings.warn(
                "tensorboardX is not installed: no TensorBoard events (metrics.csv has every "
                "scalar); pip install tensorboardX",
                stacklevel=3,
            )
            return None
        from tensorboardX import SummaryWriter

        purge = None if resume_step is None else resume_step + 1
        return SummaryWriter(logdir=str(self.run_dir / EVENTS_DIR), purge_step=purge)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """Log named scalars at ``step`` (non-finite values are written as ``nan``/``inf``)."""
        if not self.enabled:
            return
        now = time.time()
        for tag, value in values.items():
            self._rows.writerow((step, tag, repr(float(value)), f"{now:.3f}"))
            if self._writer is not None and not math.isnan(value):
                self._writer.add_scalar(tag, float(value), step, walltime=now)
        self._csv.flush()

    def sample_grid(self, step: int, grid_linear: np.ndarray) -> Path | None:
        """Write a tone-mapped sample grid (H×W×3 float32, linear relative) for ``step``."""
        if not self.enabled:
            return None
        folder = self.run_dir / SAMPLES_DIR
        folder.mkdir(exist_ok=True)
        path = write_preview(
            folder / f"step_{step:0{STEP_DIGITS}d}.png", grid_linear, overwrite=True
        )
        if self._writer is not None:
            self._writer.add_image("samples", tonemap(grid_linear), step, dataformats="HWC")
        return path

    def flush(self) -> None:
        """Push buffered rows and events to disk."""
        if self._csv is not None:
            self._csv.flush()
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        """Flush and close the files."""
        if self._csv is not None:
            self._csv.close()
            self._csv = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
