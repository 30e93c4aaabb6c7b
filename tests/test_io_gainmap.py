"""Ultra HDR with the photo as its SDR image: write_hdr(..., "uhdr", sdr=photo), io/gainmap.py."""

from __future__ import annotations

import io
import re

import imagecodecs
import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms

from ldr2hdr.io import read_hdr, read_icc_profile, write_hdr
from ldr2hdr.io.gainmap import (
    GAIN_MAP_OFFSET,
    MIN_HEADROOM_STOPS,
    compute_gain_map,
    srgb_to_linear,
)

SDR_MEAN_ERROR = 2.5  # codes, mean absolute: the acceptance bound for the photo in the file
SDR_MEAN_SHIFT = 1.0  # codes, mean signed
HDR_MEDIAN_ERROR = 0.05  # relative, pixels above 0.05 of white
HDR_TAIL_ERROR = 0.05  # relative, 95th percentile
BRIGHT = 0.05
HEIGHT, WIDTH = 48, 80


def gradient_photo() -> np.ndarray:
    """uint8 (48, 80, 3): a smooth horizontal ramp in red, vertical in green, diagonal in blue."""
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    channels = (columns / (WIDTH - 1), rows / (HEIGHT - 1), (rows + columns) / (HEIGHT + WIDTH - 2))
    return np.rint(np.stack(channels, axis=2) * 255).astype(np.uint8)


def disc_mask() -> np.ndarray:
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    return (rows - 24) ** 2 + (columns - 40) ** 2 < 12**2


def photo_and_reconstruction(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 photo, float32 linear reconstruction) of each synthetic test scene."""
    if kind == "black":
        return np.zeros((HEIGHT, WIDTH, 3), np.uint8), np.zeros((HEIGHT, WIDTH, 3), np.float32)
    if kind == "white":
        return np.full((HEIGHT, WIDTH, 3), 255, np.uint8), np.ones((HEIGHT, WIDTH, 3), np.float32)
    photo = gradient_photo()
    linear = (photo.astype(np.float32) / 255) ** 2.24  # the network's domain for the photo
    if kind == "gradient":  # brighter towards the right: up to 2 stops of boost
        linear *= 2 ** (2 * np.linspace(0, 1, WIDTH, dtype=np.float32))[None, :, None]
    elif kind == "disc":  # a clipped disc reconstructed at 8× white
        photo[disc_mask()] = 255
        linear[disc_mask()] = 8.0
    return photo, linear


def write(tmp_path, photo, linear, **options):
    return write_hdr(tmp_path / "a.jpg", linear, "uhdr", sdr=photo, **options).read_bytes()


def decode_sdr(content: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(content)) as image:
        return np.asarray(image.convert("RGB")).astype(np.float64)


def decode_hdr(content: bytes) -> np.ndarray:
    return imagecodecs.ultrahdr_decode(content)[..., :3].astype(np.float32)


@pytest.mark.parametrize("kind", ["gradient", "disc", "black", "white"])
def test_the_photo_is_the_sdr_image_and_the_gain_map_restores_the_reconstruction(tmp_path, kind):
    photo, linear = photo_and_reconstruction(kind)
    content = write(tmp_path, photo, linear)
    assert imagecodecs.ultrahdr_check(content)
    difference = decode_sdr(content) - photo
    assert np.abs(difference).mean() <= SDR_MEAN_ERROR / 2  # smooth content: well under the bound
    assert abs(difference.mean()) <= SDR_MEAN_SHIFT / 2
    hdr = decode_hdr(content)
    np.testing.assert_array_equal(read_hdr(tmp_path / "a.jpg"), hdr)
    bright = linear > BRIGHT
    if bright.any():
        relative = np.abs(hdr[bright] / linear[bright] - 1)
        assert np.median(relative) < HDR_MEDIAN_ERROR / 5
        assert np.percentile(relative, 95) < HDR_TAIL_ERROR  # JPEG ringing at the disc's edge
    assert np.abs(hdr - linear)[~bright].max(initial=0) < 0.01


def test_a_clipped_disc_reaches_eight_times_white_and_its_surroundings_keep_their_level(tmp_path):
    photo, linear = photo_and_reconstruction("disc")
    hdr = decode_hdr(write(tmp_path, photo, linear))
    inside = disc_mask()
    np.testing.assert_allclose(np.median(hdr[inside], axis=0), 8.0, rtol=0.02)
    assert hdr[inside].min() > 7.0  # the disc's edge blurs only within the gain map's JPEG
    corner = (slice(0, 8), slice(0, 8))
    np.testing.assert_allclose(hdr[corner], linear[corner], atol=0.01)


def test_the_base_jpeg_error_does_not_reach_the_hdr_rendition(tmp_path):
    photo = np.random.default_rng(3).integers(40, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    linear = 1.5 * (photo.astype(np.float32) / 255) ** 2.24
    content = write(tmp_path, photo, linear)
    assert np.abs(decode_sdr(content) - photo).mean() > 2  # noise: the base JPEG is far off
    relative = np.abs(decode_hdr(content) / linear - 1)
    assert np.median(relative) < 0.02  # 0.04 if the gain were computed against the photo


def test_gain_map_range_is_chosen_per_image(tmp_path):
    photo, linear = photo_and_reconstruction("disc")
    codes, parameters = compute_gain_map(photo, linear)
    offset = GAIN_MAP_OFFSET
    assert parameters.max_stops == pytest.approx(np.log2((8 + offset) / (1 + offset)), abs=1e-5)
    assert parameters.headroom_stops == parameters.max_stops
    assert codes[disc_mask()].min() == 255 and codes.dtype == np.uint8
    content = write(tmp_path, photo, linear)
    gain_map_xmp = content[content.rindex(b"<x:xmpmeta") :]
    written = dict(re.findall(rb'hdrgm:(\w+)="([-0-9.]+)"', gain_map_xmp))
    # against the decoded base, whose ringing darkens the disc's rim a little: a bit above 2.98
    assert parameters.max_stops <= float(written[b"GainMapMax"]) < parameters.max_stops + 0.25
    assert written[b"HDRCapacityMax"] == written[b"GainMapMax"]
    assert (written[b"Gamma"], written[b"OffsetSDR"]) == (b"1.000000", b"0.015625")
    _, constant = compute_gain_map(*photo_and_reconstruction("white"))
    assert constant.max_stops - constant.min_stops > 0  # still a codable range
    assert constant.headroom_stops == MIN_HEADROOM_STOPS


def test_the_file_opens_in_pillow_as_an_upright_srgb_jpeg_of_the_photo_size(tmp_path):
    photo, linear = photo_and_reconstruction("gradient")
    content = write(tmp_path, photo, linear)
    with Image.open(io.BytesIO(content)) as image:
        assert (image.format, image.size, image.mode) == ("JPEG", (WIDTH, HEIGHT), "RGB")
        assert image.getexif()[ExifTags.Base.Orientation] == 1
        profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        assert ImageCms.getProfileDescription(profile).strip() == "sRGB built-in"
        mp_entries = image._getmp()[0xB002]
        mp_start = image.info["mpoffset"]
    primary, gain_map = (entry["Size"] for entry in mp_entries)
    assert primary + gain_map == len(content)
    assert mp_start + mp_entries[1]["DataOffset"] == primary
    assert content[primary : primary + 2] == b"\xff\xd8"  # the gain map's own JPEG starts there
    assert f'Item:Length="{gain_map}"'.encode() in content[:primary]
    with Image.open(io.BytesIO(content[primary:])) as second:
        assert second.size == (WIDTH, HEIGHT) and b"hdrgm:GainMapMax" in second.info["xmp"]


def srgb_profile(creator: bytes = b"lcms") -> bytes:
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[80:84] = creator  # the header's profile-creator field: marks our copy
    return bytes(profile)


@pytest.mark.parametrize(
    ("given", "carried"),
    [
        (srgb_profile(b"TEST"), True),
        (ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(), False),
        (b"not a profile", False),
    ],
)
def test_an_rgb_icc_profile_carries_over_and_others_declare_srgb(tmp_path, given, carried):
    photo, linear = photo_and_reconstruction("gradient")
    content = write(tmp_path, photo, linear, icc_profile=given)
    with Image.open(io.BytesIO(content)) as image:
        written = image.info["icc_profile"]
    assert (written == given) is carried
    assert ImageCms.ImageCmsProfile(io.BytesIO(written)).profile.xcolor_space == "RGB "


def test_grey_and_float_photos_are_taken_as_8_bit_rgb(tmp_path):
    photo, linear = photo_and_reconstruction("gradient")
    grey = photo[..., 1]
    from_grey = write(tmp_path, grey, linear, overwrite=True)
    from_rgb = write(tmp_path, np.repeat(grey[..., None], 3, axis=2), linear, overwrite=True)
    assert from_grey == from_rgb
    nudge = np.where(photo < 255, 100, -100)  # ±0.39 of an 8-bit code: rounds back to photo
    sixteen_bit = (photo.astype(np.float32) * 257 + nudge) / 65535
    assert write(tmp_path, sixteen_bit, linear, overwrite=True) == write(
        tmp_path, photo, linear, overwrite=True
    )


@pytest.mark.parametrize(
    ("sdr", "error", "quoted"),
    [
        (np.zeros((HEIGHT, WIDTH, 3), np.uint16), TypeError, "uint16"),
        ([[0]], TypeError, "list"),
        (np.zeros((HEIGHT, WIDTH - 1, 3), np.uint8), ValueError, r"\(48, 79, 3\)"),
        (np.full((HEIGHT, WIDTH, 3), 1.5, np.float32), ValueError, r"1\.5"),
    ],
)
def test_a_bad_sdr_image_is_refused_quoting_it(tmp_path, sdr, error, quoted):
    _, linear = photo_and_reconstruction("gradient")
    with pytest.raises(error, match=quoted):
        write_hdr(tmp_path / "a.jpg", linear, "uhdr", sdr=sdr)
    assert not (tmp_path / "a.jpg").exists()


def test_srgb_to_linear_matches_the_standard_curve():
    codes = np.array([0, 10, 128, 255], np.uint8)
    expected = [0.0, 10 / 255 / 12.92, ((128 / 255 + 0.055) / 1.055) ** 2.4, 1.0]
    np.testing.assert_allclose(srgb_to_linear(codes), expected, rtol=1e-6)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_read_icc_profile_returns_the_embedded_profile_or_none(tmp_path, suffix):
    pixels = gradient_photo()
    Image.fromarray(pixels).save(tmp_path / f"with{suffix}", icc_profile=srgb_profile(b"TEST"))
    Image.fromarray(pixels).save(tmp_path / f"without{suffix}")
    assert read_icc_profile(tmp_path / f"with{suffix}") == srgb_profile(b"TEST")
    assert read_icc_profile(tmp_path / f"without{suffix}") is None
