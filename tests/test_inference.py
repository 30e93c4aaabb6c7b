"""Inference: tiled = untiled, input checks, the Python API, and missing default weights."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

import ldr2hdr
from ldr2hdr.errors import WeightsError
from ldr2hdr.inference import Reconstructor, apply_tiled, gainmap, reconstruct, tile_grid
from ldr2hdr.inference.gainmap import WorkSpec, reconstruct_at, work_size
from ldr2hdr.inference.memory import auto_tile_size
from ldr2hdr.inference.tiling import apply_tiled_in_place
from ldr2hdr.models import create_model


@pytest.fixture(scope="module")
def weights(random_twostage):
    return random_twostage(4)


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


@pytest.mark.parametrize(("height", "width", "tile"), [(400, 300, 64), (37, 53, 16), (50, 45, 16)])
def test_tile_windows_share_one_shape_and_keep_the_overlap(height, width, tile) -> None:
    overlap = 5
    tiles = tile_grid(height, width, tile=tile, overlap=overlap)
    shapes = {
        (t.window[0].stop - t.window[0].start, t.window[1].stop - t.window[1].start) for t in tiles
    }
    assert len(shapes) == 1
    (rows, cols) = shapes.pop()
    assert rows <= tile + 2 * overlap and cols <= tile + 2 * overlap
    for t in tiles:
        for core, window, length in zip(t.core, t.window, (height, width), strict=True):
            assert window.start >= 0 and window.stop <= length and core.stop - core.start <= tile
            assert core.start - window.start >= overlap or window.start == 0
            assert window.stop - core.stop >= overlap or window.stop == length
    if height <= tile + 2 * overlap and width <= tile + 2 * overlap:
        assert len(tiles) == 1  # one window fits: no tiling at all


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


@pytest.mark.parametrize(("height", "width", "tile", "overlap"), [(61, 47, 16, 5), (40, 70, 3, 5)])
def test_tiling_in_place_equals_tiling_into_a_new_array(height, width, tile, overlap) -> None:
    blur = torch.nn.Conv2d(3, 3, 2 * overlap + 1, padding=overlap, bias=False).double()
    torch.nn.init.uniform_(blur.weight)
    x = torch.rand(1, 3, height, width, dtype=torch.float64)
    with torch.no_grad():
        whole = blur(x)
        new = apply_tiled(blur, x, tile=tile, overlap=overlap)
        in_place = apply_tiled_in_place(blur, x.clone(), tile=tile, overlap=overlap)
    assert (new - whole).abs().max() <= 1e-12
    assert torch.equal(in_place, new)  # cores of 3 px: windows read two rows of cores up


def test_stages_are_tiled_with_their_own_radius(weights) -> None:
    rec = Reconstructor(weights, device="cpu", tile=100)
    assert [stage.radius for stage in rec.stages] == [11, 6]  # the two stages: ±17 together
    for grid, radius in zip(rec.tile_grids(300, 200), (11, 6), strict=True):
        inner = grid[2]  # middle row, first column (3 rows × 2 columns)
        assert inner.core[0].start - inner.window[0].start == radius
    assert rec.tile_count(300, 200) == 2 * 3 * 2
    assert Reconstructor(weights, device="cpu", tile=0).tile_count(300, 200) == 2


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


# The gain-map fast path.


def test_work_size_keeps_aspect_and_full_size() -> None:
    assert work_size(3000, 4000, 0) == (3000, 4000)
    assert work_size(3000, 4000, 12.0) == (3000, 4000)
    assert work_size(3000, 4000, 3.0) == (1500, 2000)
    assert work_size(100, 30, 1e-6) == (16, 16)
    with pytest.raises(ValueError, match="-1"):
        work_size(10, 10, -1)


def test_auto_is_exact_up_to_4_megapixels(weights) -> None:
    rec = Reconstructor(weights, device="cpu")
    assert rec.work_size(2000, 2000) == (2000, 2000)
    assert rec.work_size(3000, 4000) == (866, 1155)
    assert rec.work_size(3000, 4000, 0) == (3000, 4000)
    assert "fast path" in rec.describe(3000, 4000) and "exact" in rec.describe(2000, 2000)
    with pytest.raises(ValueError, match="-2"):
        Reconstructor(weights, work_megapixels=-2)
    with pytest.raises(TypeError, match="'fast'"):
        Reconstructor(weights, work_megapixels="fast")


def test_fast_path_at_full_size_equals_exact(weights) -> None:
    rec = Reconstructor(weights, device="cpu", tile=0, work_megapixels=0)
    image = _image(40, 56, seed=5)
    image[5:15, 5:25] = 1.0  # a clipped patch
    exact = rec(image)
    through_gain = reconstruct_at(image, rec.predict_ntire, 40, 56)
    assert exact.max() > 1.0
    np.testing.assert_allclose(through_gain, exact, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(rec(image, work_megapixels=1.0), exact)  # budget ≥ photo


def _step_photo() -> np.ndarray:
    """64×96 grey photo, 0.2 left of column 37 and 0.6 from it on (an edge off the 4× grid)."""
    photo = np.full((64, 96, 3), 0.2, np.float32)
    photo[:, 37:] = 0.6
    return photo


def _triple_bright(small: np.ndarray) -> np.ndarray:
    """A stand-in network whose gain grows with the photo: ×1 at 0.2, ×3 at 0.6 (NTIRE out).

    The log gain is linear in the photo, so an area-averaged edge pixel gets the gain of its
    average: the low-resolution gain map is exactly what a network would see, blurred edge
    included; only the full-resolution photo shows where the edge is.
    """
    gain = np.exp(np.log(3.0) * (small - 0.2) / 0.4).astype(np.float32)
    return (small**2.24 * gain) ** (1 / 2.24)


def test_gain_upsampling_keeps_a_step_edge_sharp() -> None:
    photo = _step_photo()
    out = reconstruct_at(photo, _triple_bright, 16, 24)
    gain = out[..., 1] / photo[..., 1] ** 2.24
    ideal = np.where(np.arange(96) < 37, 1.0, 3.0)
    # Most of the jump (×1 → ×2.46 of ×3) happens between the photo's own edge pixels, at full
    # resolution (this stand-in's gain is exponential in the display value, not a power of the
    # linear one, so the fit in logs reaches the last quarter over the next few pixels):
    assert np.all(gain[:, 37] - gain[:, 36] > 1.3)
    np.testing.assert_allclose(gain[:, :34], 1.0, rtol=0.02)
    np.testing.assert_allclose(gain[:, 40:], 3.0, rtol=0.05)
    # Bilinear upsampling of the low-resolution gain smears the edge over 8 pixels:
    small = cv2.resize(photo, (24, 16), interpolation=cv2.INTER_AREA)
    low_gain = _triple_bright(small) ** 2.24 / small**2.24
    smeared = cv2.resize(low_gain, (96, 64), interpolation=cv2.INTER_LINEAR)[..., 1]
    assert np.all(smeared[:, 37] - smeared[:, 36] < 0.4)
    near = slice(30, 44)
    error = np.abs(gain[:, near] - ideal[near]).mean()
    assert error < 0.4 * np.abs(smeared[:, near] - ideal[near]).mean()


def test_gain_upsampling_leaves_no_dark_halo_beside_a_bright_step() -> None:
    """A line fitted to NTIRE values across this step would undershoot the dark side (≈ 0.5)."""
    photo = _step_photo()
    out = reconstruct_at(photo, _triple_bright, 16, 24)
    gain = out[..., 1] / photo[..., 1] ** 2.24
    assert gain[:, :37].min() > 0.97  # and the bright side overshoots by under 10 %:
    assert gain[:, 37:].max() < 3.3


def test_gain_upsampling_keeps_a_colour_edge_of_equal_grey_sharp() -> None:
    """Red | blue of the same grey level: the colour guide sees the edge (a grey guide cannot)."""
    photo = np.full((64, 96, 3), 0.3, np.float32)
    photo[:, :37, 0], photo[:, 37:, 2] = 0.6, 0.6
    out = reconstruct_at(photo, _triple_bright, 16, 24)
    red_gain = out[..., 0] / photo[..., 0] ** 2.24
    assert np.all(red_gain[:, 36] - red_gain[:, 37] > 1.0)  # ×3 (at 0.6) → ×1.4 (at 0.3)
    np.testing.assert_allclose(red_gain[:, :30], 3.0, rtol=0.05)
    np.testing.assert_allclose(
        red_gain[:, 44:], _triple_bright(np.float32(0.3)) ** 2.24 / 0.3**2.24, rtol=0.05
    )


def test_a_tone_curve_applied_pixel_by_pixel_reaches_full_resolution_texture() -> None:
    """A network that raises linear values to the power 1.5, on fine random texture: fitted in
    logs, the curve holds for every full-size pixel; the display-domain guide follows it only to
    first order across each window."""
    photo = np.random.default_rng(4).uniform(0.15, 0.85, (64, 96, 3)).astype(np.float32)
    small = cv2.resize(photo, (48, 32), interpolation=cv2.INTER_AREA)
    target = np.log((small**2.24) ** 1.5 + np.float32(gainmap.LOG_OFFSET))
    exact = (photo**2.24) ** 1.5

    def error(guide_of) -> float:
        log_hdr = gainmap.guided_upsample(small, target, photo, guide_of=guide_of)
        return np.median(np.abs((np.exp(log_hdr) - gainmap.LOG_OFFSET) / exact - 1))

    in_logs, in_display = error(gainmap.log_guide), error(lambda x: x)
    assert in_logs < 0.03 and in_logs < 0.2 * in_display  # measured: 1.6 % against 16 %


def test_noise_the_network_removes_is_not_carried_back() -> None:
    """A ramp with sensor-like noise (σ = 0.03) and a network that returns the clean ramp ×2:
    the smoothed guide carries half the noise that the raw photo as guide does."""
    ramp = np.linspace(0.1, 0.6, 128, dtype=np.float32)
    clean = np.broadcast_to(ramp[None, :, None], (96, 128, 3)).copy()
    noise = np.random.default_rng(9).normal(0, 0.03, clean.shape)
    photo = np.clip(clean + noise, 0, 1).astype(np.float32)

    def clean_double(small: np.ndarray) -> np.ndarray:
        size = (small.shape[1], small.shape[0])
        return 2 ** (1 / 2.24) * cv2.resize(clean, size, interpolation=cv2.INTER_AREA)

    ideal = 2 * clean**2.24
    out = reconstruct_at(photo, clean_double, 48, 64) / ideal
    small = cv2.resize(photo, (64, 48), interpolation=cv2.INTER_AREA)
    target = np.log(clean_double(small) ** 2.24 + np.float32(gainmap.LOG_OFFSET))
    raw = (np.exp(gainmap.guided_upsample(small, target, photo)) - gainmap.LOG_OFFSET) / ideal
    assert abs(np.median(out) - 1) < 0.01
    assert np.std(out) < 0.6 * np.std(raw)  # measured: 3.2 % against 6.2 % (photo: 29 %)


def test_gain_upsampling_is_the_same_in_any_strips(monkeypatch) -> None:
    rng = np.random.default_rng(8)
    guide = rng.random((45, 70, 3), dtype=np.float32)
    small = cv2.resize(guide, (23, 15), interpolation=cv2.INTER_AREA)
    target = rng.random((15, 23, 3), dtype=np.float32)
    whole = gainmap.guided_upsample(small, target, guide)
    monkeypatch.setattr(gainmap, "STRIP_ROWS", 7)
    np.testing.assert_array_equal(gainmap.guided_upsample(small, target, guide), whole)
    # and its coefficients are sampled as cv2.resize samples them (bilinear, centres aligned):
    coefficients = rng.random((15, 23, 12), dtype=np.float32)
    strips = [
        gainmap._upsample_rows(coefficients, range(r, min(r + 7, 45)), 45, 70)
        for r in range(0, 45, 7)
    ]
    resized = cv2.resize(coefficients, (70, 45), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(np.concatenate(strips), resized, atol=1e-5)


@pytest.mark.parametrize("level", [0.0, 1.0])
def test_black_and_clipped_photos_give_finite_output(weights, level: float) -> None:
    rec = Reconstructor(weights, device="cpu", tile=0)
    photo = np.full((48, 64, 3), level, np.float32)
    for megapixels in (0, 0.001):
        out = rec(photo, work_megapixels=megapixels)
        assert out.shape == photo.shape and np.all(np.isfinite(out)) and out.min() >= 0.0


def test_clipped_region_takes_the_network_values() -> None:
    photo = np.full((64, 64, 3), 0.3, np.float32)
    photo[16:48, 16:48] = 1.0

    def sun(small: np.ndarray) -> np.ndarray:  # 8× white (NTIRE 8 ** (1/2.24)) where clipped
        return np.where(small >= 1.0, 8.0 ** (1 / 2.24), small).astype(np.float32)

    out = reconstruct_at(photo, sun, 32, 32)
    np.testing.assert_allclose(out[20:44, 20:44], 8.0, rtol=1e-3)
    np.testing.assert_allclose(out[:12, :12], 0.3**2.24, rtol=1e-3)


def test_fast_path_tiled_equals_untiled(weights) -> None:
    image = _image(70, 90, seed=6)
    whole = Reconstructor(weights, device="cpu", tile=0)(image, work_megapixels=0.002)
    tiled = Reconstructor(weights, device="cpu", tile=13)(image, work_megapixels=0.002)
    np.testing.assert_allclose(tiled, whole, rtol=1e-4, atol=1e-6)


def test_work_spec_parses_fractions_and_megapixels() -> None:
    assert WorkSpec.parse("1/4").megapixels(1000, 2000) == 0.5
    assert WorkSpec.parse("0.1mp").megapixels(1000, 2000) == 0.1
    for bad in ("1/0", "2/1", "0mp", "x", "0.25", "-1mp"):
        with pytest.raises(ValueError, match=repr(bad).replace(".", r"\.")):
            WorkSpec.parse(bad)
