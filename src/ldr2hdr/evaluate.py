"""Score reconstruction methods (networks and classical operators) on an NTIRE-layout folder.

A *method* is a registered network (``ldr2hdr.models``; it needs a weights file, except
``twostage``, which falls back on the packaged weights) or an expansion operator
(``ldr2hdr.operators``; rescaled to the NTIRE domain by ``ntire_scale``). A network name may
carry the working resolution of the gain-map fast path: ``twostage@1/4`` (a quarter of each
image's pixels), ``twostage@0.1mp`` (0.1 megapixels); a bare name is the exact path. Each
frame's input is ``NNNN_medium.png`` and its reference ``NNNN_gt.png`` + alignratio (NTIRE
domain). Per image and method: PSNR-L, μ-PSNR, PU21-PSNR, PU21-SSIM (``ldr2hdr.metrics``),
parameter count (0 for operators) and wall-clock seconds of the prediction. See
``docs/evaluation.md``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from ldr2hdr.data.ntire import check_frame, find_frames
from ldr2hdr.errors import Ldr2HdrError, WeightsError
from ldr2hdr.fs import write_files_atomically
from ldr2hdr.inference.gainmap import WorkSpec
from ldr2hdr.io import read_ldr, read_ntire
from ldr2hdr.metrics import (
    highlight_ratio,
    mean_scores,
    median_finite,
    midtone_ratio,
    mu_psnr,
    psnr_l,
    pu21_psnr,
    pu21_ssim,
)
from ldr2hdr.operators import list_operators, operator_ntire

METRICS = {"psnr_l": psnr_l, "mu_psnr": mu_psnr, "pu21_psnr": pu21_psnr, "pu21_ssim": pu21_ssim}
"""Score name → metric function (prediction, reference), both H×W×3 NTIRE domain."""

METRIC_LABELS = {
    "psnr_l": "PSNR-L (dB)",
    "mu_psnr": "μ-PSNR (dB)",
    "pu21_psnr": "PU21-PSNR (dB)",
    "pu21_ssim": "PU21-SSIM",
}
DIAGNOSTICS = {
    "midtone_ratio": "mid-tone ratio",
    "reference_midtone_ratio": "reference's",
    "highlight_ratio": "p99.9 ratio",
}
"""Per-frame diagnostics (not scores), summarised by their median: the method's
:func:`~ldr2hdr.metrics.midtone_ratio` (1.0 = well-exposed input pixels left alone), the
reference's own, and :func:`~ldr2hdr.metrics.highlight_ratio` (output's 99.9th-percentile
luminance over the reference's)."""

DEFAULT_NETWORK = "twostage"
WORK_SEPARATOR = "@"
REPORT_FILES = ("scores.csv", "summary.csv", "report.md", "crops.png", "scores.png")


class EvaluationError(Ldr2HdrError, ValueError):
    """A bad method list or weights mapping (the message names the method and the reason)."""


@dataclass(frozen=True)
class ScoreRecord:
    """One method's scores on one frame (dB for the PSNRs; +inf for an exact prediction)."""

    frame: str
    method: str
    psnr_l: float
    mu_psnr: float
    pu21_psnr: float
    pu21_ssim: float
    parameters: int
    seconds: float
    midtone_ratio: float = math.nan
    reference_midtone_ratio: float = math.nan
    highlight_ratio: float = math.nan


@dataclass(frozen=True)
class SummaryRow:
    """Means over the frames of one method; ``inf_scores`` counts +inf per-image scores.

    The three ratios are medians over the frames (see :data:`DIAGNOSTICS`).
    """

    method: str
    images: int
    psnr_l: float
    mu_psnr: float
    pu21_psnr: float
    pu21_ssim: float
    parameters: int
    seconds_per_image: float
    inf_scores: int
    midtone_ratio: float = math.nan
    reference_midtone_ratio: float = math.nan
    highlight_ratio: float = math.nan


@dataclass(frozen=True)
class Prediction:
    """What :func:`evaluate` hands to ``on_prediction``: one method's output on one frame.

    ``ldr`` is the input (float32 H×W×3, [0, 1], display-referred); ``reference`` and ``ntire``
    are float32 H×W×3 in the NTIRE domain (relative, 1.0 = input white).
    """

    frame: str
    method: str
    ldr: np.ndarray
    reference: np.ndarray
    ntire: np.ndarray


@dataclass(frozen=True)
class Method:
    """A resolved method: ``predict`` maps float32 H×W×3 LDR [0, 1] to NTIRE-domain HDR."""

    name: str
    parameters: int
    predict: Callable[[np.ndarray], np.ndarray]


def _network(
    name: str,
    weights: str | os.PathLike | None,
    *,
    device: str,
    tile: int | None,
    work: WorkSpec | None = None,
    label: str | None = None,
) -> Method:
    from ldr2hdr.inference import Reconstructor
    from ldr2hdr.models import read_weights_metadata
    from ldr2hdr.models.presets import resolve_weights

    if weights is None and name != DEFAULT_NETWORK:
        raise WeightsError(
            f"method {name!r} is a network and needs weights: pass --weights {name}=FILE"
        )
    weights = resolve_weights(weights)
    arch = read_weights_metadata(weights)["arch"]
    if arch != name:
        raise WeightsError(f"{weights}: weights are for {arch!r}, not for method {name!r}")
    reconstructor = Reconstructor(weights, device=device, tile=tile, work_megapixels=0)
    count = sum(p.numel() for p in reconstructor.model.parameters())

    def predict(ldr: np.ndarray) -> np.ndarray:
        megapixels = 0.0 if work is None else work.megapixels(*ldr.shape[:2])
        return reconstructor.predict_ntire(ldr, work_megapixels=megapixels)

    return Method(label or name, count, predict)


def _parse_work(spec: str) -> WorkSpec:
    try:
        return WorkSpec.parse(spec)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from None


def _operator(name: str) -> Method:
    def predict(ldr: np.ndarray) -> np.ndarray:
        return operator_ntire(name, ldr)

    return Method(name, 0, predict)


def resolve_methods(
    methods: Sequence[str],
    *,
    weights: Mapping[str, str | os.PathLike] | None = None,
    device: str = "auto",
    tile: int | None = None,
) -> list[Method]:
    """Turn method names into :class:`Method` objects (loading networks' weights).

    Args:
        methods: registered network names and/or operator names, no repeats; a network name
            may end in ``@P/Q`` (fast path at that fraction of each image's pixels) or
            ``@Nmp`` (fast path at N megapixels), e.g. ``twostage@1/4``.
        weights: network name → weights file; ``twostage`` without an entry takes the packaged
            default weights.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps`` for the networks (operators run on NumPy).
        tile: the networks' tile side (None: from free memory; 0: no tiling).

    Raises:
        TypeError: ``methods`` is one string instead of a sequence of names.
        EvaluationError: empty or repeated names, an unknown name, or weights for a name that
            is not a listed network.
        WeightsError: a network without weights, or weights made for another architecture.
    """
    from ldr2hdr.models import list_models

    if isinstance(methods, str):
        raise TypeError(f"methods must be a sequence of names, not the string {methods!r}")
    weights = dict(weights or {})
    if not methods:
        raise EvaluationError("no method given")
    repeated = sorted({name for name in methods if list(methods).count(name) > 1})
    if repeated:
        raise EvaluationError(f"methods repeated: {repeated}")
    networks, operators = set(list_models()), set(list_operators())
    bases = [name.partition(WORK_SEPARATOR)[0] for name in methods]
    stray = sorted(set(weights).difference(base for base in bases if base in networks))
    if stray:
        raise EvaluationError(f"--weights given for {stray}, which are not networks being scored")
    resolved = []
    for name, base in zip(methods, bases, strict=True):
        if base in networks:
            _, sep, spec = name.partition(WORK_SEPARATOR)
            work = _parse_work(spec) if sep else None
            resolved.append(
                _network(base, weights.get(base), device=device, tile=tile, work=work, label=name)
            )
        elif name in operators:
            resolved.append(_operator(name))
        else:
            raise EvaluationError(
                f"unknown method {name!r}; networks: {', '.join(sorted(networks))}; "
                f"operators: {', '.join(sorted(operators))}"
            )
    return resolved


def score(prediction: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """The four scores of one prediction (both H×W×3 NTIRE domain, H, W ≥ 11)."""
    return {key: metric(prediction, reference) for key, metric in METRICS.items()}


def diagnose(prediction: np.ndarray, reference: np.ndarray, ldr: np.ndarray) -> dict[str, float]:
    """The :data:`DIAGNOSTICS` of one prediction (NTIRE domain) given its input ``ldr`` [0, 1]."""
    return {
        "midtone_ratio": midtone_ratio(prediction, ldr),
        "reference_midtone_ratio": midtone_ratio(reference, ldr),
        "highlight_ratio": highlight_ratio(prediction, reference),
    }


def evaluate(
    data_dir: str | os.PathLike,
    methods: Sequence[str],
    *,
    weights: Mapping[str, str | os.PathLike] | None = None,
    device: str = "auto",
    tile: int | None = None,
    limit: int | None = None,
    on_prediction: Callable[[Prediction], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_frame_error: Callable[[str, str], None] | None = None,
) -> list[ScoreRecord]:
    """Score every method on every frame of an NTIRE-layout folder.

    Args:
        data_dir: folder of frames (flat or nested): ``NNNN_medium.png`` (8-bit input) and
            ``NNNN_gt.png`` + ``NNNN_alignratio.npy`` (reference, NTIRE domain).
        methods: network and/or operator names (see :func:`resolve_methods`).
        weights, device, tile: as for :func:`resolve_methods`.
        limit: score only the first ``limit`` frames (sorted by id).
        on_prediction: called with each :class:`Prediction` (e.g. to keep crops for figures).
        progress: called with (frames done, frames in all) after each frame.
        on_frame_error: called with (frame id, reason) for a frame that cannot be scored (e.g.
            an all-black reference), which is then left out; None: such a frame raises
            EvaluationError.

    Returns:
        One :class:`ScoreRecord` per frame and method, frame-major in the given method order.

    Raises:
        DatasetError: no frame, or a frame with a missing or inconsistent file.
        EvaluationError, WeightsError: see :func:`resolve_methods`.
    """
    if limit is not None and limit < 1:
        raise EvaluationError(f"limit must be ≥ 1, got {limit!r}")
    frames = find_frames(data_dir)[:limit]
    for frame in frames:
        check_frame(frame, inputs=("medium",))
    resolved = resolve_methods(methods, weights=weights, device=device, tile=tile)
    records = []
    for done, frame in enumerate(frames, start=1):
        try:
            records += _score_frame(frame, resolved, on_prediction)
        except FrameError as exc:
            if on_frame_error is None:
                raise EvaluationError(f"frame {frame.frame_id}: {exc}") from exc
            on_frame_error(frame.frame_id, str(exc))
        if progress is not None:
            progress(done, len(frames))
    return records


class FrameError(ValueError):
    """One frame cannot be scored (degenerate reference); the others can."""


def _score_frame(
    frame, methods: Sequence[Method], on_prediction: Callable[[Prediction], None] | None
) -> list[ScoreRecord]:
    """Every method's scores on one frame; FrameError if the reference cannot be scored."""
    ldr = read_ldr(frame.path("medium"))
    reference = read_ntire(frame.path("gt"))
    if not float(reference.max(initial=0.0)) > 0.0:
        raise FrameError(f"the reference {frame.path('gt')} is all black; it cannot be scored")
    records = []
    for method in methods:
        start = time.perf_counter()
        ntire = method.predict(ldr)
        seconds = time.perf_counter() - start
        try:
            scores = score(ntire, reference)
            ratios = diagnose(ntire, reference, ldr)
        except ValueError as exc:
            raise FrameError(f"cannot score {method.name}: {exc}") from exc
        records.append(
            ScoreRecord(
                frame.frame_id,
                method.name,
                **scores,
                parameters=method.parameters,
                seconds=seconds,
                **ratios,
            )
        )
        if on_prediction is not None:
            on_prediction(Prediction(frame.frame_id, method.name, ldr, reference, ntire))
    return records


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


def _csv_bytes(rows: Sequence[object]) -> bytes:
    """Dataclass rows as CSV; floats written with ``repr`` (exact round trip, ``inf``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f.name for f in fields(rows[0])])
    for row in rows:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in asdict(row).values()])
    return buffer.getvalue().encode("utf-8")


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
        records: per-image scores from :func:`evaluate`.
        out_dir: the report folder (created if needed).
        crops: frame → column name → display image (H×W×3 float in [0, 1]), e.g. from
            :class:`ldr2hdr.report_figures.CropCollector`.
        data_dir: shown in the report.
        overwrite: replace existing report files; otherwise they are an error.

    Returns:
        The paths written (each written to a temporary file and renamed into place).
    """
    from ldr2hdr.report_figures import crops_figure, scores_figure

    out_dir = check_report_folder(out_dir, overwrite=overwrite)
    rows = summarise(records)
    files = {
        out_dir / "scores.csv": _csv_bytes(records),
        out_dir / "summary.csv": _csv_bytes(rows),
        out_dir / "report.md": report_markdown(rows, data_dir=data_dir).encode("utf-8"),
        out_dir / "crops.png": crops_figure(crops),
        out_dir / "scores.png": scores_figure(rows, METRIC_LABELS),
    }
    write_files_atomically(files, overwrite=overwrite)
    return list(files)
