"""Tests of ldr2hdr.metrics against independent transcriptions of the NTIRE 2021 scoring, the
published PU21 anchor and an OpenCV transcription of SSIM."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from ldr2hdr.metrics import (
    mean_scores,
    mu_psnr,
    ntire_to_absolute,
    psnr,
    psnr_l,
    pu21_encode,
    pu21_psnr,
    pu21_ssim,
    ssim,
)


def _hdr_pair(seed: int, shape: tuple[int, int] = (24, 32)) -> tuple[np.ndarray, np.ndarray]:
    """A reference with highlights up to ~3× white (NTIRE domain) and a noisy prediction."""
    rng = np.random.default_rng(seed)
    ref = rng.uniform(0.0, 1.0, size=(*shape, 3)) ** 2 * rng.choice([1.0, 1.6], size=(*shape, 1))
    pred = np.abs(ref + rng.normal(scale=0.05, size=ref.shape))
    return pred.astype(np.float32), ref.astype(np.float32)


# Independent transcription of the NTIRE 2021 HDR challenge scoring (res first, ref second).
def _ntire_psnr(im0: np.ndarray, im1: np.ndarray) -> float:
    return -10.0 * math.log10(float(np.mean(np.power(im0 - im1, 2))))


def _ntire_normalized_psnr(ref: np.ndarray, res: np.ndarray) -> float:
    norm = np.max(ref)
    return _ntire_psnr(ref / norm, res / norm)


def _ntire_mu_psnr(ref: np.ndarray, res: np.ndarray) -> float:
    lin_ref, lin_res = np.power(ref, 2.24), np.power(res, 2.24)
    norm = np.percentile(lin_ref, 99)

    def tonemap(x: np.ndarray) -> np.ndarray:
        return np.log(1 + 5000 * np.tanh(x / norm)) / np.log(1 + 5000)

    return _ntire_psnr(tonemap(lin_ref), tonemap(lin_res))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_psnr_l_and_mu_psnr_match_ntire_transcription(seed: int) -> None:
    pred, ref = _hdr_pair(seed)
    p64, r64 = pred.astype(np.float64), ref.astype(np.float64)
    assert psnr_l(pred, ref) == pytest.approx(_ntire_normalized_psnr(r64, p64), abs=1e-9)
    assert mu_psnr(pred, ref) == pytest.approx(_ntire_mu_psnr(r64, p64), abs=1e-9)


def test_identical_images_give_inf() -> None:
    _, ref = _hdr_pair(3)
    assert psnr_l(ref, ref) == math.inf
    assert mu_psnr(ref, ref) == math.inf
    assert pu21_psnr(ref, ref) == math.inf
    assert psnr(ref, ref) == math.inf
    assert ssim(ref, ref) == pytest.approx(1.0, abs=1e-12)
    assert pu21_ssim(ref, ref) == pytest.approx(1.0, abs=1e-12)


def test_psnr_known_value() -> None:
    ref = np.full((4, 5, 3), 0.5)
    assert psnr(ref + 0.1, ref) == pytest.approx(20.0)
    assert psnr(ref + 0.1, ref, data_range=255.0) == pytest.approx(20.0 + 20 * math.log10(255))


def test_psnr_l_scales_with_the_reference_maximum() -> None:
    ref = np.zeros((2, 2, 3))
    ref[0, 0] = 4.0
    pred = ref.copy()
    pred[1, 1] = 0.4  # error 0.4 at 3 of 12 values; normalised by max 4 → 0.1
    assert psnr_l(pred, ref) == pytest.approx(-10 * math.log10(0.1**2 * 3 / 12))


# SSIM transcription with OpenCV: 11×11 Gaussian σ = 1.5, "valid" region, per channel.
def _cv2_ssim(img1: np.ndarray, img2: np.ndarray, data_range: float) -> float:
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    kernel = cv2.getGaussianKernel(11, 1.5)
    window = kernel @ kernel.T
    scores = []
    for channel in range(img1.shape[-1]):
        x, y = img1[..., channel], img2[..., channel]

        def blur(z: np.ndarray) -> np.ndarray:
            return cv2.filter2D(z, -1, window)[5:-5, 5:-5]

        mx, my = blur(x), blur(y)
        sxx, syy, sxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
        num = (2 * mx * my + c1) * (2 * sxy + c2)
        scores.append(np.mean(num / ((mx**2 + my**2 + c1) * (sxx + syy + c2))))
    return float(np.mean(scores))


def test_ssim_matches_opencv_transcription() -> None:
    rng = np.random.default_rng(6)
    ref = rng.uniform(size=(40, 36, 3))
    pred = np.clip(ref + rng.normal(scale=0.1, size=ref.shape), 0, 1)
    assert ssim(pred, ref) == pytest.approx(_cv2_ssim(pred, ref, 1.0), abs=1e-6)


# PU21 "banding_glare", transcribed from Mantiuk & Azimi (2021).
def _pu21(luminance: np.ndarray) -> np.ndarray:
    p = [0.353487901, 0.3734658629, 8.277049286e-05, 0.9062562627, 0.09150303166]
    y = np.clip(luminance, 0.005, 10000.0)
    return 596.3148142 * (
        ((p[0] + p[1] * y ** p[3]) / (1 + p[2] * y ** p[3])) ** p[4] - 0.9099517204
    )


def test_pu21_published_anchor() -> None:
    assert float(pu21_encode(100.0)) == pytest.approx(256.0, abs=0.5)
    assert abs(float(pu21_encode(0.005))) < 1e-6
    assert float(pu21_encode(10000.0)) == pytest.approx(595.4, abs=0.1)


def test_pu21_monotone_and_clamped() -> None:
    luminance = np.logspace(math.log10(0.005), 4, 2000)
    encoded = pu21_encode(luminance)
    assert np.all(np.diff(encoded) > 0)
    np.testing.assert_allclose(encoded, _pu21(luminance), rtol=1e-12, atol=1e-9)
    assert pu21_encode(1e-4) == pu21_encode(0.005)
    assert pu21_encode(1e6) == pu21_encode(10000.0)


def test_pu21_psnr_matches_transcription() -> None:
    pred, ref = _hdr_pair(7)
    encoded = [_pu21(x.astype(np.float64) ** 2.24 * 100.0) for x in (pred, ref)]
    mse = np.mean((encoded[0] - encoded[1]) ** 2)
    assert pu21_psnr(pred, ref) == pytest.approx(10 * math.log10(256.0**2 / mse), abs=1e-9)
    assert pu21_psnr(pred, ref, white_luminance=1000.0) != pytest.approx(pu21_psnr(pred, ref))


def test_pu21_ssim_matches_transcription_on_luminance() -> None:
    pred, ref = _hdr_pair(8, shape=(30, 30))
    weights = np.array([0.212656, 0.715158, 0.072186])
    encoded = [
        _pu21((x.astype(np.float64) ** 2.24 * 100.0) @ weights)[..., None] for x in (pred, ref)
    ]
    expected = _cv2_ssim(encoded[0], encoded[1], 256.0)
    assert pu21_ssim(pred, ref) == pytest.approx(expected, abs=1e-6)
    assert pu21_ssim(pred, ref) < 1.0


def test_ntire_to_absolute_maps_white_to_100_nits() -> None:
    y = np.array([[[1.0, 1.0, 1.0], [0.5, 0.0, 2.0]]])
    absolute = ntire_to_absolute(y)
    np.testing.assert_allclose(absolute[0, 0], 100.0)
    np.testing.assert_allclose(absolute[0, 1], [100 * 0.5**2.24, 0.0, 100 * 2**2.24])
    np.testing.assert_allclose(ntire_to_absolute(y, white_luminance=203.0)[0, 0], 203.0)
    with pytest.raises(ValueError, match="white_luminance"):
        ntire_to_absolute(y, white_luminance=0.0)


def test_metrics_reject_bad_input() -> None:
    good = np.ones((12, 12, 3))
    with pytest.raises(TypeError, match="uint8"):
        psnr_l(good.astype(np.uint8), good)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        mu_psnr(good[..., :2], good[..., :2])
    with pytest.raises(ValueError, match="one shape"):
        psnr(good, good[:-1])
    negative = good.copy()
    negative[0, 0, 0] = -0.5
    with pytest.raises(ValueError, match=r"-0\.5"):
        mu_psnr(negative, good)
    with pytest.raises(ValueError, match="non-finite"):
        psnr_l(good, np.full_like(good, np.nan))
    with pytest.raises(ValueError, match="positive maximum"):
        psnr_l(good, np.zeros_like(good))
    with pytest.raises(ValueError, match="percentile"):
        mu_psnr(good, np.zeros_like(good))
    with pytest.raises(ValueError, match="11 px"):
        ssim(good[:8, :8], good[:8, :8])


def test_mean_scores_infinity_policy() -> None:
    assert mean_scores([10.0, 20.0]) == 15.0
    assert mean_scores([10.0, math.inf]) == math.inf
    assert mean_scores([10.0, math.inf], inf_cap=100.0) == 55.0
    with pytest.raises(ValueError, match="empty"):
        mean_scores([])
    with pytest.raises(ValueError, match="nan"):
        mean_scores([1.0, math.nan])
    with pytest.raises(ValueError, match="inf_cap"):
        mean_scores([1.0], inf_cap=math.inf)


# --- diagnostics: mid-tone and highlight ratios -----------------------------------------------


def _ramp_photo() -> np.ndarray:
    """A grey ramp 0…1 (display values), 4×64×3, float32."""
    ramp = np.linspace(0.0, 1.0, 64, dtype=np.float32)
    return np.repeat(np.tile(ramp, (4, 1))[..., None], 3, axis=2)


def test_midtone_ratio_known_values() -> None:
    from ldr2hdr.metrics import midtone_ratio

    ldr = _ramp_photo()
    assert midtone_ratio(ldr, ldr) == pytest.approx(1.0, abs=1e-6)  # identity leaves them alone
    brighter = ldr * np.float32(1.2 ** (1 / 2.24))  # 1.2× in linear
    assert midtone_ratio(brighter, ldr) == pytest.approx(1.2, rel=1e-5)
    # Only pixels with linear max channel in [0.1, 0.8] count: changing the rest changes nothing.
    changed = ldr.copy()
    linear = ldr**2.24
    outside = (linear < 0.1) | (linear > 0.8)
    changed[outside] *= 3.0
    assert midtone_ratio(changed, ldr) == pytest.approx(1.0, abs=1e-6)


def test_midtone_ratio_without_midtones_is_nan_and_checks_input() -> None:
    from ldr2hdr.metrics import midtone_ratio

    black = np.zeros((4, 4, 3), np.float32)
    assert math.isnan(midtone_ratio(black, black))
    with pytest.raises(ValueError, match="shape"):
        midtone_ratio(np.zeros((4, 4, 3), np.float32), np.zeros((4, 5, 3), np.float32))
    with pytest.raises(ValueError, match="≥ 0"):
        midtone_ratio(-np.ones((4, 4, 3), np.float32), np.ones((4, 4, 3), np.float32))


def test_highlight_ratio_known_values() -> None:
    from ldr2hdr.metrics import highlight_ratio

    ref = _ramp_photo() * np.float32(2.0)  # NTIRE domain up to 2 (linear up to 2**2.24)
    assert highlight_ratio(ref, ref) == pytest.approx(1.0)
    half = (ref**2.24 * np.float32(0.5)) ** np.float32(1 / 2.24)  # half as bright, linear
    assert highlight_ratio(half, ref) == pytest.approx(0.5, rel=1e-5)
    assert math.isnan(highlight_ratio(ref, np.zeros_like(ref)))


def test_median_finite_skips_nan() -> None:
    from ldr2hdr.metrics import median_finite

    assert median_finite([1.0, math.nan, 3.0, 2.0]) == 2.0
    assert math.isnan(median_finite([math.nan]))
