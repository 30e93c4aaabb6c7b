"""The report of an evaluation: per-method summary, its Markdown table, the report folder.

``write_report`` writes ``scores.csv`` (one :class:`~ldr2hdr.evaluation.records.ScoreRecord` a
line), ``summary.csv`` (one :class:`~ldr2hdr.evaluation.records.SummaryRow` a method),
``report.md`` and the two figures of :mod:`ldr2hdr.evaluation.figures`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ldr2hdr.evaluation.figures import crops_figure, scores_figure
from ldr2hdr.evaluation.records import (
    DIAGNOSTICS,
    METRIC_LABELS,
    EvaluationError,
    ScoreRecord,
    SummaryRow,
    csv_bytes,
)
from ldr2hdr.evaluation.scoring import METRICS
from ldr2hdr.fs import write_files_atomically
from ldr2hdr.metrics import mean_scores, median_finite

REPORT_FILES = ("scores.csv", "summary.csv", "report.md", "crops.png", "scores.png")
"""The files of a report folder, all written by :func:`write_report`."""


def summarise(records: Sequence[ScoreRecord]) -> list[SummaryRow]:
    """Mean scores per method, in the order methods first appear.

    +inf per-image scores (a prediction equal to the reference) are kept, as the challenge's
    ``np.mean`` does: a method's mean is then +inf, and ``inf_scores`` counts them.
    """
    if not records:
        raise EvaluationError("no score records to summarise")
    names = list(dict.fromkeys(record.method for record in records))
    rows = []
    for name in names:
        own = [record for record in records if record.method == name]
        means = {key: mean_scores(getattr(r, key) for r in own) for key in METRICS}
        infinite = sum(math.isinf(getattr(r, key)) for r in own for key in METRICS)
        seconds = float(np.mean([r.seconds for r in own]))
        ratios = {key: median_finite(getattr(r, key) for r in own) for key in DIAGNOSTICS}
        rows.append(
            SummaryRow(
                name,
                len(own),
                **means,
                parameters=own[0].parameters,
                seconds_per_image=seconds,
                inf_scores=infinite,
                **ratios,
            )
        )
    return rows


def format_table(rows: Sequence[SummaryRow]) -> str:
    """A Markdown table of the summary (scores to 2–4 decimals, parameters with separators)."""
    header = ["method", "images", *METRIC_LABELS.values(), *DIAGNOSTICS.values()]
    header += ["parameters", "s / image"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            row.method,
            str(row.images),
            f"{row.psnr_l:.2f}",
            f"{row.mu_psnr:.2f}",
            f"{row.pu21_psnr:.2f}",
            f"{row.pu21_ssim:.4f}",
            *(f"{getattr(row, key):.3f}" for key in DIAGNOSTICS),
            f"{row.parameters:,}",
            f"{row.seconds_per_image:.3f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def report_markdown(rows: Sequence[SummaryRow], *, data_dir: str | os.PathLike) -> str:
    """The text of ``report.md``: the summary table, how it was computed, the figures."""
    frames = max(row.images for row in rows)
    return (
        "# Evaluation report\n\n"
        f"Data: `{data_dir}` ({frames} frames; input `NNNN_medium.png`, reference "
        "`NNNN_gt.png` in the NTIRE domain).\n\n"
        "Mean per method over the frames:\n\n"
        f"{format_table(rows)}\n"
        "- Scores: PSNR-L and μ-PSNR as in the NTIRE 2021 challenge; PU21-PSNR and PU21-SSIM "
        "with the NTIRE white at 100 cd/m² (see docs/metrics.md).\n"
        "- +inf (a prediction identical to its reference) is kept in the mean, as the "
        "challenge's `np.mean` does, so one +inf image makes a method's mean +inf; "
        f"+inf per-image scores in this table: {sum(row.inf_scores for row in rows)} "
        "(column `inf_scores` of summary.csv).\n"
        "- Mid-tone ratio: median over the input's well-exposed pixels (linear max channel "
        "0.1–0.8, input linearised as `ldr**2.24`) of output / input (linear); 1.0 leaves them "
        "alone; *reference's*: the same for the reference. p99.9 ratio: the output's 99.9th "
        "percentile of linear luminance over the reference's. Medians over the frames.\n"
        "- Operators (parameters 0) are rescaled so that their well-exposed pixels match the "
        "linearised input in the median (docs/evaluation.md).\n"
        "- s / image: wall-clock seconds of the prediction only (no file reading, no scoring); "
        "the first image of a network includes its warm-up.\n\n"
        "Per-image scores: `scores.csv`. Figures: tone-mapped crops of the brightest region of "
        "each reference (`crops.png`), mean scores (`scores.png`).\n\n"
        "![crops](crops.png)\n\n![scores](scores.png)\n"
    )


def check_report_folder(out_dir: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Create ``out_dir`` if needed; refuse (unless ``overwrite``) if a report file exists."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise EvaluationError(f"{out_dir}: not a folder")
    existing = [name for name in REPORT_FILES if (out_dir / name).exists()]
    if existing and not overwrite:
        raise EvaluationError(f"{out_dir}: already holds {existing} (pass --overwrite to replace)")
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def write_report(
    records: Sequence[ScoreRecord],
    out_dir: str | os.PathLike,
    *,
    crops: Mapping[str, Mapping[str, np.ndarray]],
    data_dir: str | os.PathLike,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``scores.csv``, ``summary.csv``, ``report.md``, ``crops.png`` and ``scores.png``.

    Args:
        records: per-image scores from :func:`~ldr2hdr.evaluation.evaluate`.
        out_dir: the report folder (created if needed).
        crops: frame → column name → display image (H×W×3 float in [0, 1]), e.g. from
            :class:`ldr2hdr.evaluation.CropCollector`.
        data_dir: shown in the report.
        overwrite: replace existing report files; otherwise they are an error.

    Returns:
        The paths written (each written to a temporary file and renamed into place).
    """
    out_dir = check_report_folder(out_dir, overwrite=overwrite)
    rows = summarise(records)
    files = {
        out_dir / "scores.csv": csv_bytes(records),
        out_dir / "summary.csv": csv_bytes(rows),
        out_dir / "report.md": report_markdown(rows, data_dir=data_dir).encode("utf-8"),
        out_dir / "crops.png": crops_figure(crops),
        out_dir / "scores.png": scores_figure(rows, METRIC_LABELS),
    }
    write_files_atomically(files, overwrite=overwrite)
    return list(files)
