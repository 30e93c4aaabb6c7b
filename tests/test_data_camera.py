"""The camera simulator: exposure, curves, noise, quantisation, JPEG, reference, determinism."""

from __future__ import annotations

import colour
import numpy as np
import pytest

from ldr2hdr.data.camera import (
    CameraParams,
    ResponseCurve,
    add_noise,
    auto_exposure,
    draw_curve,
    simulate_brackets,
    simulate_camera,
)

CLEAN_GAMMA = CameraParams(
    curves=("gamma",), shot_noise=(0, 0), read_noise=(0, 0), jpeg_probability=0
)


def _scene(seed: int = 0, shape: tuple[int, int] = (48, 64)) -> np.ndarray:
    """A linear HDR scene with a smooth log-normal spread of radiance (about 10 stops)."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.normal(0.0, 1.5, size=(*shape, 3))).astype(np.float32)


def test_gamma_without_noise_equals_quantised_reference() -> None:
    shot = simulate_camera(_scene(), np.random.default_rng(3), params=CLEAN_GAMMA)
    expected = (np.clip(shot.hdr, 0, 1) * 255 + 0.5).astype(np.uint8)  # round half up
    assert shot.ldr.dtype == np.uint8 and shot.ldr.shape == (48, 64, 3)
    assert np.array_equal(shot.ldr, expected)
    assert shot.curve.kind == "gamma" and shot.jpeg_quality is None


def test_reference_is_exposed_linear_under_gamma_2_24() -> None:
    scene = _scene(1)
    shot = simulate_camera(scene, np.random.default_rng(0))
    np.testing.assert_allclose(shot.hdr**2.24, scene * shot.exposure, rtol=1e-4)
    assert shot.hdr.dtype == np.float32 and shot.hdr.min() >= 0 and shot.hdr.max() > 1


@pytest.mark.parametrize("seed", range(8))
def test_clip_fraction_lies_in_the_asked_range(seed: int) -> None:
    params = CameraParams(clip_range=(0.05, 0.15), jpeg_probability=0)
    scene = _scene(seed)
    shot = simulate_camera(scene, np.random.default_rng(seed), params=params)
    one_pixel = 1 / (48 * 64)
    measured = np.mean((scene * shot.exposure).max(axis=2) >= 1)
    assert measured == pytest.approx(shot.clip_fraction)
    assert 0.05 <= measured <= 0.15 + one_pixel


def test_clipped_pixels_reach_255_in_the_ldr() -> None:
    params = CameraParams(clip_range=(0.1, 0.1), jpeg_probability=0, curves=("s-curve",))
    shot = simulate_camera(_scene(2), np.random.default_rng(5), params=params)
    clipped = shot.hdr.max(axis=2) >= 1.02  # well above white: noise cannot pull it under
    assert clipped.any() and np.all(shot.ldr.max(axis=2)[clipped] == 255)


def test_auto_exposure_known_values() -> None:
    peaks = np.arange(1, 101, dtype=np.float32).reshape(10, 10, 1) * np.ones(3, np.float32)
    # 10 % of the pixels clip when the 91st value (the 0.9 "lower" quantile) maps to 1.
    assert auto_exposure(peaks, 0.10) == pytest.approx(1 / 90)
    assert auto_exposure(peaks, 0.0) == pytest.approx(1 / 100)
    with pytest.raises(ValueError, match="quantile"):
        auto_exposure(np.zeros((4, 4, 3), np.float32), 0.1)


def test_unclipped_ldr_matches_reference_within_noise() -> None:
    params = CameraParams(
        curves=("gamma",), shot_noise=(1e-3, 1e-3), read_noise=(1e-3, 1e-3), jpeg_probability=0
    )
    shot = simulate_camera(_scene(4, (96, 96)), np.random.default_rng(1), params=params)
    mid = (shot.hdr > 0.3) & (shot.hdr < 0.9)
    residual = shot.ldr[mid] / 255.0 - shot.hdr[mid]
    linear = shot.hdr[mid] ** 2.24
    # Predicted σ in the gamma domain: σ_linear · d(x^(1/2.24))/dx, plus 8-bit rounding.
    sigma = np.sqrt(1e-3 * linear + 1e-6) * linear ** (1 / 2.24 - 1) / 2.24
    predicted = np.sqrt(np.mean(sigma**2) + 1 / (12 * 255**2))
    assert abs(residual.mean()) < 0.1 * predicted
    assert residual.std() == pytest.approx(predicted, rel=0.1)


def test_noise_is_poisson_gaussian() -> None:
    rng = np.random.default_rng(0)
    for level in (0.05, 0.4):
        flat = np.full((200, 200, 3), level, np.float32)
        noisy = add_noise(flat, rng, shot_noise=2e-3, read_noise=3e-3)
        assert noisy.mean() == pytest.approx(level, rel=0.01)
        assert noisy.var() == pytest.approx(2e-3 * level + 3e-3**2, rel=0.05)
    assert np.array_equal(add_noise(flat, rng, shot_noise=0, read_noise=0), flat)


def test_curves_are_monotone_and_fix_black_and_white() -> None:
    ramp = np.linspace(0, 1, 2001, dtype=np.float32)
    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(30):
        curve = draw_curve(rng)
        kinds.add(curve.kind)
        values = curve(ramp)
        assert values[0] == pytest.approx(0, abs=1e-6) and values[-1] == pytest.approx(1, abs=1e-6)
        assert np.all(np.diff(values) >= 0)
    assert kinds == {"gamma", "srgb", "s-curve"}


def test_srgb_curve_matches_colour_science() -> None:
    ramp = np.linspace(0, 1, 257, dtype=np.float32)
    expected = colour.cctf_encoding(ramp.astype(np.float64), function="sRGB")
    np.testing.assert_allclose(ResponseCurve("srgb")(ramp), expected, atol=1e-6)


def test_s_curve_is_s_shaped() -> None:
    curve = ResponseCurve("s-curve", steepness=8.0, midpoint=0.5, weight=1.0)
    encoded = np.array([0.1, 0.9], np.float32)
    shaped = curve(encoded**2.24)
    assert shaped[0] < 0.1 and shaped[1] > 0.9  # darker shadows, brighter highlights


def test_jpeg_changes_the_shot_a_little() -> None:
    rows, columns = np.mgrid[0:64, 0:64].astype(np.float32)
    scene = np.stack([np.exp(rows / 12), np.exp(columns / 16), np.exp((rows + columns) / 20)], 2)
    quiet = {"shot_noise": (0, 0), "read_noise": (0, 0), "jpeg_quality": (80, 80)}
    plain = CameraParams(jpeg_probability=0.0, **quiet)
    jpeg = CameraParams(jpeg_probability=1.0, **quiet)
    without = simulate_camera(scene, np.random.default_rng(2), params=plain)
    compressed = simulate_camera(scene, np.random.default_rng(2), params=jpeg)
    assert compressed.jpeg_quality == 80 and without.jpeg_quality is None
    difference = np.abs(compressed.ldr.astype(int) - without.ldr.astype(int))
    assert 0 < difference.mean() < 3


def test_same_seed_same_shot_other_seed_other_shot() -> None:
    scene = _scene(7)
    first = simulate_camera(scene, np.random.default_rng(11))
    again = simulate_camera(scene, np.random.default_rng(11))
    other = simulate_camera(scene, np.random.default_rng(12))
    assert np.array_equal(first.ldr, again.ldr) and np.array_equal(first.hdr, again.hdr)
    assert first.exposure == again.exposure and first.curve == again.curve
    assert not np.array_equal(first.ldr, other.ldr)


def test_brackets_share_camera_and_scale_exposure() -> None:
    short, medium, long = simulate_brackets(_scene(8), np.random.default_rng(0), params=CLEAN_GAMMA)
    assert short.exposure == pytest.approx(medium.exposure / 4)
    assert long.exposure == pytest.approx(medium.exposure * 4)
    np.testing.assert_allclose(short.hdr, medium.hdr * 2 ** (-2 / 2.24), rtol=1e-5)
    assert short.clip_fraction < medium.clip_fraction < long.clip_fraction
    alone = simulate_camera(_scene(8), np.random.default_rng(0), params=CLEAN_GAMMA)
    first = simulate_brackets(
        _scene(8), np.random.default_rng(0), stops=(0, -2), params=CLEAN_GAMMA
    )
    assert np.array_equal(alone.ldr, first[0].ldr)


def test_bad_input_is_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="H×W×3"):
        simulate_camera(np.ones((4, 4), np.float32), rng)
    with pytest.raises(ValueError, match="NaN"):
        simulate_camera(np.full((4, 4, 3), np.nan, np.float32), rng)
    with pytest.raises(ValueError, match="clip_range"):
        CameraParams(clip_range=(0.3, 0.1))
    with pytest.raises(ValueError, match="curves"):
        CameraParams(curves=("linear",))
