"""Weights files: safetensors round trip, metadata, and clear errors for bad files."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

import ldr2hdr
from ldr2hdr.errors import WeightsError
from ldr2hdr.models import create_model, load_weights, read_weights_metadata, save_weights


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(3)
    model = create_model("twostage", detach=False)
    path = save_weights(model, tmp_path / "model.safetensors")
    return model, path


def test_round_trip_gives_identical_outputs(saved) -> None:
    model, path = saved
    loaded = load_weights(path)
    x = torch.rand(1, 3, 19, 23)
    with torch.no_grad():
        a, b = model(x), loaded(x)
    assert torch.equal(a.hdr, b.hdr) and torch.equal(a.ldr, b.ldr)
    assert loaded.arch_options == {"detach": False}


def test_metadata(saved) -> None:
    _, path = saved
    meta = read_weights_metadata(path)
    assert meta["arch"] == "twostage"
    assert meta["version"] == ldr2hdr.__version__
    assert meta["output_domain"] == "ntire"
    assert json.loads(meta["arch_options"]) == {"detach": False}


def test_refuses_to_overwrite(saved) -> None:
    model, path = saved
    with pytest.raises(FileExistsError, match="exists"):
        save_weights(model, path)
    save_weights(model, path, overwrite=True)
    assert [p.name for p in path.parent.iterdir()] == ["model.safetensors"]


def test_other_architecture_is_refused_with_the_file_named(saved) -> None:
    _, path = saved
    with pytest.raises(WeightsError, match=r"model\.safetensors.*'twostage', not 'stage1'"):
        load_weights(path, create_model("stage1"))


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_truncated_file_gives_clear_error(saved, keep: float) -> None:
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(WeightsError, match=r"model\.safetensors"):
        load_weights(path)


def test_not_safetensors_and_missing_file(tmp_path) -> None:
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x80\x04not a safetensors file at all")
    with pytest.raises(WeightsError, match=r"junk\.safetensors.*not a readable safetensors"):
        load_weights(junk)
    with pytest.raises(WeightsError, match="no such weights file"):
        load_weights(tmp_path / "absent.safetensors")


def test_foreign_safetensors_without_metadata(tmp_path) -> None:
    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, path)
    with pytest.raises(WeightsError, match="not an ldr2hdr weights file"):
        load_weights(path)


def test_tensors_that_do_not_fit(tmp_path) -> None:
    path = tmp_path / "bad.safetensors"
    meta = {"format": "ldr2hdr-weights", "arch": "stage2", "arch_options": "{}"}
    save_file({"stage.inp.weight": torch.zeros(1)}, path, metadata=meta)
    with pytest.raises(WeightsError, match=r"bad\.safetensors: tensors do not fit"):
        load_weights(path)
