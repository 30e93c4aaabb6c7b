"""The NTIRE layout: discovery, values of the samples, errors, crops, split, patches, loader."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ldr2hdr.cli import main
from ldr2hdr.data import (
    DatasetError,
    NtireDataset,
    NtireFrame,
    Sample,
    find_frames,
    make_loader,
    prepare_patches,
    split_by_scene,
)

NAMES = ("short", "medium", "long")
STOPS = (-2.0, 0.0, 2.0)


def _scene(seed: int, height: int = 12, width: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.exp(rng.normal(-1.0, 1.2, size=(height, width, 3))).astype(np.float32)


def write_frame(folder: Path, frame_id: str, linear: np.ndarray) -> np.ndarray:
    """Write an NTIRE frame by hand (OpenCV/Pillow/NumPy); return its NTIRE-domain ground truth."""
    folder.mkdir(parents=True, exist_ok=True)
    y = linear.astype(np.float64) ** (1 / 2.24)
    alignratio = np.float32(65535 / y.max())
    gt = np.round(y * alignratio).astype(np.uint16)
    cv2.imwrite(str(folder / f"{frame_id}_gt.png"), gt[..., ::-1])
    np.save(folder / f"{frame_id}_alignratio.npy", alignratio)
    for name, stop in zip(NAMES, STOPS, strict=True):
        shot = np.clip((linear * 2.0**stop) ** (1 / 2.24), 0, 1)
        Image.fromarray(np.round(shot * 255).astype(np.uint8)).save(
            folder / f"{frame_id}_{name}.png"
        )
    np.save(folder / f"{frame_id}_exposures.npy", np.array(STOPS) + 7.5)  # absolute EVs
    return gt.astype(np.float32) / alignratio


def _png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path), dtype=np.float32) / 255


def test_sample_holds_medium_gt_and_quantised_reference(tmp_path: Path) -> None:
    hdr = write_frame(tmp_path, "0007", _scene(0))
    sample = NtireDataset(tmp_path)[0]
    assert isinstance(sample, Sample)
    for tensor in sample:
        assert tensor.shape == (3, 12, 20) and tensor.dtype.is_floating_point
    ldr, ref8, got = (tensor.numpy().transpose(1, 2, 0) for tensor in sample)
    assert np.array_equal(ldr, _png(tmp_path / "0007_medium.png"))
    np.testing.assert_allclose(got, hdr, rtol=1e-6)
    assert got.max() > 1.5  # HDR: above the LDR's white
    assert np.array_equal(ref8 * 255, np.floor(np.clip(hdr, 0, 1) * 255 + 0.5))
    unclipped = ldr < 250 / 255
    assert np.abs(ldr - got)[unclipped].max() <= 0.5 / 255 + 1e-4


@pytest.mark.parametrize(("exposure", "stop"), [("short", -2.0), ("long", 2.0)])
def test_other_exposures_are_aligned_to_their_own_white(
    tmp_path: Path, exposure: str, stop: float
) -> None:
    hdr = write_frame(tmp_path, "0001", _scene(1))
    ldr, _, got = (
        t.numpy().transpose(1, 2, 0) for t in NtireDataset(tmp_path, exposure=exposure)[0]
    )
    np.testing.assert_allclose(got, hdr * 2 ** (stop / 2.24), rtol=1e-5)
    unclipped = ldr < 250 / 255
    assert unclipped.mean() > 0.3
    assert np.abs(ldr - got)[unclipped].max() <= 0.5 / 255 + 1e-4


def test_random_exposure_is_seeded(tmp_path: Path) -> None:
    for index in range(6):
        write_frame(tmp_path, f"{index:04d}", _scene(index))
    dataset = NtireDataset(tmp_path, exposure="random", seed=3)
    means = [float(dataset[i].ldr.mean()) for i in range(6)]
    assert means == [
        float(NtireDataset(tmp_path, exposure="random", seed=3)[i].ldr.mean()) for i in range(6)
    ]
    picks = set()
    for epoch in range(4):
        dataset.set_epoch(epoch)
        for index in range(6):
            sample = dataset[index]
            ratio = float(sample.hdr.max() / NtireDataset(tmp_path)[index].hdr.max())
            picks.add(round(np.log2(ratio) * 2.24))
    assert picks == {-2, 0, 2}


def test_frames_are_found_flat_or_nested(tmp_path: Path) -> None:
    write_frame(tmp_path / "a", "0002", _scene(2))
    write_frame(tmp_path / "b" / "deep", "0001", _scene(3))
    frames = find_frames(tmp_path)
    assert [f.frame_id for f in frames] == ["0001", "0002"]
    assert frames[0].folder == tmp_path / "b" / "deep"
    write_frame(tmp_path / "c", "0001", _scene(4))
    with pytest.raises(DatasetError, match=r"0001.*twice"):
        find_frames(tmp_path)


def test_empty_or_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no NTIRE frame"):
        find_frames(tmp_path)
    with pytest.raises(DatasetError, match="not a folder"):
        NtireDataset(tmp_path / "absent")


def test_broken_frames_name_the_frame_or_are_skipped(tmp_path: Path) -> None:
    write_frame(tmp_path, "0000", _scene(0))
    write_frame(tmp_path, "0001", _scene(1))
    write_frame(tmp_path, "0002", _scene(2, height=10))
    (tmp_path / "0001_alignratio.npy").unlink()
    Image.new("RGB", (20, 12)).save(tmp_path / "0002_medium.png")  # gt is 20×10
    with pytest.raises(DatasetError, match=r"frame 0001 .*missing.*0001_alignratio\.npy"):
        NtireDataset(tmp_path)
    with pytest.warns(UserWarning) as caught:
        dataset = NtireDataset(tmp_path, skip_bad=True)
    messages = " ".join(str(w.message) for w in caught)
    assert "0001" in messages and "0002_medium.png is 20×12 but 0002_gt.png is 20×10" in messages
    assert [frame.frame_id for frame in dataset.frames] == ["0000"]
    np.save(tmp_path / "0000_alignratio.npy", np.float32(-1))
    with pytest.raises(DatasetError, match="no usable frame"), pytest.warns(UserWarning):
        NtireDataset(tmp_path, skip_bad=True)


def test_random_exposure_needs_the_exposures_file(tmp_path: Path) -> None:
    write_frame(tmp_path, "0003", _scene(3))
    (tmp_path / "0003_exposures.npy").unlink()
    assert len(NtireDataset(tmp_path)) == 1  # the medium alone needs no exposures
    with pytest.raises(DatasetError, match=r"0003_exposures\.npy"):
        NtireDataset(tmp_path, exposure="random")


def test_random_crops_are_windows_and_seeded(tmp_path: Path) -> None:
    write_frame(tmp_path, "0004", _scene(4))
    full = NtireDataset(tmp_path)[0]
    dataset = NtireDataset(tmp_path, crop=8, seed=1)
    crop = dataset[0]
    assert all(tensor.shape == (3, 8, 8) for tensor in crop)
    hits = [
        (top, left)
        for top in range(5)
        for left in range(13)
        if np.array_equal(full.hdr[:, top : top + 8, left : left + 8], crop.hdr)
    ]
    assert len(hits) == 1
    top, left = hits[0]
    assert np.array_equal(full.ldr[:, top : top + 8, left : left + 8], crop.ldr)
    assert np.array_equal(NtireDataset(tmp_path, crop=8, seed=1)[0].hdr, crop.hdr)
    positions = set()
    for epoch in range(10):
        dataset.set_epoch(epoch)
        positions.add(float(dataset[0].hdr.sum()))
    assert len(positions) > 3


def test_split_by_scene_keeps_tiles_together(tmp_path: Path) -> None:
    ids = ["0000", "0001_y0000_x0000", "0001_y0000_x0256", "0002", "0003_y0256_x0000"]
    frames = [NtireFrame(frame_id, tmp_path) for frame_id in ids]
    train, test = split_by_scene(frames, train_scenes=2)
    assert [f.frame_id for f in train] == ids[:3] and [f.frame_id for f in test] == ids[3:]
    listing = tmp_path / "train.txt"
    listing.write_text("# scenes to train on\n0003\n\n0000  # first\n")
    train, test = split_by_scene(frames, train_list=listing)
    assert [f.scene_id for f in train] == ["0000", "0003"]
    assert {f.scene_id for f in test} == {"0001", "0002"}
    listing.write_text("0009\n")
    with pytest.raises(DatasetError, match="0009"):
        split_by_scene(frames, train_list=listing)


def test_patches_are_windows_of_the_frame(tmp_path: Path) -> None:
    source, out = tmp_path / "frames", tmp_path / "tiles"
    write_frame(source, "0005", _scene(5, height=12, width=20))
    assert prepare_patches(find_frames(source), out, tile=8, progress=False) == 2
    frame = NtireDataset(source, exposure="short")[0]
    tiles = NtireDataset(out, exposure="short")
    assert [f.frame_id for f in tiles.frames] == ["0005_y0000_x0000", "0005_y0000_x0008"]
    assert {f.scene_id for f in tiles.frames} == {"0005"}
    for tile, left in zip(tiles, (0, 8), strict=True):
        window = (slice(None), slice(0, 8), slice(left, left + 8))
        assert np.array_equal(tile.ldr, frame.ldr[window])
        quantum = float(frame.hdr.max()) / 65535
        np.testing.assert_allclose(tile.hdr, frame.hdr[window], atol=quantum, rtol=1e-5)
    assert np.array_equal(
        np.load(out / "0005_y0000_x0008_exposures.npy"), np.load(source / "0005_exposures.npy")
    )
    with pytest.raises(Exception, match="exists"):
        prepare_patches(find_frames(source), out, tile=8, progress=False)


def test_prepare_patches_command_tiles_one_split(tmp_path: Path, capsys) -> None:
    for index in range(3):
        write_frame(tmp_path / "frames", f"{index:04d}", _scene(index, height=16, width=16))
    out = tmp_path / "tiles"
    argv = ["prepare-patches", str(tmp_path / "frames"), str(out), "--tile", "8"]
    assert main([*argv, "--split", "test", "--train-scenes", "2"]) == 0
    assert "wrote 4 tiles of 1 frames" in capsys.readouterr().out
    assert {f.scene_id for f in find_frames(out)} == {"0002"}
    assert main([*argv, "--split", "test", "--train-scenes", "2"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_prepare_patches_empty_split_names_the_options(tmp_path: Path, capsys) -> None:
    for index in range(2):
        write_frame(tmp_path / "frames", f"{index:04d}", _scene(index, height=16, width=16))
    argv = ["prepare-patches", str(tmp_path / "frames"), str(tmp_path / "tiles"), "--tile", "8"]
    assert main([*argv, "--split", "test"]) == 2  # 1,000 train scenes by default: all of them
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--split test: no frame selected" in err and "2 scene(s)" in err
    assert "--train-scenes 1000 puts all of them in train" in err
    assert not (tmp_path / "tiles").exists()


def test_loader_batches_do_not_depend_on_workers(tmp_path: Path) -> None:
    for index in range(4):
        write_frame(tmp_path, f"{index:04d}", _scene(index))
    dataset = NtireDataset(tmp_path, crop=8, exposure="random", seed=2)
    batches = {
        workers: list(make_loader(dataset, batch_size=2, workers=workers, seed=5))
        for workers in (0, 2)
    }
    assert isinstance(batches[2][0], Sample) and batches[2][0].hdr.shape == (2, 3, 8, 8)
    for first, second in zip(batches[0], batches[2], strict=True):
        for a, b in zip(first, second, strict=True):
            assert np.array_equal(a.numpy(), b.numpy())
