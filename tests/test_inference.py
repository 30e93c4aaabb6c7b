"""Inference: tiled = untiled, input checks, the Python API, and missing default weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ldr2hdr
from ldr2hdr.errors import WeightsError
from ldr2hdr.inference import Reconstructor, apply_tiled, reconstruct, tile_grid
from ldr2hdr.inference.memory import auto_tile_size
from ldr2hdr.models import create_model, save_weights


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.manual_seed(4)
    model = create_model("twostage")  # random weights: outputs up to ~5 (NTIRE), ~30 linear
    return save_weights(model, tmp_path_factory.mktemp("w") / "random.safetensors")


def _image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((height, width, 3), dtype=np.float32)


def test_tile_grid_covers_every_pixel_once() -> None:
    height, width = 37, 53
    cover = np.zeros((height, width), int)
    for t in tile_grid(height, width, tile=16, overlap=5):
        cover[t.core] += 1
        (wr, wc), (cr, cc) = t.window, t.core
        assert wr.start <= cr.start and wr.stop >= cr.stop and wc.start <= cc.start
    assert np.all(cover == 1)


@pytest.mark.parametrize(("height", "width", "tile"), [(61, 47, 16), (53, 37, 23), (40, 70, 7)])
def test_tiled_equals_untiled(weights, height: int, width: int, tile: int) -> None:
    image = _image(height, width)
    whole = Reconstructor(weights, device="cpu", tile=0)(image)
    tiled = Reconstructor(weights, device="cpu", tile=tile)(image)
    assert whole.max() > 1.0, "the test weights should produce values above white"
    assert np.abs(tiled - whole).max() <= 1e-5


def test_too_small_overlap_differs(weights) -> None:
    """The overlap is what makes tiling exact: half the radius shows seams.

    (Just under the radius, the far edge of the receptive field weighs ~1e-15: invisible.)
    """
    model = create_model("twostage").double()
    x = torch.rand(1, 3, 48, 48, dtype=torch.float64)
    with torch.no_grad():
        whole = model(x).hdr

        def fn(w: torch.Tensor) -> torch.Tensor:
            return model(w).hdr

        exact = apply_tiled(fn, x, tile=16, overlap=model.receptive_radius)
        short = apply_tiled(fn, x, tile=16, overlap=model.receptive_radius // 2)
    assert (exact - whole).abs().max() <= 1e-12
    assert (short - whole).abs().max() > 1e-7


def test_output_is_linear_ntire_power(weights) -> None:
    rec = Reconstructor(weights, device="cpu", tile=0)
    image = _image(20, 30, seed=1)
    np.testing.assert_allclose(rec(image), rec.predict_ntire(image) ** 2.24, rtol=1e-5)


def test_uint8_and_float_inputs_agree(weights) -> None:
    image8 = (np.random.default_rng(2).random((17, 19, 3)) * 255).astype(np.uint8)
    a = reconstruct(image8, weights=weights, device="cpu")
    b = reconstruct(image8.astype(np.float32) / 255, weights=weights, device="cpu")
    assert a.dtype == np.float32 and a.shape == (17, 19, 3)
    np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.zeros((4, 4)), ValueError, r"H×W×3"),
        (np.zeros((4, 4, 4), np.float32), ValueError, r"H×W×3"),
        (np.full((4, 4, 3), 2.0, np.float32), ValueError, r"\[0, 1\].*2\.0"),
        (np.zeros((4, 4, 3), np.int32), TypeError, "int32"),
        ([[0, 0, 0]], TypeError, "NumPy"),
    ],
)
def test_bad_images_are_refused(weights, image, error, match: str) -> None:
    with pytest.raises(error, match=match):
        reconstruct(image, weights=weights, device="cpu")


def test_bad_options_are_refused(weights) -> None:
    with pytest.raises(ValueError, match="'fp64'"):
        Reconstructor(weights, precision="fp64")
    with pytest.raises(ValueError, match="'tpu'"):
        Reconstructor(weights, device="tpu")
    with pytest.raises(ValueError, match="-3"):
        Reconstructor(weights, tile=-3)


def test_bf16_is_close_to_fp32(weights) -> None:
    image = _image(24, 24, seed=3)
    ref = Reconstructor(weights, device="cpu", tile=0).predict_ntire(image)
    low = Reconstructor(weights, device="cpu", precision="bf16", tile=0).predict_ntire(image)
    assert low.dtype == np.float32
    assert np.abs(low - ref).max() < 0.05 * max(1.0, float(ref.max()))


def test_auto_tile_size_fits_budget() -> None:
    tile = auto_tile_size(torch.device("cpu"), overlap=17)
    assert 64 <= tile <= 4096
    window_bytes = (tile + 34) ** 2 * 3 * 1024
    assert window_bytes <= (1 << 30) * 1.01


def test_top_level_names() -> None:
    assert ldr2hdr.reconstruct is reconstruct
    assert ldr2hdr.Reconstructor is Reconstructor


def test_missing_default_weights_message(monkeypatch, tmp_path) -> None:
    import ldr2hdr.inference.reconstructor as rec
    from ldr2hdr.models import presets

    monkeypatch.setitem(presets.PRESET_FILES, "photo", "absent.safetensors")
    with pytest.raises(WeightsError, match="no packaged weights"):
        rec.default_weights_path()
