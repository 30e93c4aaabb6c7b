"""``ldr2hdr convert`` never harms a photo library, and a rerun finishes the job (issue 14)."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest
from _convert_helpers import write_photo
from PIL import Image

from ldr2hdr.cli import main
from ldr2hdr.io import read_hdr
from ldr2hdr.io.marker import has_output_marker

GIGABYTE = 2**30


@pytest.fixture(scope="module")
def weights(random_twostage):
    return random_twostage(5)


def _photo(path, size=(16, 12), seed=0):
    return write_photo(path, size, seed)


def _convert(weights, *args) -> int:
    return main(["convert", "--device", "cpu", "--weights", str(weights), *map(str, args)])


def _names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_tiff16_of_a_tiff_never_touches_the_input(tmp_path, weights, capsys) -> None:
    photo = _photo(tmp_path / "photo.tif")
    original = photo.read_bytes()
    assert _convert(weights, photo, "--format", "tiff16") == 0
    assert _convert(weights, photo, "--format", "tiff16", "--overwrite") == 0
    assert photo.read_bytes() == original
    assert _names(tmp_path) == ["photo.tif", "photo_hdr.tif"]
    assert has_output_marker(tmp_path / "photo_hdr.tif") and not has_output_marker(photo)


def test_overwrite_never_replaces_a_photo_this_tool_did_not_write(tmp_path, weights, capsys):
    _photo(tmp_path / "a.jpg")
    users = _photo(tmp_path / "elsewhere.jpg", seed=3)
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(users, out / "a_hdr.jpg")  # the user's own photo where the output would go
    before = (out / "a_hdr.jpg").read_bytes()
    assert _convert(weights, tmp_path / "a.jpg", "-o", out, "--format", "uhdr", "--overwrite") == 1
    assert (out / "a_hdr.jpg").read_bytes() == before
    assert "not written by ldr2hdr" in capsys.readouterr().err


@pytest.mark.parametrize(("fmt", "flag"), [("exr", "--preview"), ("uhdr", "--preview")])
def test_reruns_never_convert_their_own_outputs(tmp_path, weights, fmt, flag) -> None:
    _photo(tmp_path / "a.jpg")
    for _ in range(3):
        assert _convert(weights, tmp_path, "--format", fmt, flag) == 0
    expected = {"exr": "a.exr", "uhdr": "a_hdr.jpg"}[fmt]
    assert _names(tmp_path) == sorted(["a.jpg", expected, "a_preview.jpg"])


def test_renamed_outputs_are_recognised_by_their_marker(tmp_path, weights, capsys) -> None:
    _photo(tmp_path / "a.jpg")
    assert _convert(weights, tmp_path, "--format", "uhdr", "--preview") == 0
    (tmp_path / "a_hdr.jpg").rename(tmp_path / "holiday.jpg")
    (tmp_path / "a_preview.jpg").rename(tmp_path / "beach.jpg")
    capsys.readouterr()
    assert _convert(weights, tmp_path, "--format", "uhdr", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    statuses = {entry["input"].rsplit("/", 1)[-1]: entry["status"] for entry in report["files"]}
    assert statuses == {
        "holiday.jpg": "own-output",
        "beach.jpg": "own-output",
        "a.jpg": "converted",
    }


def test_a_missing_preview_is_written_from_the_existing_exr(tmp_path, weights, capsys) -> None:
    _photo(tmp_path / "a.jpg")
    assert _convert(weights, tmp_path / "a.jpg") == 0
    exr_before = (tmp_path / "a.exr").read_bytes()
    capsys.readouterr()
    assert _convert(weights, tmp_path / "a.jpg", "--preview") == 0
    err = capsys.readouterr().err
    assert "completed: " in err and "missing preview" in err and "overwrite=True" not in err
    assert (tmp_path / "a.exr").read_bytes() == exr_before
    assert Image.open(tmp_path / "a_preview.jpg").size == (16, 12)


def test_a_lone_preview_makes_the_rerun_redo_the_photo(tmp_path, weights, capsys) -> None:
    _photo(tmp_path / "a.jpg")
    assert _convert(weights, tmp_path / "a.jpg", "--preview") == 0
    (tmp_path / "a.exr").unlink()
    assert _convert(weights, tmp_path / "a.jpg", "--preview") == 0
    assert "converted again" in capsys.readouterr().err
    assert read_hdr(tmp_path / "a.exr").shape == (12, 16, 3)


def test_a_name_clash_fails_those_files_only(tmp_path, weights, capsys) -> None:
    _photo(tmp_path / "a.jpg")
    _photo(tmp_path / "a.png", seed=1)
    _photo(tmp_path / "b.jpg", seed=2)
    assert _convert(weights, tmp_path) == 1
    assert _names(tmp_path) == ["a.jpg", "a.png", "b.exr", "b.jpg"]
    err = capsys.readouterr().err
    assert "would both write" in err and "done 1," in err and "failed 2" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_or_folder_named_like_a_photo_fails_alone(tmp_path, weights, capsys) -> None:
    os.mkfifo(tmp_path / "x.jpg")
    (tmp_path / "d.jpg").mkdir()
    _photo(tmp_path / "b.jpg")
    assert _convert(weights, tmp_path) == 1  # returns: the FIFO is never opened
    err = capsys.readouterr().err
    assert "x.jpg: is a FIFO" in err and "d.jpg: is a folder" in err and "done 1," in err


@pytest.mark.skipif(not stat.S_ISCHR(os.stat("/dev/zero").st_mode), reason="no /dev/zero")
def test_an_endless_device_is_refused_without_reading(tmp_path, weights, capsys) -> None:
    assert _convert(weights, "/dev/zero") == 1
    assert "/dev/zero: is a character device" in capsys.readouterr().err


def test_a_huge_file_is_refused_from_its_header(tmp_path, weights, capsys) -> None:
    big = _photo(tmp_path / "big.jpg")
    with open(big, "r+b") as handle:  # sparse: a 1 GB file that takes no disk space
        handle.truncate(GIGABYTE)
    junk = tmp_path / "junk.jpg"
    with open(junk, "wb") as handle:
        handle.truncate(GIGABYTE)
    assert _convert(weights, big, junk) == 1
    err = capsys.readouterr().err
    assert "far more than a 16×12 photo takes" in err and "junk.jpg: not an image" in err


def test_names_are_escaped_and_the_summary_cannot_be_forged(tmp_path, weights, capsys) -> None:
    forged = tmp_path / "x\ndone 99, failed 0\n.jpg"
    forged.write_bytes(b"not a photo")
    assert _convert(weights, tmp_path, "--json") == 1
    captured = capsys.readouterr()
    assert "x\\ndone 99, failed 0\\n.jpg" in captured.err
    assert not any(line.startswith("done 99") for line in captured.err.splitlines())
    report = json.loads(captured.out)
    assert report["summary"]["failed"] == 1 and report["files"][0]["input"] == str(forged)


@pytest.mark.parametrize("value", ["1e308", "nan", "inf", "-65"])
def test_a_bad_exposure_is_refused_before_any_work(tmp_path, weights, capsys, value) -> None:
    _photo(tmp_path / "a.jpg")
    with pytest.raises(SystemExit) as info:
        _convert(weights, tmp_path, "--preview", f"--exposure={value}")
    assert info.value.code == 2
    assert "--exposure" in capsys.readouterr().err and _names(tmp_path) == ["a.jpg"]


def test_the_pixel_limit_error_names_the_cli_flag(tmp_path, weights, capsys) -> None:
    _photo(tmp_path / "a.jpg")
    assert _convert(weights, tmp_path / "a.jpg", "--max-pixels", "100") == 1
    err = capsys.readouterr().err
    assert "--max-pixels" in err and "max_pixels=" not in err and "PIL" not in err
