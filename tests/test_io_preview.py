"""Tests of the tone-mapping preview: the sRGB OETF, the curves, and the 8-bit writer."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ldr2hdr.io import ImageWriteError, srgb_oetf, tonemap, write_preview
from ldr2hdr.io.preview import shoulder

colour = pytest.importorskip("colour")  # colour-science, the independent oracle

KNEE = 0.75


def test_srgb_oetf_matches_colour_science():
    ramp = np.concatenate([np.linspace(0, 0.01, 101), np.linspace(0.01, 1, 991)])
    expected = colour.models.eotf_inverse_sRGB(ramp)
    np.testing.assert_allclose(srgb_oetf(ramp), expected, atol=2e-7)


def test_shoulder_known_values():
    linear = np.array([0.0, 0.18, KNEE, 1.0, 2.0, 1000.0], dtype=np.float32)
    # identity to the knee; above it knee + (1 - knee) * u / (1 + u), u = (x - knee) / (1 - knee)
    u = np.maximum(linear - KNEE, 0) / (1 - KNEE)
    curve = np.where(linear <= KNEE, linear, KNEE + (1 - KNEE) * u / (1 + u))
    assert curve[3] == pytest.approx(0.875)
    expected = colour.models.eotf_inverse_sRGB(curve)
    np.testing.assert_allclose(tonemap(linear), expected, atol=1e-6)


def test_ldr_white_is_white_ish_and_highlights_stay_distinct():
    codes = np.rint(255 * tonemap(np.array([1.0, 2.0, 4.0, 16.0], np.float32)))
    assert codes.tolist() == [240, 250, 253, 255]


def test_shoulder_is_monotonic_below_one_and_smooth_at_the_knee():
    linear = np.linspace(0, 50, 20001, dtype=np.float64)
    display = tonemap(linear)
    assert np.all(np.diff(display) >= 0)
    assert display.max() < 1.0
    step = 1e-4
    below, at, above = shoulder(np.array([KNEE - step, KNEE, KNEE + step]))
    assert (at - below) / step == pytest.approx(1.0, abs=1e-3)  # slope 1 on both sides
    assert (above - at) / step == pytest.approx(1.0, abs=1e-3)


def test_exposure_is_a_gain_in_stops():
    linear = np.array([[[0.1, 0.5, 3.0]]], dtype=np.float32)
    np.testing.assert_allclose(tonemap(linear, exposure=1.5), tonemap(linear * 2**1.5), atol=1e-6)


def test_clip_method_is_srgb_of_clipped_values():
    linear = np.array([0.0, 0.5, 1.0, 7.0], dtype=np.float32)
    expected = colour.models.eotf_inverse_sRGB(np.minimum(linear, 1.0))
    np.testing.assert_allclose(tonemap(linear, method="clip"), expected, atol=1e-6)


def test_paper_method_normalises_by_the_maximum_in_the_ntire_domain():
    linear = np.array([0.0, 2.0, 4.0, 8.0], dtype=np.float32)
    expected = (linear / 8.0) ** (1 / 2.24)
    np.testing.assert_allclose(tonemap(linear, method="paper"), expected, rtol=1e-6)
    brighter = tonemap(linear, method="paper", exposure=1.0)
    np.testing.assert_allclose(brighter, np.minimum(2 * linear / 8.0, 1) ** (1 / 2.24), rtol=1e-6)
    assert tonemap(np.zeros(3, np.float32), method="paper").tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "quoted"),
    [({"method": "aces"}, "'aces'"), ({"exposure": float("nan")}, "nan")],
)
def test_bad_options_are_refused(kwargs, quoted):
    with pytest.raises(ValueError, match=quoted):
        tonemap(np.ones(3, np.float32), **kwargs)


def test_png_preview_holds_the_rounded_tone_mapped_codes(tmp_path):
    rng = np.random.default_rng(5)
    linear = rng.uniform(0, 6, size=(9, 13, 3)).astype(np.float32)
    written = write_preview(tmp_path / "p.png", linear, exposure=-0.5)
    with Image.open(written) as preview:
        assert preview.mode == "RGB"
        pixels = np.asarray(preview)
    np.testing.assert_array_equal(pixels, np.rint(255 * tonemap(linear, exposure=-0.5)))


def test_jpeg_preview_is_close_to_the_tone_mapped_image(tmp_path):
    rows, cols = np.mgrid[0:32, 0:48]
    linear = np.stack([0.5 + cols / 12, 0.5 + rows / 16, np.full(rows.shape, 0.8)], axis=-1)
    written = write_preview(tmp_path / "p.jpg", linear.astype(np.float32), method="paper")
    with Image.open(written) as preview:
        assert preview.format == "JPEG" and preview.size == (48, 32)
        pixels = np.asarray(preview).astype(float)
    np.testing.assert_allclose(pixels, 255 * tonemap(linear, method="paper"), atol=4)  # q95


def test_preview_suffix_and_overwrite_rules(tmp_path):
    with pytest.raises(ImageWriteError, match=r"'\.exr'"):
        write_preview(tmp_path / "p.exr", np.ones((4, 4, 3), np.float32))
    write_preview(tmp_path / "p.png", np.ones((4, 4, 3), np.float32))
    with pytest.raises(ImageWriteError, match="already exists"):
        write_preview(tmp_path / "p.png", np.zeros((4, 4, 3), np.float32))
    write_preview(tmp_path / "p.png", np.zeros((4, 4, 3), np.float32), overwrite=True)
    with Image.open(tmp_path / "p.png") as preview:
        assert np.asarray(preview).max() == 0
