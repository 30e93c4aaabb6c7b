"""Bad or degenerate data and config values are user errors, told in one line (issue 14)."""

from __future__ import annotations

import json

import imagecodecs
import numpy as np
import pytest
import torch
from _training_helpers import tiny_raw, write_scenes, write_toml
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ldr2hdr.cli import main
from ldr2hdr.io import write_hdr
from ldr2hdr.losses import ms_ssim_window
from ldr2hdr.models import create_model, save_weights
from ldr2hdr.train.config import MIN_CROP

SIDE = 24


@pytest.fixture(scope="module")
def good_weights(tmp_path_factory):
    torch.manual_seed(0)
    return save_weights(create_model("stage2"), tmp_path_factory.mktemp("w") / "w.safetensors")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"arch_options": "{not json"}, "arch_options is not JSON"),
        ({"arch_options": "[1, 2]"}, "must be a JSON object"),
        ({"arch_options": json.dumps({"nope": 1})}, "do not fit model 'stage2'"),
        ({"arch": "unknownnet"}, "unknown model 'unknownnet'"),
    ],
)
@pytest.mark.parametrize("command", ["convert", "models"])
def test_corrupt_weights_metadata_is_a_user_error(
    tmp_path, good_weights, capsys, change, message, command
) -> None:
    with safe_open(good_weights, framework="pt") as handle:
        metadata = handle.metadata()
    bad = tmp_path / "bad.safetensors"
    save_file(load_file(good_weights), bad, metadata={**metadata, **change})
    photo = tmp_path / "a.png"
    Image.fromarray(np.zeros((SIDE, SIDE, 3), np.uint8)).save(photo)
    argv = {
        "convert": ["convert", str(photo), "--device", "cpu", "--weights", str(bad)],
        "models": ["models", "--weights", str(bad)],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "corrupt metadata" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (np.zeros((SIDE, 2 * SIDE, 3), np.float32), "all black"),
        (np.ones((1, 1, 3), np.float32), "too small to take views from (1×1 pixels)"),
    ],
)
def test_make_dataset_skips_degenerate_hdr_with_a_reason(tmp_path, capsys, image, reason):
    hdr_dir = tmp_path / "hdr"
    write_scenes(hdr_dir, count=1)
    write_hdr(hdr_dir / "bad.exr", image)
    out = tmp_path / "out"
    argv = ["make-dataset", str(hdr_dir), str(out), "--count", "6", "--size", "16x16"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "skipped" in err and "bad.exr" in err and reason in err
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 6 * 6  # six complete frames, no partial one


def test_evaluate_reports_an_all_black_reference_for_that_frame(tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    for frame in ("0001", "0002"):
        linear = (0.5 * rng.random((SIDE, SIDE, 3)) + 0.05).astype(np.float32)
        shot = np.round(255 * np.clip(linear, 0, 1) ** (1 / 2.24)).astype(np.uint8)
        Image.fromarray(shot).save(tmp_path / f"{frame}_medium.png")
        write_hdr(tmp_path / f"{frame}_gt.png", linear, format="ntire")
    zeros = imagecodecs.png_encode(np.zeros((SIDE, SIDE, 3), np.uint16))
    (tmp_path / "0002_gt.png").write_bytes(zeros)
    assert main(["evaluate", str(tmp_path), "--methods", "identity"]) == 1
    captured = capsys.readouterr()
    assert "frame 0002 not scored" in captured.err and "all black" in captured.err
    assert "| identity | 1 |" in captured.out


def test_min_crop_is_what_ms_ssim_needs() -> None:
    assert ms_ssim_window(MIN_CROP) >= 3
    with pytest.raises(ValueError, match="MS-SSIM needs"):
        ms_ssim_window(MIN_CROP - 1)


@pytest.mark.parametrize("crop", [32, 100_000])
def test_train_refuses_a_bad_crop_before_the_run_folder_exists(tmp_path, capsys, crop) -> None:
    scenes = write_scenes(tmp_path / "scenes", count=2)
    config_path = tmp_path / "bad.toml"
    raw = tiny_raw(scenes)
    raw["data"]["crop"] = crop
    del raw["data"]["val_size"]  # the default validation size
    write_toml(config_path, raw)
    out = tmp_path / "run"
    assert main(["train", "--config", str(config_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"data.crop = {crop}" in err and err.count("\n") == 1
    assert not out.exists()
