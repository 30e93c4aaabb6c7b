"""The ONNX Runtime backend: its graph computes the PyTorch network, tiled = untiled, and the
choice between the two backends."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ldr2hdr.inference import Reconstructor, ort_backend
from ldr2hdr.inference.ort_backend import OrtRunner, select_backend
from ldr2hdr.inference.ort_graph import twostage_graph
from ldr2hdr.models import create_model

ROUNDING = 1e-5  # float32 rounding of the rewritten residual, at outputs up to ~5


def _random_model(name: str, seed: int = 4) -> torch.nn.Module:
    torch.manual_seed(seed)
    return create_model(name).eval()  # random weights: outputs up to ~5 (NTIRE domain)


@pytest.fixture(scope="module")
def weights(random_twostage):
    return random_twostage(4)


@pytest.mark.parametrize("name", ["twostage", "stage1", "stage2"])
@pytest.mark.parametrize("shape", [(1, 3, 37, 53), (2, 3, 20, 17)])
def test_graph_computes_the_network(name: str, shape: tuple[int, ...]) -> None:
    model = _random_model(name)
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected = model(x).hdr
    got = OrtRunner(model)(x)
    assert got.shape == expected.shape and got.dtype == torch.float32
    assert expected.abs().max() > 1.0  # the random network does expand
    torch.testing.assert_close(got, expected, atol=ROUNDING, rtol=0)


def test_graph_with_symbolic_shape_is_valid() -> None:
    graph = twostage_graph(_random_model("twostage"))
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 3, "height", "width"]


def test_backends_agree_tiled_and_untiled(weights) -> None:
    image = np.random.default_rng(0).random((61, 47, 3), dtype=np.float32)
    torch_out = Reconstructor(weights, device="cpu", tile=0, backend="torch")(image)
    ort = Reconstructor(weights, device="cpu", tile=16, backend="onnxruntime")
    ort_tiled = ort(image)
    ort_whole = Reconstructor(weights, device="cpu", tile=0, backend="onnxruntime")(image)
    assert ort.tile_count(61, 47) > 1
    np.testing.assert_allclose(ort_tiled, ort_whole, atol=1e-6, rtol=0)
    np.testing.assert_allclose(ort_tiled, torch_out, atol=2 * ROUNDING, rtol=1e-5)


def test_auto_backend_choice(weights) -> None:
    cpu = torch.device("cpu")
    assert Reconstructor(weights, device="cpu").backend == "onnxruntime"
    assert select_backend("auto", _random_model("expandnet"), cpu, "fp32") == "torch"
    assert select_backend("auto", _random_model("stage1"), cpu, "bf16") == "torch"
    assert select_backend("torch", _random_model("twostage"), cpu, "fp32") == "torch"


def test_onnxruntime_refused_where_it_cannot_run(monkeypatch) -> None:
    cpu, model = torch.device("cpu"), _random_model("twostage")
    with pytest.raises(ValueError, match="fp32 only"):
        select_backend("onnxruntime", model, cpu, "bf16")
    with pytest.raises(ValueError, match="no graph for ExpandNet"):
        select_backend("onnxruntime", _random_model("expandnet"), cpu, "fp32")
    with pytest.raises(ValueError, match="'tensorrt'"):
        select_backend("tensorrt", model, cpu, "fp32")
    monkeypatch.setattr(ort_backend, "_onnxruntime", lambda: None)
    assert select_backend("auto", model, cpu, "fp32") == "torch"
    with pytest.raises(ValueError, match="onnxruntime is not installed"):
        select_backend("onnxruntime", model, cpu, "fp32")


def _count_sessions(monkeypatch) -> list[tuple]:
    import onnxruntime

    built = []
    real = onnxruntime.InferenceSession

    def counting(*args, **kwargs):
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    return built


def test_one_session_per_shape_reused_until_the_shape_changes(monkeypatch) -> None:
    built = _count_sessions(monkeypatch)
    runner = OrtRunner(_random_model("stage2"), threads=1)
    for width in (8, 8, 9, 9, 8):
        runner(torch.rand(1, 3, 9, width))
    assert len(built) == 3  # 8, 9, then 8 again: one session alive at a time
    runner.release()
    assert runner._session_for_shape is None


def test_a_tiled_image_builds_one_session_per_stage_and_keeps_none(weights, monkeypatch) -> None:
    built = _count_sessions(monkeypatch)
    rec = Reconstructor(weights, device="cpu", tile=16)
    photo = np.random.default_rng(3).random((45, 70, 3), dtype=np.float32)
    assert rec.tile_count(45, 70) > 8
    rec(photo)
    assert len(built) == len(rec.stages) == 2
    assert all(runner._session_for_shape is None for runner in rec._ort)


def test_cli_offers_the_same_backends() -> None:
    from ldr2hdr.cli._types import BACKEND_CHOICES

    assert BACKEND_CHOICES == ort_backend.BACKENDS


def test_cli_backend_that_cannot_run_is_one_line_exit_2(tmp_path, capsys) -> None:
    from PIL import Image

    from ldr2hdr.cli import main

    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    argv = [str(tmp_path / "a.png"), "--backend", "onnxruntime", "--precision", "bf16"]
    assert main(["convert", *argv, "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "backend 'onnxruntime' cannot run here" in err
    assert not list(tmp_path.glob("a.exr"))


def test_ort_tiles_fit_the_budget_at_its_bytes_per_pixel(weights) -> None:
    from ldr2hdr.inference.memory import CPU_MEMORY_CAP, ORT_BYTES_PER_PIXEL

    ort_tile = Reconstructor(weights, device="cpu").tile
    torch_tile = Reconstructor(weights, device="cpu", backend="torch").tile
    # ONNX Runtime's graph (no Concat) needs 1.9 KB per pixel, PyTorch's 3 KB: larger tiles
    assert 64 <= torch_tile < ort_tile
    widest = 2 * max(stage.radius for stage in Reconstructor(weights, device="cpu").stages)
    assert widest == 22  # stage I's ±11 px: the stages are tiled one after the other
    assert (ort_tile + widest) ** 2 * ORT_BYTES_PER_PIXEL <= CPU_MEMORY_CAP * 1.01


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
@pytest.mark.parametrize("tile", [0, 16])
def test_uint8_photo_converted_per_tile_equals_float_photo(weights, backend, tile) -> None:
    photo = np.random.default_rng(2).integers(0, 256, (41, 37, 3), dtype=np.uint8)
    rec = Reconstructor(weights, device="cpu", tile=tile, backend=backend)
    as_float = photo.astype(np.float32) / np.float32(255)
    assert np.array_equal(rec(photo), rec(as_float))
    assert np.array_equal(rec.predict_ntire(photo), rec.predict_ntire(as_float))


def test_read_only_photo_is_accepted_without_warning(weights) -> None:
    import warnings

    photo = np.random.default_rng(3).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    photo.flags.writeable = False
    rec = Reconstructor(weights, device="cpu", tile=0, backend="torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rec(photo)
    photo.flags.writeable = True
    assert np.array_equal(out, rec(photo))
