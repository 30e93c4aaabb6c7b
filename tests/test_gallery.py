"""``ldr2hdr gallery``: sizes, luminance maps, the four images per photo, the page, the CLI."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np
import pytest
from _gallery_helpers import fake_reconstruct
from matplotlib import colormaps
from PIL import Image

from ldr2hdr.cli import main
from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.gallery import (
    LOG2_MAX,
    LOG2_MIN,
    build_gallery,
    false_colour,
    find_photos,
    fit_size,
    log2_luminance,
    make_entry,
    parse_box,
    read_manifest,
    relative_luminance,
)
from ldr2hdr.inference import Reconstructor
from ldr2hdr.io import read_hdr, tonemap

JPEG_MAX_ERROR = 8  # 8-bit codes, JPEG quality 95 without chroma subsampling, smooth images
JPEG_MEAN_ERROR = 1.0


def gradient_photo(path: Path, width: int, height: int) -> Path:
    """A smooth colour gradient (JPEG-friendly), saved losslessly as PNG."""
    x = np.linspace(0, 1, width)[None, :]
    y = np.linspace(0, 1, height)[:, None]
    rgb = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1)
    Image.fromarray(np.rint(rgb * 255).astype(np.uint8)).save(path)
    return path


def decode(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(np.int16)


@pytest.fixture(scope="module")
def weights(random_twostage):
    return random_twostage(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2048x1080", (2048, 1080)), ("768X512", (768, 512)), (" none ", None), ("5×3", (5, 3))],
)
def test_parse_box(text, expected) -> None:
    assert parse_box(text) == expected


@pytest.mark.parametrize("text", ["0x10", "10x", "big", "-5x5", "10x10x10"])
def test_parse_box_rejects_and_quotes(text) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("[", r"\[")):
        parse_box(text)


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((4000, 3000), (2048, 1080), (1440, 1080)),  # height limits: 3000 → 1080
        ((3000, 4000), (2048, 1080), (1080, 1440)),  # portrait: the box turns to 1080×2048
        ((4096, 1000), (2048, 1080), (2048, 500)),  # width limits
        ((100, 50), (2048, 1080), (100, 50)),  # never enlarged
        ((768, 512), (768, 512), (768, 512)),
        ((512, 768), (768, 512), (512, 768)),
        ((333, 222), None, (333, 222)),
    ],
)
def test_fit_size(size, box, expected) -> None:
    assert fit_size(*size, box) == expected


def test_relative_luminance_known_values() -> None:
    image = np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [2, 2, 2]]], dtype=np.float32)
    np.testing.assert_allclose(relative_luminance(image)[0], [0.2126, 0.7152, 0.0722, 2.0])
    np.testing.assert_allclose(log2_luminance(image)[0, 3], 1.0)


def test_false_colour_known_values() -> None:
    stops = np.array([LOG2_MIN - 3, LOG2_MIN, -2.0, 0.0, 1.0, LOG2_MAX, LOG2_MAX + 5])
    grey = np.repeat((2.0**stops)[None, :, None], 3, axis=2).astype(np.float32)
    colours = false_colour(grey)[0]
    fractions = (np.clip(stops, LOG2_MIN, LOG2_MAX) - LOG2_MIN) / (LOG2_MAX - LOG2_MIN)
    assert fractions[3] == pytest.approx(8 / 12)  # 0 stops sits 8/12 of the way along the bar
    expected = np.rint(colormaps["turbo"](fractions)[:, :3] * 255)
    np.testing.assert_array_equal(colours, expected)
    np.testing.assert_array_equal(colours[0], colours[1])  # clipped below the range
    np.testing.assert_array_equal(colours[-1], colours[-2])  # clipped above it
    black = false_colour(np.zeros((1, 1, 3), np.float32))[0, 0]
    np.testing.assert_array_equal(black, colours[0])


def test_make_entry_writes_the_four_images(tmp_path) -> None:
    photo = gradient_photo(tmp_path / "scene.png", 64, 48)
    entry = make_entry(photo, tmp_path / "out", fake_reconstruct, box=(32, 32))
    assert (entry.name, entry.source, entry.width, entry.height) == ("scene", "scene.png", 32, 24)
    original = np.asarray(Image.open(photo)).astype(np.float32) / 255
    resized = np.rint(cv2.resize(original, (32, 24), interpolation=cv2.INTER_AREA) * 255)
    pixels = resized.astype(np.uint8)
    linear = fake_reconstruct(pixels)
    out = tmp_path / "out"
    preview = np.rint(tonemap(linear) * 255)
    outputs = ((entry.input, resized), (entry.preview, preview), (entry.uhdr, resized))
    for path, expected in outputs:  # the Ultra HDR file's SDR image is the input itself
        error = np.abs(decode(out / path) - expected)
        assert error.max() <= JPEG_MAX_ERROR and error.mean() <= JPEG_MEAN_ERROR
    np.testing.assert_array_equal(decode(out / entry.luminance), false_colour(linear))
    hdr = read_hdr(out / entry.uhdr)
    assert hdr.shape == (24, 32, 3)
    bright = linear > 0.1
    assert np.median(np.abs(hdr[bright] / linear[bright] - 1)) < 0.02  # gain-map codec precision
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    assert entry.peak == pytest.approx(float(luminance.max()), rel=1e-6)
    assert entry.above_white == pytest.approx(float(np.mean(luminance > 1)))
    assert 0 < entry.above_white < 1


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.links += [value for name, value in attrs if name in ("src", "href") and value]


def test_gallery_cli_end_to_end(tmp_path, weights, capsys) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    gradient_photo(photos / "wide.png", 60, 40)
    gradient_photo(photos / "tall.jpg", 30, 45)
    (photos / "notes.txt").write_text("not a photo")
    out = tmp_path / "gallery"
    args = ["gallery", photos, out, "--resize", "32x24", "--weights", weights, "--device", "cpu"]
    assert main(list(map(str, args))) == 0
    gallery = read_manifest(out)
    sizes = {entry.name: (entry.width, entry.height) for entry in gallery.entries}
    assert sizes == {"tall": (21, 32), "wide": (32, 21)}  # the box turns for portraits
    assert gallery.box == (32, 24) and gallery.weights == "w.safetensors"
    parser = _Links()
    parser.feed((out / "index.html").read_text(encoding="utf-8"))
    images = [link for link in parser.links if not link.startswith("#")]
    assert len(images) == 1 + 2 * 5  # the legend; per photo 2 slider images, 2 figures, 1 link
    for link in images:
        assert "://" not in link and not link.startswith("/")  # relative: works from file://
        assert (out / unquote(link)).is_file()
    assert main(list(map(str, args))) == 0  # a re-run reuses every photo
    assert "2 photos (2 reused), 0 failed" in capsys.readouterr().out


def test_gallery_goes_on_after_a_bad_photo(tmp_path, capsys) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    gradient_photo(photos / "good.png", 16, 16)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    gallery = build_gallery(find_photos(photos), tmp_path / "out", fake_reconstruct, box=None)
    assert [entry.name for entry in gallery.entries] == ["good"]
    assert [source for source, _ in gallery.failures] == ["broken.jpg"]
    manifest = json.loads((tmp_path / "out" / "gallery.json").read_text())
    assert manifest["failed"][0]["source"] == "broken.jpg"
    assert "broken.jpg" in (tmp_path / "out" / "index.html").read_text()


def test_gallery_refuses_clashing_names_and_foreign_index(tmp_path, weights, capsys) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    gradient_photo(photos / "a.png", 16, 16)
    with pytest.raises(Ldr2HdrError, match="same name 'a'"):
        build_gallery([photos / "a.png", photos / "a.jpg"], tmp_path / "o", fake_reconstruct)
    foreign = tmp_path / "site"
    foreign.mkdir()
    (foreign / "index.html").write_text("someone else's page")
    assert main(["gallery", str(photos), str(foreign), "--weights", str(weights)]) == 2
    assert "is not from a gallery" in capsys.readouterr().err
    assert (foreign / "index.html").read_text() == "someone else's page"


@pytest.mark.parametrize("bad_path", ["../outside.jpg", "/etc/passwd", "images/../../x.jpg"])
def test_read_manifest_rejects_paths_leaving_the_folder(tmp_path, bad_path) -> None:
    gradient_photo(tmp_path / "p.png", 16, 16)
    build_gallery([tmp_path / "p.png"], tmp_path / "g", fake_reconstruct)
    manifest = json.loads((tmp_path / "g" / "gallery.json").read_text())
    manifest["photos"][0]["preview"] = bad_path
    (tmp_path / "g" / "gallery.json").write_text(json.dumps(manifest))
    with pytest.raises(Ldr2HdrError, match="leaves the gallery folder"):
        read_manifest(tmp_path / "g")


def test_read_manifest_says_to_build_a_gallery_first(tmp_path) -> None:
    with pytest.raises(Ldr2HdrError, match="ldr2hdr gallery"):
        read_manifest(tmp_path)


def test_gallery_on_a_kodak_photo(shared_dir, tmp_path, weights) -> None:
    kodak = shared_dir / "data" / "ldr-photos" / "kodak"
    if not (kodak / "kodim23.png").is_file():
        pytest.skip(f"{kodak / 'kodim23.png'} is absent")
    gallery = build_gallery(
        [kodak / "kodim23.png"],
        tmp_path / "g",
        Reconstructor(weights, device="cpu"),
        box=(96, 64),
    )
    (entry,) = gallery.entries
    assert (entry.width, entry.height) == (96, 64)  # 768×512 shrunk by 8
    assert decode(tmp_path / "g" / entry.input).shape == (64, 96, 3)


def test_gallery_leaves_out_files_written_by_ldr2hdr(tmp_path) -> None:
    from ldr2hdr.io import write_preview

    photos = tmp_path / "photos"
    photos.mkdir()
    gradient_photo(photos / "a.png", 16, 16)
    write_preview(photos / "renamed.jpg", np.full((16, 16, 3), 0.5, np.float32))  # marked
    assert [path.name for path in find_photos(photos)] == ["a.png"]
