"""Writer safety: input checks, no overwrite unless asked, temporary file + rename, cleanup."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ldr2hdr.io import HDR_FORMATS, ImageWriteError, read_hdr, write_hdr, write_preview

ONE_FILE_NAMES = {
    "exr": "a.exr",
    "hdr": "a.hdr",
    "png16": "a.png",
    "tiff16": "a.tif",
    "uhdr": "a.jpg",
}


def image(value: float = 0.5) -> np.ndarray:
    return np.full((8, 8, 3), value, dtype=np.float32)


NAN_DIAGONAL = np.where(np.eye(8)[..., None] > 0, np.nan, image())


@pytest.mark.parametrize(
    ("linear", "error", "quoted"),
    [
        (np.ones((8, 8, 3), np.uint8), TypeError, "dtype uint8"),
        (np.ones((8, 8), np.float32), ValueError, r"\(8, 8\)"),
        (np.ones((8, 8, 4), np.float32), ValueError, r"\(8, 8, 4\)"),
        (np.ones((0, 8, 3), np.float32), ValueError, r"\(0, 8, 3\)"),
        (
            np.where(np.eye(8)[..., None] > 0, np.nan, image()),
            ValueError,
            r"24 non-finite.*\(0, 0, 0\)",
        ),
        (np.full((8, 8, 3), np.inf), ValueError, "non-finite"),
        (np.full((8, 8, 3), 1e39), ValueError, "non-finite"),  # overflows float32
        (np.full((8, 8, 3), -0.25), ValueError, "min -0.25"),
    ],
)
def test_invalid_arrays_are_refused_quoting_the_problem(tmp_path, linear, error, quoted):
    with pytest.raises(error, match=quoted):
        write_hdr(tmp_path / "a.exr", linear)
    with pytest.raises(error, match=quoted):
        write_preview(tmp_path / "a.png", linear)
    assert list(tmp_path.iterdir()) == []


def test_float16_and_float64_inputs_are_accepted(tmp_path):
    write_hdr(tmp_path / "a.exr", image().astype(np.float16))
    write_hdr(tmp_path / "b.exr", image().astype(np.float64))
    np.testing.assert_array_equal(read_hdr(tmp_path / "a.exr"), read_hdr(tmp_path / "b.exr"))


@pytest.mark.parametrize("format", sorted(ONE_FILE_NAMES))
def test_format_is_taken_from_the_suffix_and_from_the_argument(tmp_path, format):
    by_suffix = write_hdr(tmp_path / ONE_FILE_NAMES[format], image())
    (tmp_path / "other").mkdir()
    explicit = write_hdr(tmp_path / "other" / "x.bin", image(), format=format.upper())
    assert by_suffix.read_bytes()[:4] == explicit.read_bytes()[:4]


def test_every_documented_format_is_writable(tmp_path):
    for format in HDR_FORMATS:
        folder = tmp_path / format
        folder.mkdir()
        write_hdr(folder / "0001.png", image(), format=format)
        assert (folder / "0001.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("name", "format", "reason"),
    [
        ("a.xyz", None, r"suffix '\.xyz'"),
        ("a.exr", "webp", "unknown format 'webp'"),
        ("a.exr", 3, "unknown format 3"),
        ("a.exr", "ntire", r"writes a \.png"),
    ],
)
def test_unknown_format_or_suffix_is_refused(tmp_path, name, format, reason):
    with pytest.raises(ImageWriteError, match=reason):
        write_hdr(tmp_path / name, image(), format)
    assert list(tmp_path.iterdir()) == []


def test_bad_options_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"exr_dtype.*'double'"):
        write_hdr(tmp_path / "a.exr", image(), exr_dtype="double")
    with pytest.raises(ValueError, match=r"uhdr_quality.*101"):
        write_hdr(tmp_path / "a.jpg", image(), uhdr_quality=101)


@pytest.mark.parametrize("format", [*sorted(ONE_FILE_NAMES), "ntire"])
def test_existing_files_are_kept_unless_overwrite(tmp_path, format):
    path = tmp_path / ("0001.png" if format == "ntire" else ONE_FILE_NAMES[format])
    write_hdr(path, image(0.25), format)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ImageWriteError, match=r"already exists \(not replaced\)"):
        write_hdr(path, image(2.0), format)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    write_hdr(path, image(2.0), format, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)
    np.testing.assert_allclose(read_hdr(path), image(2.0), rtol=0.03)


def test_ntire_pair_is_refused_when_only_the_sidecar_exists(tmp_path):
    (tmp_path / "0005_alignratio.npy").write_bytes(b"old")
    with pytest.raises(ImageWriteError, match=r"0005_alignratio\.npy: already exists"):
        write_hdr(tmp_path / "0005.png", image(), "ntire")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0005_alignratio.npy"]


def test_missing_folder_and_folder_target_are_refused(tmp_path):
    with pytest.raises(ImageWriteError, match="does not exist"):
        write_hdr(tmp_path / "nowhere" / "a.exr", image())
    (tmp_path / "d.exr").mkdir()
    with pytest.raises(ImageWriteError, match="is a folder"):
        write_hdr(tmp_path / "d.exr", image(), overwrite=True)


def test_a_failed_rename_leaves_no_file_behind(tmp_path, monkeypatch):
    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ImageWriteError, match=r"a\.exr: cannot write: No space left on device"):
        write_hdr(tmp_path / "a.exr", image())
    with pytest.raises(ImageWriteError, match="No space left"):
        write_preview(tmp_path / "p.png", image())
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_staging_the_second_file_of_a_pair_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real_fsync = os.fsync

    def fsync_failing_the_second_time(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync_failing_the_second_time)
    with pytest.raises(ImageWriteError, match=r"0001\.png: cannot write: Input/output error"):
        write_hdr(tmp_path / "0001.png", image(), "ntire")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_reported(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with permission to write anywhere (root)")
        with pytest.raises(ImageWriteError, match="cannot write"):
            write_hdr(folder / "a.exr", image())
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_written_files_get_ordinary_permissions(tmp_path):
    path = write_hdr(tmp_path / "a.exr", image())
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
