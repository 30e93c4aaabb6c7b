"""``ldr2hdr convert`` end to end on generated photos, with random weights."""

from __future__ import annotations

import numpy as np
import pytest
from _convert_helpers import write_photo
from PIL import ExifTags, Image

from ldr2hdr.cli import main
from ldr2hdr.io import read_hdr, read_ldr

EXPECTED_FILES = {
    "exr": ["a.exr"],
    "hdr": ["a.hdr"],
    "tiff16": ["a_hdr.tif"],
    "png16": ["a_hdr.png"],
    "ntire": ["a_hdr.png", "a_hdr_alignratio.npy"],
    "uhdr": ["a_hdr.jpg"],
}


@pytest.fixture(scope="module")
def weights(random_twostage):
    return random_twostage(5)


def _photo(path, size=(21, 17), seed=0):
    return write_photo(path, size, seed)


def _convert(*args) -> int:
    return main(["convert", "--device", "cpu", *map(str, args)])


@pytest.mark.parametrize("fmt", sorted(EXPECTED_FILES))
def test_each_format_end_to_end(tmp_path, weights, fmt: str) -> None:
    src = _photo(tmp_path / "a.png")
    out = tmp_path / "out"
    assert _convert(src, "-o", out, "--format", fmt, "--weights", weights) == 0
    assert sorted(p.name for p in out.iterdir()) == EXPECTED_FILES[fmt]
    hdr = read_hdr(out / EXPECTED_FILES[fmt][0])
    assert hdr.shape == (17, 21, 3) and hdr.min() >= 0


def test_exr_holds_the_reconstruction(tmp_path, weights) -> None:
    from ldr2hdr.inference import reconstruct

    src = _photo(tmp_path / "p.png", seed=1)
    assert _convert(src, "--weights", weights, "--preview") == 0
    expected = reconstruct(read_ldr(src), weights=weights, device="cpu")
    np.testing.assert_allclose(read_hdr(tmp_path / "p.exr"), expected, rtol=1e-3, atol=1e-4)
    with Image.open(tmp_path / "p_preview.jpg") as preview:
        assert preview.size == (21, 17) and preview.mode == "RGB"


def test_uhdr_shows_the_upright_photo_and_its_gain_map_the_reconstruction(tmp_path, weights):
    import imagecodecs

    from ldr2hdr.inference import reconstruct

    rows, columns = np.mgrid[0:24, 0:40]
    stored = np.stack([columns * 6, rows * 10, 255 - columns * 6], axis=2).astype(np.uint8)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored turned; upright it is 24 wide, 40 high
    Image.fromarray(stored).save(tmp_path / "p.png", exif=exif)
    assert _convert(tmp_path / "p.png", "--weights", weights, "--format", "uhdr") == 0
    content = (tmp_path / "p_hdr.jpg").read_bytes()
    upright = np.rot90(stored, k=-1).astype(float)
    with Image.open(tmp_path / "p_hdr.jpg") as written:
        assert (written.format, written.size) == ("JPEG", (24, 40))
        assert written.getexif()[ExifTags.Base.Orientation] == 1
        difference = np.asarray(written.convert("RGB")) - upright
    assert np.abs(difference).mean() <= 2.5 and abs(difference.mean()) <= 1.0
    expected = reconstruct(read_ldr(tmp_path / "p.png"), weights=weights, device="cpu")
    hdr = imagecodecs.ultrahdr_decode(content)[..., :3].astype(np.float32)
    bright = expected > 0.05
    assert bright.sum() > 500  # of 2880 values: the comparison below is not vacuous
    assert np.median(np.abs(hdr[bright] / expected[bright] - 1)) < 0.05


def test_bad_file_does_not_stop_the_batch(tmp_path, weights, capsys) -> None:
    _photo(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    _photo(tmp_path / "c.jpg", seed=2)
    assert _convert(tmp_path, "--weights", weights) == 1
    assert (tmp_path / "a.exr").is_file() and (tmp_path / "c.exr").is_file()
    assert not (tmp_path / "b.exr").exists()
    err = capsys.readouterr().err
    assert "done 2," in err and "skipped 0" in err and "failed 1" in err and "b.png" in err


def test_rerun_skips_finished_outputs(tmp_path, weights, capsys) -> None:
    for i in range(2):
        _photo(tmp_path / f"{i}.png", seed=i)
    assert _convert(tmp_path / "0.png", "--weights", weights) == 0
    before = (tmp_path / "0.exr").stat().st_mtime_ns
    assert _convert(tmp_path / "*.png", "--weights", weights) == 0
    err = capsys.readouterr().err
    assert "done 1," in err and "skipped 1 " in err
    assert (tmp_path / "0.exr").stat().st_mtime_ns == before
    assert _convert(tmp_path / "*.png", "--weights", weights, "--overwrite") == 0
    err = capsys.readouterr().err
    assert "done 2," in err and "skipped 0 " in err


def test_recursive_folders_mirror_under_out_dir(tmp_path, weights) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    _photo(tmp_path / "in" / "top.png")
    _photo(tmp_path / "in" / "sub" / "deep.png")
    out = tmp_path / "out"
    assert _convert(tmp_path / "in", "-r", "-o", out, "--weights", weights, "--tile", "8") == 0
    assert (out / "top.exr").is_file() and (out / "sub" / "deep.exr").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothing-here.png"], "nothing-here.png: no such file or folder"),
        (["*.nomatch"], "no file matches"),
    ],
)
def test_user_errors_are_one_line(tmp_path, monkeypatch, capsys, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    assert _convert(*args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_missing_default_weights_is_a_clear_error(tmp_path, monkeypatch, capsys) -> None:
    from ldr2hdr.models import presets

    monkeypatch.setitem(presets.PRESET_FILES, "photo", "absent.safetensors")
    assert _convert(_photo(tmp_path / "a.png")) == 2
    assert "no packaged weights" in capsys.readouterr().err


def test_work_megapixels_selects_and_prints_the_path(tmp_path, weights, capsys) -> None:
    from ldr2hdr.inference import reconstruct

    src = _photo(tmp_path / "big.png", size=(48, 40), seed=3)
    assert _convert(src, "--weights", weights, "--work-megapixels", "0.0005") == 0
    assert "big.png: 0.0 MP: gain-map fast path, network at 24×20" in capsys.readouterr().err
    expected = reconstruct(read_ldr(src), weights=weights, device="cpu", work_megapixels=0.0005)
    np.testing.assert_allclose(read_hdr(tmp_path / "big.exr"), expected, rtol=1e-3, atol=1e-4)
    with pytest.raises(SystemExit) as exit_info:
        _convert(src, "--work-megapixels", "-1")
    assert exit_info.value.code == 2 and "'-1'" in capsys.readouterr().err
