"""Tests of ldr2hdr.io.read_ldr: formats, bit depths, colour modes, orientation, bad files."""

from __future__ import annotations

import re
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from ldr2hdr.io import LDR_FORMATS, ImageReadError, apply_orientation, read_ldr

ORIENTATION_TAG = 0x0112
# How to store an upright image so that EXIF orientation k turns it upright again: Pillow's
# inverse of the operation the EXIF standard names for k.
STORE_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_rgb8(height: int = 5, width: int = 7) -> np.ndarray:
    """A small RGB image whose every pixel differs, so any flip or turn shows."""
    values = np.arange(height * width * 3, dtype=np.int64).reshape(height, width, 3)
    return (values * 7 % 256).astype(np.uint8)


def assert_codes(image: np.ndarray, codes: np.ndarray, peak: int) -> None:
    """``image`` is float32 and equals ``codes / peak`` to float32 precision."""
    assert image.dtype == np.float32
    np.testing.assert_allclose(image, codes.astype(np.float64) / peak, rtol=1e-7, atol=0)


def exif_with_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif


def test_png_8_bit_values_are_code_over_255(tmp_path):
    pixels = upright_rgb8()
    Image.fromarray(pixels).save(tmp_path / "a.png")
    image = read_ldr(tmp_path / "a.png")
    assert image.dtype == np.float32
    assert image.shape == (5, 7, 3)
    assert_codes(image, pixels, 255)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def save_stored(path, stored: np.ndarray, orientation: int) -> None:
    """Save ``stored`` pixels with an EXIF orientation tag, in the format ``path`` names."""
    exif = exif_with_orientation(orientation)
    if path.name.endswith("16.png"):  # Pillow cannot write 16-bit colour: add eXIf by hand
        png = cv2.imencode(".png", stored[..., ::-1])[1].tobytes()
        ihdr_end = 33
        chunk = png_chunk(b"eXIf", exif.tobytes().removeprefix(b"Exif\x00\x00"))
        path.write_bytes(png[:ihdr_end] + chunk + png[ihdr_end:])
    elif stored.dtype == np.uint16:
        Image.fromarray(stored[..., 0]).save(path, exif=exif)  # 16-bit gray, mode I;16
    else:
        Image.fromarray(stored).save(path, exif=exif)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("name", ["a.png", "a16.png", "a.tif", "g16.tif"])
def test_exif_orientation_turns_the_image_upright(tmp_path, orientation, name):
    upright = upright_rgb8()
    if "16" in name:
        upright = upright.astype(np.uint16) * 257
    if name.startswith("g"):
        upright = np.repeat(upright[..., :1], 3, axis=2)
    transpose = STORE_FOR_ORIENTATION[orientation]
    stored = np.stack(
        [
            np.asarray(Image.fromarray(upright[..., c]).transpose(transpose))
            if transpose is not None
            else upright[..., c]
            for c in range(3)
        ],
        axis=-1,
    )
    path = tmp_path / name
    save_stored(path, stored, orientation)
    if name == "a.png":  # Pillow's own exif_transpose agrees with how the test stored it
        with Image.open(path) as check:
            np.testing.assert_array_equal(np.asarray(ImageOps.exif_transpose(check)), upright)
    assert_codes(read_ldr(path), upright, 65535 if "16" in name else 255)


def test_apply_orientation_ignores_invalid_values():
    image = upright_rgb8()
    np.testing.assert_array_equal(apply_orientation(image, 0), image)
    np.testing.assert_array_equal(apply_orientation(image, 9), image)


def test_rotated_jpeg_from_a_phone(tmp_path):
    # A smooth 16x24 gradient stored turned by 90°, tagged orientation 6, as phones do.
    rows, cols = np.mgrid[0:16, 0:24]
    upright = np.stack([rows * 15, cols * 10, 255 - cols * 10], axis=-1).astype(np.uint8)
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    path = tmp_path / "phone.jpg"
    stored.save(path, quality=100, subsampling=0, exif=exif_with_orientation(6))
    image = read_ldr(path)
    assert image.shape == (16, 24, 3)
    np.testing.assert_allclose(image, upright / 255, atol=3 / 255)


def test_16_bit_rgb_png_keeps_16_bits_and_channel_order(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 65536, size=(6, 9, 3), dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "a.png"), rgb[..., ::-1])  # OpenCV writes BGR
    image = read_ldr(tmp_path / "a.png")
    assert_codes(image, rgb, 65535)


def test_16_bit_rgb_tiff(tmp_path):
    rgb = np.array([[[0, 1, 65535], [256, 257, 40000]]], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "a.tif"), rgb[..., ::-1])
    assert_codes(read_ldr(tmp_path / "a.tif"), rgb, 65535)


def test_16_bit_rgba_png_drops_alpha(tmp_path):
    rgba = np.array([[[1000, 2000, 3000, 0], [65535, 0, 7, 65535]]], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "a.png"), rgba[..., [2, 1, 0, 3]])
    np.testing.assert_array_equal(
        read_ldr(tmp_path / "a.png"), rgba[..., :3].astype(np.float32) / 65535
    )


def test_16_bit_gray_png_is_replicated(tmp_path):
    gray = np.array([[0, 300, 65535], [12345, 1, 2]], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    image = read_ldr(tmp_path / "g.png")
    assert_codes(image, np.repeat(gray[..., None], 3, axis=2), 65535)


def test_grayscale_8_bit(tmp_path):
    gray = np.array([[0, 128, 255]], dtype=np.uint8)
    Image.fromarray(gray, mode="L").save(tmp_path / "g.png")
    assert_codes(read_ldr(tmp_path / "g.png"), np.repeat(gray[..., None], 3, axis=2), 255)


def test_rgba_drops_alpha_without_compositing(tmp_path):
    rgba = np.array([[[10, 20, 30, 0], [200, 100, 50, 128]]], dtype=np.uint8)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    assert_codes(read_ldr(tmp_path / "a.png"), rgba[..., :3], 255)


@pytest.mark.parametrize("transparency", [None, 1])
def test_palette_is_expanded(tmp_path, transparency):
    palette = [255, 0, 0, 0, 255, 0, 10, 20, 30] + [0] * (256 * 3 - 9)
    indices = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette(palette)
    options = {} if transparency is None else {"transparency": transparency}
    image.save(tmp_path / "p.png", **options)
    colours = np.array(palette[:9]).reshape(3, 3)
    assert_codes(read_ldr(tmp_path / "p.png"), colours[indices], 255)


def test_cmyk_tiff_is_converted_to_rgb(tmp_path):
    # Pillow's CMYK → RGB: each channel (255 - ink) * (255 - black) / 255.
    cmyk = np.array(
        [[[0, 0, 0, 0], [255, 0, 0, 0], [0, 0, 0, 255], [100, 0, 200, 50]]], dtype=np.uint8
    )
    Image.fromarray(cmyk, mode="CMYK").save(tmp_path / "c.tif")
    expected = (255 - cmyk[..., :3].astype(np.float64)) * (255 - cmyk[..., 3:]) / 255 / 255
    np.testing.assert_allclose(read_ldr(tmp_path / "c.tif"), expected, atol=1 / 255)


def test_cmyk_jpeg_opens_as_rgb(tmp_path):
    cmyk = np.full((8, 8, 4), (0, 255, 255, 0), dtype=np.uint8)  # pure red ink
    Image.fromarray(cmyk, mode="CMYK").save(tmp_path / "c.jpg", quality=100)
    image = read_ldr(tmp_path / "c.jpg")
    np.testing.assert_allclose(image, np.broadcast_to([1.0, 0.0, 0.0], image.shape), atol=4 / 255)


@pytest.mark.parametrize(("name", "options"), [("a.bmp", {}), ("a.webp", {"lossless": True})])
def test_bmp_and_lossless_webp_are_exact(tmp_path, name, options):
    pixels = upright_rgb8()
    Image.fromarray(pixels).save(tmp_path / name, **options)
    assert_codes(read_ldr(tmp_path / name), pixels, 255)


def test_supported_formats_are_the_documented_ones():
    assert {"PNG", "JPEG", "TIFF", "WEBP", "BMP"} <= set(LDR_FORMATS)


def write_png(path, pixels):
    Image.fromarray(pixels).save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: None, "not found"),
        (lambda p: p.mkdir(), "folder"),
        (lambda p: p.write_bytes(b"just some text, not an image\n"), "supported"),
        (lambda p: p.write_bytes(b""), "supported"),
    ],
    ids=["missing", "folder", "text", "empty"],
)
def test_bad_paths_raise_image_read_error_naming_the_file(tmp_path, make, reason):
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(ImageReadError, match=reason) as info:
        read_ldr(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
@pytest.mark.parametrize("name", ["t.png", "t.jpg", "t16.png", "t16.tif"])
def test_truncated_files_raise_image_read_error(tmp_path, name):
    rng = np.random.default_rng(2)
    path = tmp_path / name
    if "16" in name:
        cv2.imwrite(str(path), rng.integers(0, 65536, size=(64, 64, 3), dtype=np.uint16))
    else:
        Image.fromarray(rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)).save(path)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(ImageReadError, match=r"cannot decode|truncated") as info:
        read_ldr(path)
    assert str(path) in str(info.value)


def test_hdr_file_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "x.hdr"
    path.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n\x80\x80\x80\x81")
    with pytest.raises(ImageReadError, match="not an image in a supported photo format"):
        read_ldr(path)


def test_float_tiff_is_refused(tmp_path):
    Image.fromarray(np.ones((2, 2), dtype=np.float32), mode="F").save(tmp_path / "f.tif")
    with pytest.raises(ImageReadError, match="mode 'F'"):
        read_ldr(tmp_path / "f.tif")


def test_pixel_limit_is_checked_before_decoding(tmp_path):
    Image.fromarray(upright_rgb8(10, 10)).save(tmp_path / "a.png")
    assert read_ldr(tmp_path / "a.png", max_pixels=100).shape == (10, 10, 3)
    with pytest.raises(ImageReadError, match="100 pixels is more than the limit of 99 pixels"):
        read_ldr(tmp_path / "a.png", max_pixels=99)


@pytest.mark.parametrize(
    ("claimed", "max_pixels", "reason"),
    [
        ((5000, 5000), 1_000_000, "25000000 pixels is more than the limit of 1000000"),
        ((100_000, 100_000), 10**11, "decompression-bomb"),
    ],
)
def test_a_header_claiming_a_huge_image_is_refused_before_decoding(
    tmp_path, claimed, max_pixels, reason
):
    # A 1×1 PNG whose IHDR was edited to claim a huge size (the data stays 1 pixel).
    content = bytearray(write_png(tmp_path / "a.png", upright_rgb8(1, 1)))
    content[16:24] = struct.pack(">II", *claimed)
    content[29:33] = struct.pack(">I", zlib.crc32(bytes(content[12:29])))
    (tmp_path / "bomb.png").write_bytes(bytes(content))
    with pytest.raises(ImageReadError, match=re.escape(reason)):
        read_ldr(tmp_path / "bomb.png", max_pixels=max_pixels)
