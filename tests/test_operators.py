"""Expansion operators: known values, monotone, non-negative, scale normalisation, odd sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ldr2hdr.operators import (
    akyuz,
    create_operator,
    cross_bilateral_grid,
    huo,
    identity,
    kovaleski,
    landis,
    linear,
    list_operators,
    masia17_gamma,
    masia_gamma,
    ntire_scale,
    operator_ntire,
)

ALL = (
    "akyuz",
    "huo",
    "identity",
    "kovaleski",
    "landis",
    "linear",
    "masia",
    "masia17",
)
GREY = (0.2126, 0.7152, 0.0722)  # Rec. 709 luminance weights, written out independently


def _lum(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ np.array(GREY)


def _ramp(height: int = 9, width: int = 61, top: float = 1.3) -> np.ndarray:
    """Grey ramp rising left to right from 0.02 to ``top`` (clipped at 1: a saturated end)."""
    values = np.clip(np.linspace(0.02, top, width), 0.0, 1.0)
    return np.broadcast_to(values[None, :, None], (height, width, 3)).astype(np.float32).copy()


def _half_clipped(height: int = 21, width: int = 47) -> np.ndarray:
    """Left part: a dim textured ramp (0.1–0.4); right part from column 30: clipped white."""
    rng = np.random.default_rng(3)
    image = np.linspace(0.1, 0.4, width)[None, :, None] + 0.02 * rng.random((height, width, 3))
    image[:, 30:] = 1.0
    return image.astype(np.float32)


def test_registry_lists_every_operator() -> None:
    assert list_operators() == sorted(ALL)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape", [(1, 1, 3), (5, 3, 3), (23, 17, 3)])
def test_odd_sizes_non_negative_finite_float32(name: str, shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    ldr = rng.random(shape).astype(np.float32)
    ldr.flat[0] = 0.0
    ldr.flat[-1] = 1.0
    raw = create_operator(name)(ldr)
    out = operator_ntire(name, ldr)
    for image in (raw, out):
        assert image.shape == shape and image.dtype == np.float32
        assert np.isfinite(image).all() and image.min() >= 0.0


@pytest.mark.parametrize("name", ALL)
def test_monotone_along_a_grey_ramp(name: str) -> None:
    out = _lum(operator_ntire(name, _ramp()))
    steps = np.diff(out, axis=1)
    assert steps.min() >= -1e-6, f"{name} decreases along the ramp by {steps.min()}"
    assert out[:, -1].mean() > out[:, 0].mean()


def test_identity_returns_the_input_in_the_ntire_domain() -> None:
    ldr = np.random.default_rng(1).random((13, 19, 3)).astype(np.float32)
    np.testing.assert_allclose(operator_ntire("identity", ldr), ldr, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(identity(ldr), ldr.astype(np.float64) ** 2.24, rtol=1e-5)


def test_ntire_scale_undoes_a_constant_gain() -> None:
    ldr = np.random.default_rng(2).uniform(0.1, 0.9, (11, 15, 3))
    assert ntire_scale(ldr, 3.0 * ldr**2.24) == pytest.approx(1 / 3, rel=1e-12)
    # only well-exposed pixels vote: doubling the clipped half changes nothing
    ldr[:, :7] = 1.0
    out = 3.0 * ldr**2.24
    out[:, :7] *= 2.0
    assert ntire_scale(ldr, out) == pytest.approx(1 / 3, rel=1e-12)


def test_landis_known_values_and_preserved_below_threshold() -> None:
    ldr = _ramp()
    lum_in = _lum(ldr.astype(np.float64) ** 2.24)
    raw = _lum(landis(ldr))
    below = lum_in < 0.5
    np.testing.assert_allclose(raw[below], lum_in[below], rtol=1e-6)
    np.testing.assert_allclose(raw[:, -1], 30.0, rtol=1e-6)  # white: w = 1, L_exp = peak · 1
    pixel = lum_in[0, 45]
    weight = ((pixel - 0.5) / (1.0 - 0.5)) ** 2
    assert raw[0, 45] == pytest.approx((1 - weight) * pixel + weight * 30 * pixel, rel=1e-6)
    out = operator_ntire("landis", ldr)
    np.testing.assert_allclose(out[below], ldr[below], rtol=1e-5)  # scale 1: nothing to undo
    assert out.max() == pytest.approx(30 ** (1 / 2.24), rel=1e-5)


def test_akyuz_stretches_display_luminance() -> None:
    ldr = _ramp(top=0.9)
    raw = _lum(akyuz(ldr, gamma=2.0))
    display = ldr[0, :, 0].astype(np.float64)
    expected = ((display - display.min()) / (display.max() - display.min())) ** 2.0
    np.testing.assert_allclose(raw[0], expected, rtol=1e-6, atol=1e-12)


def test_linear_is_a_stretch_of_linear_luminance_preserved_up_to_scale() -> None:
    ldr = _ramp(top=0.8)
    ldr[:, 0] = 0.0  # black point at zero: the stretch is a pure gain
    lin = ldr.astype(np.float64) ** 2.24
    raw = linear(ldr)
    gain = 1.0 / 0.8**2.24
    np.testing.assert_allclose(raw, lin * gain, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(operator_ntire("linear", ldr), ldr, rtol=1e-5, atol=1e-6)


def _two_level_image(low: float, high: float, share_high: float) -> np.ndarray:
    """Grey image with linear luminance ``low`` on a share 1 − s and ``high`` on a share s."""
    count = 100
    values = np.full(count, low)
    values[: round(share_high * count)] = high
    return np.broadcast_to((values ** (1 / 2.24))[:, None, None], (count, 1, 3)).copy()


def test_masia_gammas_from_the_image_key() -> None:
    low, high = 0.01, 0.5
    ldr = _two_level_image(low, high, 0.75)
    log_average = math.exp(0.25 * math.log(low + 1e-6) + 0.75 * math.log(high + 1e-6))
    key = (math.log(log_average) - math.log(low)) / (math.log(high) - math.log(low))
    assert key == pytest.approx(0.75, abs=1e-4)
    assert masia_gamma(ldr) == pytest.approx(10.44 * key - 6.282, rel=1e-6)
    expected17 = 2.4379 + 0.2319 * math.log(log_average) - 1.1228 * key + 0.0085 * 0.0
    assert masia17_gamma(ldr) == pytest.approx(expected17, rel=1e-6)
    # 5 of the bright pixels at white: p_ov = 5 %, and white becomes the 99th percentile
    ldr[:5] = 1.0
    log_average = math.exp(
        0.05 * math.log(1.0 + 1e-6) + 0.70 * math.log(high + 1e-6) + 0.25 * math.log(low + 1e-6)
    )
    key = (math.log(log_average) - math.log(low)) / (math.log(1.0) - math.log(low))
    expected17 = 2.4379 + 0.2319 * math.log(log_average) - 1.1228 * key + 0.0085 * 5.0
    assert masia17_gamma(ldr) == pytest.approx(expected17, rel=1e-6)


def test_masia_expands_highlights_when_gamma_above_one() -> None:
    ldr = _half_clipped()
    ldr[:, 3:30] += 0.5  # a high-key image (few dark pixels, most near white): γ > 1
    ldr[:, :3] = 0.05
    assert masia_gamma(ldr) > 1.0
    assert operator_ntire("masia", ldr)[:, 35:].min() > 1.0


def test_huo_on_a_flat_image_gives_the_closed_form() -> None:
    level = 0.3
    ldr = np.full((15, 21, 3), level ** (1 / 2.24))
    raw = _lum(huo(ldr))
    sigma = math.exp(math.log(level + 1e-6))
    expected = (level / level) * (level**0.86 + sigma**0.86) ** (1 / 0.86)
    np.testing.assert_allclose(raw, expected, rtol=1e-4)


@pytest.mark.parametrize("name", ["landis", "kovaleski", "huo"])
def test_clipped_region_rises_above_white(name: str) -> None:
    out = operator_ntire(name, _half_clipped())
    assert out[:, 35:].mean() > 1.0


def test_kovaleski_boosts_clipped_and_keeps_far_pixels_up_to_scale() -> None:
    ldr = _half_clipped()
    raw = _lum(kovaleski(ldr))
    lum_in = _lum(ldr.astype(np.float64) ** 2.24)
    far = raw[:, :25] / (lum_in[:, :25] * (1 - 0.3 / 1200) + 0.3 / 1200)
    np.testing.assert_allclose(far, 1.0, atol=1e-3)  # E ≈ 1 across the luminance edge
    np.testing.assert_allclose(raw[:, 33:], 4.0, rtol=1e-2)  # E ≈ α inside the clipped part
    all_white = kovaleski(np.ones((7, 9, 3)))
    np.testing.assert_allclose(all_white, 4.0, rtol=1e-9)


def _brute_force_cross_bilateral(values, guide, sigma_space, sigma_range):
    rows, cols = np.indices(values.shape)
    out = np.empty_like(values)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            spatial = ((rows - i) ** 2 + (cols - j) ** 2) / (2 * sigma_space**2)
            weight = np.exp(-spatial - (guide - guide[i, j]) ** 2 / (2 * sigma_range**2))
            out[i, j] = (weight * values).sum() / weight.sum()
    return out


def test_bilateral_grid_approximates_the_exact_filter_and_stops_at_edges() -> None:
    rng = np.random.default_rng(4)
    guide = np.clip(0.2 * rng.random((25, 33)) + 0.6 * (np.arange(33) > 16), 0, 1)
    values = np.sin(np.arange(33) / 5.0)[None, :] + 0.3 * rng.random((25, 33))
    got = cross_bilateral_grid(values, guide, sigma_space=6.0, sigma_range=0.15)
    exact = _brute_force_cross_bilateral(values, guide, 6.0, 0.15)
    error = np.abs(got - exact) / np.ptp(exact)  # an approximation: about 1 % of the range
    assert error.mean() < 0.006 and error.max() < 0.015
    mask = (guide > 0.5).astype(np.float64)
    spread = cross_bilateral_grid(mask, guide, sigma_space=20.0, sigma_range=0.1)
    assert spread[:, :15].max() < 1e-3 and spread[:, 19:].min() > 0.99


def test_bad_input_and_options_are_rejected() -> None:
    good = np.zeros((4, 5, 3), np.float32)
    with pytest.raises(ValueError, match="unknown operator 'nope'"):
        create_operator("nope")
    with pytest.raises(TypeError, match="gama"):
        create_operator("akyuz", gama=2.0)
    with pytest.raises(ValueError, match=r"range \[2.0, 2.0\]"):
        operator_ntire("identity", good + 2.0)
    with pytest.raises(ValueError, match=r"\(4, 5\)"):
        operator_ntire("masia", good[..., 0])
    with pytest.raises(TypeError, match="uint8"):
        operator_ntire("huo", good.astype(np.uint8))
    with pytest.raises(ValueError, match="gamma"):
        akyuz(good, gamma=0.0)
