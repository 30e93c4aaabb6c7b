"""Pairs from HDR collections: files, samples, cache, bad files, make-dataset, loader."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import ldr2hdr.data.synthetic as synthetic
from ldr2hdr.cli import main
from ldr2hdr.data import (
    CameraParams,
    NtireDataset,
    SyntheticHdrDataset,
    find_hdr_files,
    make_loader,
    quantise8,
)
from ldr2hdr.errors import ImageReadError

CLEAN_GAMMA = CameraParams(
    clip_range=(0.05, 0.15),
    curves=("gamma",),
    shot_noise=(0, 0),
    read_noise=(0, 0),
    jpeg_probability=0,
)
VIEW = (16, 12)


def _smooth(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth linear HDR image spanning about 10 stops, with a small bright spot."""
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = np.random.default_rng(seed).uniform(0, 6, size=3)
    channels = [np.sin(columns / 7 + p) + np.cos(rows / 5 - p) for p in phase]
    image = np.exp(1.7 * np.stack(channels, axis=2)).astype(np.float32)
    image[height // 3, width // 4] *= 500.0
    return image


def write_pfm(path: Path, image: np.ndarray) -> None:
    """PFM by hand: header, little-endian float32 rows from the bottom up."""
    height, width, _ = image.shape
    header = f"PF\n{width} {height}\n-1.0\n".encode()
    path.write_bytes(header + np.ascontiguousarray(image[::-1], dtype="<f4").tobytes())


@pytest.fixture
def hdr_dir(tmp_path: Path) -> Path:
    """A folder with a 2:1 panorama (Radiance .hdr, via OpenCV) and a photo (.pfm), plus noise."""
    root = tmp_path / "hdr"
    (root / "nested").mkdir(parents=True)
    cv2.imwrite(str(root / "pano.hdr"), _smooth(32, 64, 0)[..., ::-1])
    write_pfm(root / "nested" / "photo.pfm", _smooth(30, 40, 1))
    (root / "notes.txt").write_text("not an image")
    return root


def _array(tensor) -> np.ndarray:
    return tensor.numpy().transpose(1, 2, 0)


def test_find_hdr_files(hdr_dir: Path, tmp_path: Path) -> None:
    assert find_hdr_files(hdr_dir) == [hdr_dir / "nested" / "photo.pfm", hdr_dir / "pano.hdr"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(synthetic.DatasetError, match="no HDR image"):
        find_hdr_files(tmp_path / "empty")


def test_samples_shapes_ranges_reference_and_clipping(hdr_dir: Path) -> None:
    dataset = SyntheticHdrDataset(hdr_dir, length=12, size=VIEW, seed=0, params=CLEAN_GAMMA)
    for index in range(len(dataset)):
        ldr, ref8, hdr = (_array(t) for t in dataset[index])
        assert ldr.shape == ref8.shape == hdr.shape == (12, 16, 3)
        assert ldr.min() >= 0 and ldr.max() <= 1 and hdr.min() >= 0
        assert np.array_equal(ref8, quantise8(hdr))
        assert np.array_equal(np.round(ldr * 255) / 255, ldr)  # 8-bit levels
        assert np.array_equal(ldr, ref8)  # gamma curve, no noise, no JPEG
        clipped = np.mean(hdr.max(axis=2) >= 1)
        assert 0.05 <= clipped <= 0.15 + 1 / 192


def test_noisy_samples_match_the_reference_where_unclipped(hdr_dir: Path) -> None:
    params = CameraParams(shot_noise=(1e-3, 1e-3), read_noise=(1e-3, 1e-3), jpeg_probability=0)
    dataset = SyntheticHdrDataset(hdr_dir, length=8, size=(32, 32), seed=1, params=params)
    residuals = []
    for sample in dataset:
        ldr, _, hdr = (_array(t) for t in sample)
        mid = (hdr > 0.2) & (hdr < 0.8)
        residuals.append(np.abs(ldr - hdr)[mid])
    # Curves differ from gamma by at most ~0.1 mid-range; the noise adds ~0.01.
    assert np.mean(np.concatenate(residuals)) < 0.1


def test_same_seed_same_samples(hdr_dir: Path) -> None:
    options = {"length": 6, "size": VIEW, "flip": True}
    first = SyntheticHdrDataset(hdr_dir, seed=4, **options)
    again = SyntheticHdrDataset(hdr_dir, seed=4, **options)
    other = SyntheticHdrDataset(hdr_dir, seed=5, **options)
    for index in range(6):
        assert all(np.array_equal(a, b) for a, b in zip(first[index], again[index], strict=True))
    assert not np.array_equal(first[0].ldr, other[0].ldr)
    before = first[0].hdr
    first.set_epoch(1)
    assert not np.array_equal(first[0].hdr, before)


def test_decoded_images_are_cached(hdr_dir: Path, monkeypatch) -> None:
    calls: list[Path] = []
    real_read = synthetic.read_hdr
    monkeypatch.setattr(synthetic, "read_hdr", lambda path: calls.append(path) or real_read(path))
    dataset = SyntheticHdrDataset(hdr_dir, length=20, size=VIEW)
    for index in range(20):
        dataset[index]
    assert sorted(calls) == sorted(dataset.files)
    assert dataset.cache.nbytes == (32 * 64 + 30 * 40) * 3 * 4


def test_bad_files_raise_or_are_skipped(hdr_dir: Path) -> None:
    (hdr_dir / "broken.exr").write_bytes(b"v/1\x01 this is not an EXR file")
    strict = SyntheticHdrDataset(hdr_dir, length=10, size=VIEW)
    with pytest.raises(ImageReadError, match=r"broken\.exr"):
        for index in range(10):
            strict[index]
    lenient = SyntheticHdrDataset(hdr_dir, length=10, size=VIEW, skip_bad=True)
    with pytest.warns(UserWarning, match=r"broken\.exr"):
        samples = [lenient[index] for index in range(10)]
    assert list(lenient.bad_files) == [hdr_dir / "broken.exr"]
    again = SyntheticHdrDataset(hdr_dir, length=10, size=VIEW, skip_bad=True)
    with pytest.warns(UserWarning):
        assert all(np.array_equal(s.ldr, again[i].ldr) for i, s in enumerate(samples))


def _tree(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(root.iterdir())}


def test_make_dataset_is_byte_identical_and_reads_back(hdr_dir: Path, tmp_path: Path) -> None:
    argv = ["make-dataset", str(hdr_dir), "--count", "3", "--size", "16x12"]
    assert main([*argv[:2], str(tmp_path / "a"), *argv[2:], "--seed", "7"]) == 0
    assert main([*argv[:2], str(tmp_path / "b"), *argv[2:], "--seed", "7"]) == 0
    assert main([*argv[:2], str(tmp_path / "c"), *argv[2:], "--seed", "8"]) == 0
    written = _tree(tmp_path / "a")
    parts = ("alignratio.npy", "exposures.npy", "gt.png", "long.png", "medium.png", "short.png")
    assert sorted(written) == [f"{i:04d}_{part}" for i in range(3) for part in parts]
    assert written == _tree(tmp_path / "b")
    assert written != _tree(tmp_path / "c")
    back = NtireDataset(tmp_path / "a", exposure="short")
    medium = NtireDataset(tmp_path / "a")
    source = SyntheticHdrDataset(hdr_dir, length=3, size=(16, 12), seed=7)
    for index in range(3):
        expected = source[index]
        assert np.array_equal(medium[index].ldr, expected.ldr)
        quantum = float(expected.hdr.max()) / 65535
        np.testing.assert_allclose(medium[index].hdr, expected.hdr, atol=quantum, rtol=1e-5)
        short = back[index]
        np.testing.assert_allclose(
            short.hdr, medium[index].hdr * 2 ** (-2 / 2.24), atol=quantum, rtol=1e-5
        )
        assert short.ldr.mean() < medium[index].ldr.mean()


def test_make_dataset_reports_bad_files_and_refuses_to_overwrite(
    hdr_dir: Path, tmp_path: Path, capsys
) -> None:
    (hdr_dir / "broken.hdr").write_bytes(b"#?RADIANCE\ngarbage")
    out = tmp_path / "out"
    argv = ["make-dataset", str(hdr_dir), str(out), "--count", "6", "--size", "8x8", "--seed", "2"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "broken.hdr" in captured.err
    assert "wrote 6 frames" in captured.out
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "already exists" in error


def test_loader_with_workers_gives_the_same_batches(hdr_dir: Path) -> None:
    dataset = SyntheticHdrDataset(hdr_dir, length=6, size=VIEW, seed=3)
    dataset.preload()
    assert len(dataset.cache) == 2
    single = list(make_loader(dataset, batch_size=3, workers=0, seed=1))
    double = list(make_loader(dataset, batch_size=3, workers=2, seed=1))
    assert len(double) == 2 and double[0].ldr.shape == (3, 3, 12, 16)
    for first, second in zip(single, double, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_make_dataset_scene_list_and_curves(hdr_dir: Path, tmp_path: Path, capsys) -> None:
    scenes = tmp_path / "scenes.txt"
    scenes.write_text("# only the photo\nnested/photo.pfm\n")
    common = ["--count", "2", "--size", "8x8", "--seed", "1", "--jpeg-probability", "0"]
    out = tmp_path / "listed"
    argv = ["make-dataset", str(hdr_dir), str(out), *common, "--scenes", str(scenes)]
    assert main([*argv, "--curves", "gamma"]) == 0
    only_photo = SyntheticHdrDataset(
        [hdr_dir / "nested" / "photo.pfm"],
        length=2,
        size=(8, 8),
        seed=1,
        params=CameraParams(curves=("gamma",), jpeg_probability=0),
    )
    assert np.array_equal(NtireDataset(out)[1].ldr, only_photo[1].ldr)
    scenes.write_text("absent.hdr\n")
    assert main([*argv[:2], str(tmp_path / "x"), *argv[3:]]) == 2
    assert "absent.hdr" in capsys.readouterr().err
    assert main([*argv[:2], str(tmp_path / "y"), *common, "--curves", "gamma,bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
