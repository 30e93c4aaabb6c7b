"""Weight presets: name resolution, the CLI's --weights, `ldr2hdr models` and `model.init`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ldr2hdr.cli import main
from ldr2hdr.errors import WeightsError
from ldr2hdr.models import presets
from ldr2hdr.models.presets import list_presets, preset_path, resolve_weights, training_summary


def test_preset_names_resolve_to_packaged_files() -> None:
    assert list_presets() == ["photo", "ntire"]
    assert resolve_weights(None) == preset_path("photo")
    for name in list_presets():
        path = resolve_weights(name)
        assert path.name == f"{name}.safetensors" and path.parent.name == "weights"


def test_files_resolve_to_themselves(tmp_path: Path) -> None:
    assert resolve_weights(tmp_path / "mine.safetensors") == tmp_path / "mine.safetensors"
    assert resolve_weights("runs/x/model.safetensors") == Path("runs/x/model.safetensors")


def test_an_existing_file_named_like_a_word_is_a_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("myweights").write_bytes(b"")
    assert resolve_weights("myweights") == Path("myweights")


@pytest.mark.parametrize("name", ["nitre", "Photo", "default"])
def test_unknown_preset_lists_the_presets(name: str) -> None:
    message = rf"unknown weights preset '{name}'; presets: photo, ntire"
    with pytest.raises(WeightsError, match=message):
        resolve_weights(name)


def test_bad_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="preset name or a path"):
        resolve_weights(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", ["convert", "gallery", "export-onnx", "models"])
def test_cli_unknown_preset_is_one_line_exit_2(command, tmp_path, capsys, monkeypatch) -> None:
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (16, 16), (90, 120, 200)).save("a.png")
    argv = {
        "convert": ["convert", "a.png", "--weights", "nitre"],
        "gallery": ["gallery", ".", "g", "--weights", "nitre"],
        "export-onnx": ["export-onnx", "x.onnx", "--weights", "nitre"],
        "models": ["models", "--weights", "nitre"],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown weights preset 'nitre'; presets: photo, ntire" in err
    assert err.count("\n") == 1
    assert not Path("x.onnx").exists() and not Path("a.exr").exists()


def test_models_lists_presets_with_sha256(capsys) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for preset in presets.describe_presets():
        assert f"{preset.name:<6} sha256 {preset.sha256}" in out
        assert preset.camera in out and preset.training in out


def test_models_shows_a_presets_metadata(capsys) -> None:
    assert main(["models", "--weights", "ntire"]) == 0
    out = capsys.readouterr().out
    assert "arch: twostage" in out and '"init": "photo"' in out


def test_training_summary_reads_the_run_config() -> None:
    config = (
        '{"data": {"crop": 64, "camera": {"curves": ["gamma"], "jpeg_probability": 0.0}}, '
        '"optim": {"batch_size": 8}, "model": {"init": "photo"}}'
    )
    summary = training_summary({"step": "1200", "train_config": config})
    assert summary == (
        "1,200 steps; 64² crops, batch 8; curves gamma, JPEG probability 0.0; started from 'photo'"
    )
    assert training_summary({"train_config": "not json"}) == "no training record in the metadata"


def test_evaluate_takes_a_preset_for_twostage(tmp_path, capsys) -> None:
    from ldr2hdr.evaluation import resolve_methods

    (method,) = resolve_methods(["twostage"], weights={"twostage": "ntire"}, device="cpu")
    assert method.parameters == 834_476
    with pytest.raises(WeightsError, match="unknown weights preset 'ntir'"):
        resolve_methods(["twostage"], weights={"twostage": "ntir"}, device="cpu")


def test_convert_uses_photo_by_default_and_ntire_when_asked(tmp_path, monkeypatch) -> None:
    import numpy as np
    from PIL import Image

    from ldr2hdr.inference import Reconstructor
    from ldr2hdr.io import read_hdr, read_ldr

    monkeypatch.chdir(tmp_path)
    rows, cols = np.indices((24, 32))
    pixels = np.stack([cols * 8, rows * 10, np.full_like(rows, 250)], -1).astype(np.uint8)
    Image.fromarray(pixels).save("a.png")
    photo = read_ldr("a.png")
    for preset, out in (("photo", "default"), ("ntire", "ntire")):
        argv = ["convert", "a.png", "-o", out, "--device", "cpu", "--tile", "0"]
        assert main(argv if preset == "photo" else [*argv, "--weights", "ntire"]) == 0
        expected = Reconstructor(preset, device="cpu", tile=0)(photo)
        np.testing.assert_allclose(read_hdr(f"{out}/a.exr"), expected, rtol=2e-3, atol=1e-4)
    assert not np.allclose(read_hdr("default/a.exr"), read_hdr("ntire/a.exr"), rtol=1e-2)
