"""Round trips of ldr2hdr.io.write_hdr / read_hdr / read_ntire, one format at a time.

Tolerances follow each format's precision: half floats keep 11 significant bits (relative error
≤ 2^-11), RGBE keeps an 8-bit mantissa shared by the three channels (error < max channel / 128),
the NTIRE 16-bit encoding rounds y = linear^(1/2.24) to steps of 1/alignratio (error ≤ half a
step in the NTIRE domain). Ultra HDR is lossy (8-bit JPEG base + 8-bit log gain map).
"""

from __future__ import annotations

import struct

import cv2
import imagecodecs
import numpy as np
import OpenEXR
import pytest
from PIL import Image

from ldr2hdr.io import (
    NTIRE_GAMMA,
    ImageReadError,
    alignratio_path,
    read_hdr,
    read_ntire,
    write_hdr,
)

HALF_RELATIVE_PRECISION = 2.0**-11
HALF_SMALLEST_SUBNORMAL = 2.0**-24
RGBE_RELATIVE_TO_MAX_CHANNEL = 1 / 128
SDR_WHITE_LIBULTRAHDR = 188  # sRGB code of linear 0.5, libultrahdr's tone map of 1.0 (see docs)


def hdr_image(height: int = 24, width: int = 40, *, peak: float = 40.0) -> np.ndarray:
    """Smooth linear HDR test image: luminance from 0.001 to ``peak`` across, a colour cast
    changing down, float32 (H, W, 3)."""
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    luminance = 1e-3 * (peak / 1e-3) ** (cols / (width - 1))
    tint = np.stack(
        [
            np.ones_like(rows),
            0.6 + 0.4 * rows / (height - 1),
            0.3 + 0.7 * (1 - rows / (height - 1)),
        ],
        axis=-1,
    )
    return (luminance[..., None] * tint).astype(np.float32)


def write_exr(path, channels: dict[str, np.ndarray]) -> None:
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, channels).write(str(path))


# --- OpenEXR -----------------------------------------------------------------------------------


def test_exr_half_round_trip_within_half_precision(tmp_path):
    linear = hdr_image()
    written = write_hdr(tmp_path / "a.exr", linear)
    back = read_hdr(written)
    assert back.dtype == np.float32 and back.shape == linear.shape
    error = np.abs(back - linear)
    assert np.all(error <= HALF_RELATIVE_PRECISION * linear + HALF_SMALLEST_SUBNORMAL)
    with OpenEXR.File(str(written), separate_channels=True) as exr:
        assert {name: c.pixels.dtype for name, c in exr.channels().items()} == {
            "R": np.float16,
            "G": np.float16,
            "B": np.float16,
        }
        np.testing.assert_array_equal(exr.channels()["R"].pixels, linear[..., 0].astype(np.float16))


def test_exr_float_round_trip_is_exact(tmp_path):
    linear = hdr_image(peak=1e6)
    back = read_hdr(write_hdr(tmp_path / "a.exr", linear, exr_dtype="float"))
    np.testing.assert_array_equal(back, linear)


def test_exr_half_refuses_values_above_the_half_range(tmp_path):
    with pytest.raises(ValueError, match="exr_dtype='float'"):
        write_hdr(tmp_path / "a.exr", hdr_image(peak=1e5))
    assert list(tmp_path.iterdir()) == []


def test_exr_reader_takes_separate_float_channels_in_rgb_order(tmp_path):
    shape = (3, 4)
    write_exr(
        tmp_path / "c.exr",
        {
            "B": np.full(shape, 3.0, np.float32),
            "R": np.full(shape, 1.0, np.float32),
            "G": np.full(shape, 2.0, np.float32),
        },
    )
    np.testing.assert_array_equal(
        read_hdr(tmp_path / "c.exr"), np.broadcast_to([1, 2, 3], (3, 4, 3))
    )


def test_exr_reader_drops_alpha_and_expands_luminance(tmp_path):
    rgba = np.random.default_rng(0).random((5, 6, 4)).astype(np.float16)
    write_exr(tmp_path / "rgba.exr", {"RGBA": rgba})
    np.testing.assert_array_equal(read_hdr(tmp_path / "rgba.exr"), rgba[..., :3].astype(np.float32))
    y = np.ascontiguousarray(rgba[..., 0])  # OpenEXR's binding ignores strides
    write_exr(tmp_path / "y.exr", {"Y": y})
    np.testing.assert_array_equal(
        read_hdr(tmp_path / "y.exr"), np.repeat(y[..., None], 3, axis=2).astype(np.float32)
    )


def test_exr_negative_values_are_clamped_and_nan_refused(tmp_path):
    pixels = np.array([[[-1e-3, 0.5, 2.0]]], dtype=np.float32)
    write_exr(tmp_path / "n.exr", {"RGB": pixels})
    np.testing.assert_array_equal(read_hdr(tmp_path / "n.exr"), [[[0.0, 0.5, 2.0]]])
    pixels[0, 0, 1] = np.nan
    write_exr(tmp_path / "nan.exr", {"RGB": pixels})
    with pytest.raises(ImageReadError, match="1 pixel values are NaN or infinite"):
        read_hdr(tmp_path / "nan.exr")


def test_exr_without_colour_channels_is_refused(tmp_path):
    write_exr(tmp_path / "z.exr", {"Z": np.ones((2, 2), np.float32)})
    with pytest.raises(ImageReadError, match=r"no RGB, RGBA or Y channels .*'Z'"):
        read_hdr(tmp_path / "z.exr")


# --- Radiance RGBE ------------------------------------------------------------------------------


def test_rgbe_round_trip_within_the_shared_mantissa(tmp_path):
    rng = np.random.default_rng(3)
    linear = hdr_image() * rng.uniform(0.5, 1.0, size=(24, 40, 3)).astype(np.float32)  # noisy
    written = write_hdr(tmp_path / "a.hdr", linear)
    back = read_hdr(written)
    max_channel = linear.max(axis=2, keepdims=True)
    assert np.all(np.abs(back - linear) <= RGBE_RELATIVE_TO_MAX_CHANNEL * max_channel)
    # OpenCV, an independent RGBE decoder, reads the same values.
    np.testing.assert_array_equal(cv2.imread(str(written), cv2.IMREAD_UNCHANGED)[..., ::-1], back)


# --- PFM ------------------------------------------------------------------------------------------


def test_pfm_written_by_opencv(tmp_path):
    linear = hdr_image(7, 9)
    cv2.imwrite(str(tmp_path / "a.pfm"), linear[..., ::-1])
    np.testing.assert_array_equal(read_hdr(tmp_path / "a.pfm"), linear)


def test_big_endian_grayscale_pfm_is_read_bottom_row_first(tmp_path):
    rows_bottom_first = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=">f4")
    (tmp_path / "g.pfm").write_bytes(b"Pf\n2 3\n1.0\n" + rows_bottom_first.tobytes())
    expected = np.repeat(rows_bottom_first[::-1, :, None], 3, axis=2)
    np.testing.assert_array_equal(read_hdr(tmp_path / "g.pfm"), expected)


# --- NTIRE pairs, png16, tiff16 -------------------------------------------------------------------


def test_ntire_pair_follows_the_challenge_convention(tmp_path):
    linear = hdr_image()
    written = write_hdr(tmp_path / "0042.png", linear, format="ntire")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0042.png", "0042_alignratio.npy"]
    stored = cv2.imread(str(written), cv2.IMREAD_UNCHANGED)[..., ::-1]  # independent decoder
    alignratio = np.load(tmp_path / "0042_alignratio.npy")
    assert stored.dtype == np.uint16 and alignratio.dtype == np.float32 and alignratio.shape == ()
    y = linear.astype(np.float64) ** (1 / NTIRE_GAMMA)
    assert alignratio == np.float32(65535 / y.max())  # the challenge saves a float32
    assert stored.max() == 65535
    np.testing.assert_array_equal(stored, np.rint(y * alignratio).astype(np.uint16))


@pytest.mark.parametrize(
    ("name", "format"), [("0042.png", "ntire"), ("a.png", None), ("a.tif", None)]
)
def test_16_bit_formats_round_trip_within_half_a_code(tmp_path, name, format):
    linear = hdr_image()
    written = write_hdr(tmp_path / name, linear, format)
    y = linear.astype(np.float64) ** (1 / NTIRE_GAMMA)
    half_step = 0.5 * y.max() / 65535
    ntire = read_ntire(written)
    assert ntire.dtype == np.float32
    assert np.all(np.abs(ntire - y) <= half_step * (1 + 1e-5))
    np.testing.assert_allclose(
        read_hdr(written), ntire.astype(np.float64) ** NTIRE_GAMMA, rtol=2e-6
    )


def test_png16_and_tiff16_are_single_ordinary_16_bit_files(tmp_path):
    linear = hdr_image()
    write_hdr(tmp_path / "a.png", linear)
    write_hdr(tmp_path / "a.tif", linear)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.tif"]
    png = cv2.imread(str(tmp_path / "a.png"), cv2.IMREAD_UNCHANGED)
    tif = cv2.imread(str(tmp_path / "a.tif"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == tif.dtype == np.uint16
    np.testing.assert_array_equal(png, tif)
    with Image.open(tmp_path / "a.png") as image:
        assert image.size == (40, 24)


def test_read_ntire_on_a_challenge_style_gt_pair(tmp_path):
    stored = np.array([[[0, 1000, 65535], [30000, 2, 40000]]], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "0007_gt.png"), stored[..., ::-1])
    np.save(tmp_path / "0007_alignratio.npy", np.float32(1234.5))
    assert alignratio_path(tmp_path / "0007_gt.png") == tmp_path / "0007_alignratio.npy"
    expected = stored.astype(np.float32) / np.float32(1234.5)
    np.testing.assert_array_equal(read_ntire(tmp_path / "0007_gt.png"), expected)
    np.testing.assert_allclose(
        read_hdr(tmp_path / "0007_gt.png"), expected.astype(np.float64) ** 2.24, rtol=2e-6
    )


def test_embedded_alignratio_wins_over_a_stale_sidecar(tmp_path):
    linear = hdr_image()
    write_hdr(tmp_path / "0001.png", linear)  # png16: alignratio embedded
    np.save(tmp_path / "0001_alignratio.npy", np.float32(1.0))  # stale, wrong
    np.testing.assert_allclose(read_hdr(tmp_path / "0001.png"), linear, rtol=0.01, atol=1e-4)


def test_plain_16_bit_png_without_alignratio_is_refused(tmp_path):
    cv2.imwrite(str(tmp_path / "photo.png"), np.ones((4, 4, 3), np.uint16))
    with pytest.raises(ImageReadError, match=r"no alignratio.*read_ldr"):
        read_hdr(tmp_path / "photo.png")


@pytest.mark.parametrize("value", [0.0, -3.0, np.inf, np.array([1.0, 2.0])])
def test_bad_alignratio_is_refused(tmp_path, value):
    cv2.imwrite(str(tmp_path / "0003.png"), np.ones((4, 4, 3), np.uint16))
    np.save(tmp_path / "0003_alignratio.npy", np.asarray(value, dtype=np.float32))
    with pytest.raises(ImageReadError, match=r"0003_alignratio\.npy"):
        read_ntire(tmp_path / "0003.png")


def test_8_bit_png_is_not_an_ntire_frame(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "0004.png")
    np.save(tmp_path / "0004_alignratio.npy", np.float32(2.0))
    with pytest.raises(ImageReadError, match="16-bit RGB"):
        read_ntire(tmp_path / "0004.png")


def test_all_black_image_round_trips_in_16_bit_formats(tmp_path):
    black = np.zeros((8, 8, 3), np.float32)
    write_hdr(tmp_path / "0000.png", black, "ntire")
    assert np.load(tmp_path / "0000_alignratio.npy") == np.float32(65535)
    np.testing.assert_array_equal(read_hdr(tmp_path / "0000.png"), black)


# --- Ultra HDR ------------------------------------------------------------------------------------


def test_ultrahdr_decodes_back_within_gain_map_precision(tmp_path):
    linear = hdr_image(64, 96, peak=16.0)
    written = write_hdr(tmp_path / "a.jpg", linear)
    content = written.read_bytes()
    assert imagecodecs.ultrahdr_check(content)
    decoded = imagecodecs.ultrahdr_decode(content).astype(np.float32)[..., :3]
    np.testing.assert_array_equal(read_hdr(written), decoded)
    bright = linear >= 0.05  # 8-bit sRGB base codes are coarse below this
    relative = np.abs(decoded - linear)[bright] / linear[bright]
    assert np.median(relative) < 0.02
    assert np.percentile(relative, 99) < 0.07
    assert relative.max() < 0.12
    assert np.abs(decoded - linear)[~bright].max() < 0.01


def test_ultrahdr_maps_ldr_white_to_sdr_white_and_its_base_opens_with_pillow(tmp_path):
    linear = np.ones((16, 32, 3), np.float32)
    linear[:, 16:] = 8.0  # a highlight three stops above LDR white
    written = write_hdr(tmp_path / "w.jpg", linear)
    decoded = imagecodecs.ultrahdr_decode(written.read_bytes()).astype(np.float32)[..., :3]
    np.testing.assert_allclose(decoded[4:-4, 2:12], 1.0, rtol=0.02)  # 1.0 = SDR white, 203 nits
    np.testing.assert_allclose(decoded[4:-4, 20:30], 8.0, rtol=0.03)
    with Image.open(written) as base:
        assert base.format in {"JPEG", "MPO"} and base.size == (32, 16)
        sdr = np.asarray(base.convert("RGB")).astype(int)
    assert np.all(np.abs(sdr[4:-4, 2:12] - SDR_WHITE_LIBULTRAHDR) <= 3)
    assert np.all(sdr[4:-4, 20:30] > sdr[4:-4, 2:12])


def test_ultrahdr_needs_8_pixels_a_side(tmp_path):
    with pytest.raises(ValueError, match="7×8"):
        write_hdr(tmp_path / "a.jpg", np.ones((8, 7, 3), np.float32))


def test_plain_jpeg_is_not_hdr(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.jpg")
    with pytest.raises(ImageReadError, match="read_ldr"):
        read_hdr(tmp_path / "a.jpg")


# --- bad input -----------------------------------------------------------------------------------


def good_file(tmp_path, name: str):
    return write_hdr(tmp_path / name, hdr_image(16, 16))


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
@pytest.mark.parametrize("name", ["a.exr", "a.hdr", "a.png", "a.tif", "a.jpg", "a.pfm"])
def test_truncated_hdr_files_raise_image_read_error(tmp_path, name):
    if name == "a.pfm":
        cv2.imwrite(str(tmp_path / name), hdr_image(16, 16))
        path = tmp_path / name
    else:
        path = good_file(tmp_path, name)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(ImageReadError) as info:
        read_hdr(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "file not found"),
        (b"", "not an HDR image"),
        (b"hello, not an image", "not an HDR image"),
        (b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n+Y 2 +X 2\n", "orientation"),
        (b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n", "resolution"),
    ],
)
def test_bad_files_raise_image_read_error_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.hdr"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageReadError, match=reason):
        read_hdr(path)


@pytest.mark.parametrize("name", ["a.exr", "a.hdr", "a.png", "a.tif", "a.jpg", "a.pfm"])
def test_pixel_limit_is_checked_for_every_hdr_format(tmp_path, name):
    if name == "a.pfm":
        cv2.imwrite(str(tmp_path / name), hdr_image(16, 16))
        path = tmp_path / name
    else:
        path = good_file(tmp_path, name)
    assert read_hdr(path, max_pixels=256).shape == (16, 16, 3)
    with pytest.raises(ImageReadError, match="256 pixels is more than the limit of 255"):
        read_hdr(path, max_pixels=255)


def test_rgbe_header_claiming_a_huge_image_is_refused_before_decoding(tmp_path):
    (tmp_path / "bomb.hdr").write_bytes(b"#?RADIANCE\n\n-Y 100000 +X 100000\n\x00")
    with pytest.raises(ImageReadError, match="decompression-bomb"):
        read_hdr(tmp_path / "bomb.hdr")


def test_exr_header_claiming_a_huge_image_is_refused_before_decoding(tmp_path):
    # Edit the dataWindow attribute (box2i: xmin, ymin, xmax, ymax as int32) of a 16×16 file.
    content = bytearray(good_file(tmp_path, "a.exr").read_bytes())
    attribute = b"dataWindow\x00box2i\x00" + struct.pack("<i", 16)
    start = content.index(attribute) + len(attribute)
    content[start : start + 16] = struct.pack("<4i", 0, 0, 99_999, 99_999)
    (tmp_path / "bomb.exr").write_bytes(bytes(content))
    with pytest.raises(ImageReadError, match="100000×100000 = 10000000000 pixels"):
        read_hdr(tmp_path / "bomb.exr")
