"""``ldr2hdr evaluate`` and its API on a tiny generated NTIRE folder: scores, files, errors."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ldr2hdr.cli import main
from ldr2hdr.errors import Ldr2HdrError, WeightsError
from ldr2hdr.evaluation import (
    REPORT_FILES,
    EvaluationError,
    ScoreRecord,
    evaluate,
    summarise,
)
from ldr2hdr.inference import Reconstructor
from ldr2hdr.io import read_ldr, read_ntire, write_hdr
from ldr2hdr.metrics import mu_psnr, psnr_l, pu21_psnr, pu21_ssim
from ldr2hdr.models import create_model, save_weights
from ldr2hdr.operators import operator_ntire

FRAMES = ("0001", "0002", "0003")
HEIGHT, WIDTH = 23, 37  # odd, above the 11-px SSIM window
STAGE1_PARAMETERS = 555_655
STAGE2_PARAMETERS = 278_821


def _write_frame(folder: Path, frame_id: str, seed: int) -> None:
    """A scene with a bright spot (up to 8× white), its 8-bit medium shot and its NTIRE gt."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((HEIGHT, WIDTH))
    spot = 8.0 * np.exp(-((rows - 8) ** 2 + (cols - 20) ** 2) / 20.0)
    linear = 0.3 * rng.random((HEIGHT, WIDTH, 3)) + spot[..., None] + 0.02
    shot = np.round(255 * np.clip(linear, 0, 1) ** (1 / 2.24)).astype(np.uint8)
    Image.fromarray(shot).save(folder / f"{frame_id}_medium.png")
    write_hdr(folder / f"{frame_id}_gt.png", linear.astype(np.float32), format="ntire")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ntire")
    for seed, frame_id in enumerate(FRAMES):
        _write_frame(folder, frame_id, seed)
    return folder


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    return {
        name: save_weights(create_model(name), folder / f"{name}.safetensors")
        for name in ("stage1", "stage2")
    }


def _direct_scores(prediction: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    return {
        "psnr_l": psnr_l(prediction, reference),
        "mu_psnr": mu_psnr(prediction, reference),
        "pu21_psnr": pu21_psnr(prediction, reference),
        "pu21_ssim": pu21_ssim(prediction, reference),
    }


def test_api_scores_match_the_metric_functions(dataset: Path, weights: dict) -> None:
    methods = ["stage1", "identity", "kovaleski"]
    records = evaluate(dataset, methods, weights={"stage1": weights["stage1"]}, device="cpu")
    assert [(r.frame, r.method) for r in records] == [(f, m) for f in FRAMES for m in methods]
    network = Reconstructor(weights["stage1"], device="cpu", tile=0)
    for record in records:
        ldr = read_ldr(dataset / f"{record.frame}_medium.png")
        reference = read_ntire(dataset / f"{record.frame}_gt.png")
        if record.method == "stage1":
            prediction = network.predict_ntire(ldr)
        else:
            prediction = operator_ntire(record.method, ldr)
        for key, value in _direct_scores(prediction, reference).items():
            assert getattr(record, key) == pytest.approx(value, rel=1e-6), (record, key)
        expected = STAGE1_PARAMETERS if record.method == "stage1" else 0
        assert record.parameters == expected and record.seconds > 0


def test_fast_path_methods_run_at_their_working_resolution(dataset: Path, weights: dict) -> None:
    methods = ["stage1", "stage1@1/4", "stage1@0.0004mp"]
    records = evaluate(dataset, methods, weights={"stage1": weights["stage1"]}, device="cpu")
    network = Reconstructor(weights["stage1"], device="cpu", tile=0)
    ldr = read_ldr(dataset / f"{FRAMES[0]}_medium.png")
    expected = {
        "stage1": network.predict_ntire(ldr, work_megapixels=0),
        "stage1@1/4": network.predict_ntire(ldr, work_megapixels=ldr.size / 3 / 4 / 1e6),
        "stage1@0.0004mp": network.predict_ntire(ldr, work_megapixels=0.0004),
    }
    reference = read_ntire(dataset / f"{FRAMES[0]}_gt.png")
    for record in records[: len(methods)]:
        score = mu_psnr(expected[record.method], reference)
        assert record.mu_psnr == pytest.approx(score, rel=1e-6), record
    assert len({r.mu_psnr for r in records[: len(methods)]}) == len(methods)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_cli_writes_tables_and_figures_that_match(
    dataset: Path, weights: dict, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "report"
    argv = ["evaluate", str(dataset), "--methods", "stage2,identity,masia", "--out", str(out)]
    argv += ["--weights", f"stage2={weights['stage2']}", "--device", "cpu", "--limit", "2"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)

    rows = _read_csv(out / "scores.csv")
    assert [(r["frame"], r["method"]) for r in rows] == [
        (f, m) for f in FRAMES[:2] for m in ("stage2", "identity", "masia")
    ]
    for row in rows:
        if row["method"] == "stage2":
            assert int(row["parameters"]) == STAGE2_PARAMETERS
            continue
        ldr = read_ldr(dataset / f"{row['frame']}_medium.png")
        reference = read_ntire(dataset / f"{row['frame']}_gt.png")
        direct = _direct_scores(operator_ntire(row["method"], ldr), reference)
        for key, value in direct.items():
            assert float(row[key]) == pytest.approx(value, rel=1e-9)

    summary = {r["method"]: r for r in _read_csv(out / "summary.csv")}
    for method, line in summary.items():
        own = [float(r["mu_psnr"]) for r in rows if r["method"] == method]
        assert float(line["mu_psnr"]) == pytest.approx(np.mean(own), rel=1e-12)
        assert line["images"] == "2" and line["inf_scores"] == "0"
        table_row = next(t for t in printed.splitlines() if t.startswith(f"| {method} |"))
        assert f"| {float(line['mu_psnr']):.2f} |" in table_row
    assert "+inf" in (out / "report.md").read_text(encoding="utf-8")
    assert "| masia |" in (out / "report.md").read_text(encoding="utf-8")
    with Image.open(out / "crops.png") as crops, Image.open(out / "scores.png") as bars:
        assert crops.format == bars.format == "PNG"
        assert crops.width > crops.height > 100 and bars.width > 300


def test_existing_report_is_not_overwritten(dataset: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "scores.csv").write_text("keep me", encoding="utf-8")
    argv = ["evaluate", str(dataset), "--methods", "identity", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "scores.csv" in capsys.readouterr().err
    assert (tmp_path / "scores.csv").read_text(encoding="utf-8") == "keep me"
    assert main([*argv, "--overwrite"]) == 0
    assert len(_read_csv(tmp_path / "scores.csv")) == len(FRAMES)


def test_twostage_without_packaged_weights_is_a_clear_error(
    dataset: Path, tmp_path: Path, monkeypatch
) -> None:
    from ldr2hdr.models import presets

    monkeypatch.setitem(presets.PRESET_FILES, "photo", "absent.safetensors")
    with pytest.raises(WeightsError, match="no packaged weights"):
        evaluate(dataset, ["twostage"])


@pytest.mark.parametrize(
    ("methods", "weights_for", "error", "message"),
    [
        (["nope"], {}, EvaluationError, "unknown method 'nope'"),
        (["stage1"], {}, WeightsError, "--weights stage1=FILE"),
        (["identity"], {"identity": "stage1"}, EvaluationError, "not networks"),
        (["stage2"], {"stage2": "stage1"}, WeightsError, "for 'stage1', not for method 'stage2'"),
        (["masia", "masia"], {}, EvaluationError, "repeated"),
        (["stage1@1/0"], {"stage1": "stage1"}, EvaluationError, "bad working resolution '1/0'"),
        (["masia@1/4"], {}, EvaluationError, "unknown method 'masia@1/4'"),
    ],
)
def test_bad_methods_and_weights(dataset, weights, methods, weights_for, error, message) -> None:
    mapping = {name: weights[file] for name, file in weights_for.items()}
    with pytest.raises(error, match=message):
        evaluate(dataset, methods, weights=mapping, device="cpu")
    assert issubclass(error, Ldr2HdrError)


def test_summary_keeps_inf_and_counts_it() -> None:
    def record(frame: str, psnr: float) -> ScoreRecord:
        return ScoreRecord(frame, "m", psnr, 30.0, 40.0, 0.9, 0, 0.5)

    finite, infinite = (
        summarise([record("a", 20.0), record("b", 30.0)]),
        summarise([record("a", 20.0), record("b", math.inf)]),
    )
    assert finite[0].psnr_l == 25.0 and finite[0].inf_scores == 0
    assert infinite[0].psnr_l == math.inf and infinite[0].inf_scores == 1
    assert infinite[0].mu_psnr == 30.0 and infinite[0].seconds_per_image == 0.5


def test_help_names_every_operator(capsys) -> None:
    from ldr2hdr.operators import list_operators

    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in list_operators())


def test_methods_as_one_string_is_refused(dataset: Path) -> None:
    with pytest.raises(TypeError, match="'identity,masia'"):
        evaluate(dataset, "identity,masia")


def test_ratios_identity_leaves_midtones_and_files_carry_them(dataset: Path, tmp_path) -> None:
    from ldr2hdr.metrics import highlight_ratio, midtone_ratio

    records = evaluate(dataset, ["identity", "linear"], device="cpu")
    for record in records:
        ldr = read_ldr(dataset / f"{record.frame}_medium.png")
        reference = read_ntire(dataset / f"{record.frame}_gt.png")
        assert record.reference_midtone_ratio == midtone_ratio(reference, ldr)
        if record.method == "identity":
            assert record.midtone_ratio == pytest.approx(1.0, abs=1e-6)
            assert record.highlight_ratio == highlight_ratio(ldr, reference)
            assert record.highlight_ratio < 1.0  # the 8× spot is clipped in the input
    rows = {row.method: row for row in summarise(records)}
    identity = [r.highlight_ratio for r in records if r.method == "identity"]
    assert rows["identity"].highlight_ratio == pytest.approx(float(np.median(identity)))
    assert main(["evaluate", str(dataset), "--methods", "identity", "--out", str(tmp_path)]) == 0
    summary = _read_csv(tmp_path / "summary.csv")
    assert float(summary[0]["midtone_ratio"]) == pytest.approx(1.0, abs=1e-6)
    assert "mid-tone ratio" in (tmp_path / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ldr2hdr.evaluate", "ldr2hdr.evaluation"),
        ("ldr2hdr.report_figures", "ldr2hdr.evaluation.figures"),
        ("ldr2hdr.devices", "ldr2hdr.runtime"),
    ],
)
def test_old_modules_warn_and_give_the_same_objects(old: str, new: str, monkeypatch) -> None:
    import importlib
    import sys

    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated"):
        module = importlib.import_module(old)
    current = importlib.import_module(new)
    assert module.__all__
    for name in module.__all__:
        assert getattr(module, name) is getattr(current, name), name


def test_one_reconstructor_per_weights_file(monkeypatch) -> None:
    from ldr2hdr.evaluation import methods

    built = []

    def counting(*args, **kwargs):
        built.append(args)
        return Reconstructor(*args, **kwargs)

    monkeypatch.setattr(methods, "Reconstructor", counting)
    names = ["twostage", "twostage@1/4", "twostage@0.01mp"]
    resolved = methods.resolve_methods(names, device="cpu")
    assert [m.name for m in resolved] == names
    assert len(built) == 1
