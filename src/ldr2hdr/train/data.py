"""Training and validation datasets from a config's ``[data]`` table.

- ``source = "hdr"``: the HDR files below ``root`` (:func:`ldr2hdr.data.find_hdr_files`) are
  split by file into training and validation scenes; training samples are random views shot by
  the camera simulator (:class:`ldr2hdr.data.SyntheticHdrDataset`, ``samples_per_epoch`` per
  epoch, ``crop``×``crop``), validation samples ``val_count`` fixed views of ``val_size``.
- ``source = "ntire"``: frames of the NTIRE layout, split by scene; training samples are random
  ``crop`` crops, validation samples fixed ``val_size`` crops of the first ``val_count`` frames.

Validation samples are drawn from :data:`VALIDATION_SEED`, not the run's seed, so every run on the
same data is scored on the same images. Scene ids in a ``val_scenes`` file are a file's stem or
path relative to ``root`` (HDR collections) or NTIRE scene ids.
"""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import Dataset

from ldr2hdr.data import (
    DatasetError,
    NtireDataset,
    SyntheticHdrDataset,
    find_frames,
    find_hdr_files,
)
from ldr2hdr.data.ntire import read_scene_list
from ldr2hdr.train.config import ConfigError, DataConfig
from ldr2hdr.train.config_checks import camera_params

VALIDATION_SEED = 2021


def validation_count(scenes: int, fraction: float) -> int:
    """Scenes held out: ``round(fraction·scenes)``, at least 1 when ``fraction`` > 0."""
    if fraction <= 0.0:
        return 0
    return max(1, round(fraction * scenes))


def spread_indices(total: int, count: int) -> list[int]:
    """``count`` indices spread evenly over ``range(total)`` (the middle of equal slices)."""
    return sorted({int((i + 0.5) * total / count) for i in range(count)})


def _check_split(train: list, val_ids: set[str], known: set[str], where: str) -> None:
    unknown = sorted(val_ids - known)
    if unknown:
        raise ConfigError(f"{where}: unknown scene ids {unknown[:5]} ({len(unknown)} in all)")
    if not train:
        raise ConfigError(f"{where}: every scene is held out for validation; none is left to train")


def _split_hdr_files(data: DataConfig) -> tuple[list[Path], list[Path]]:
    root = Path(data.root)
    files = find_hdr_files(root)
    names = [path.relative_to(root).as_posix() for path in files]
    if data.val_scenes:
        val_ids = set(read_scene_list(data.val_scenes))
        is_val = [name in val_ids or Path(name).stem in val_ids for name in names]
        known = set(names) | {Path(name).stem for name in names}
        where = f"data.val_scenes = {data.val_scenes!r}"
    else:
        held = set(spread_indices(len(files), validation_count(len(files), data.val_fraction)))
        is_val = [i in held for i in range(len(files))]
        val_ids, known, where = set(), set(), f"data.val_fraction = {data.val_fraction}"
    train = [path for path, val in zip(files, is_val, strict=True) if not val]
    _check_split(train, val_ids, known, where)
    return train, [path for path, val in zip(files, is_val, strict=True) if val]


def _hdr_datasets(data: DataConfig, seed: int) -> tuple[Dataset, Dataset | None]:
    train_files, val_files = _split_hdr_files(data)
    params = camera_params(data.camera)
    train = SyntheticHdrDataset(
        train_files,
        length=data.samples_per_epoch,
        size=(data.crop, data.crop),
        seed=seed,
        params=params,
        flip=data.flip,
    )
    if not val_files:
        return train, None
    val = SyntheticHdrDataset(
        val_files,
        length=data.val_count,
        size=(data.val_size, data.val_size),
        seed=VALIDATION_SEED,
        params=params,
    )
    return train, val


def _ntire_datasets(data: DataConfig, seed: int) -> tuple[Dataset, Dataset | None]:
    frames = find_frames(data.root)
    scenes = sorted({frame.scene_id for frame in frames})
    if data.val_scenes:
        val_ids = set(read_scene_list(data.val_scenes))
        where = f"data.val_scenes = {data.val_scenes!r}"
    else:
        count = validation_count(len(scenes), data.val_fraction)
        val_ids = {scenes[i] for i in spread_indices(len(scenes), count)} if count else set()
        where = f"data.val_fraction = {data.val_fraction}"
    train_frames = [f for f in frames if f.scene_id not in val_ids]
    _check_split(train_frames, val_ids, set(scenes), where)
    val_frames = [f for f in frames if f.scene_id in val_ids]
    options = {"exposure": data.exposure}
    train = NtireDataset(train_frames, crop=data.crop, flip=data.flip, seed=seed, **options)
    if not val_frames:
        return train, None
    val = NtireDataset(val_frames[: data.val_count], crop=data.val_size, seed=VALIDATION_SEED)
    return train, val


def build_datasets(data: DataConfig, *, seed: int) -> tuple[Dataset, Dataset | None]:
    """The training dataset and the validation dataset (None when nothing is held out).

    Both return ``ldr2hdr.data.Sample`` triples (ldr [0, 1], ref8 [0, 1], hdr NTIRE domain).

    Raises:
        ConfigError: bad split settings or camera ranges.
        DatasetError: the data folder is missing, empty or inconsistent.
    """
    if not Path(data.root).is_dir():
        raise DatasetError(
            f"data.root = {data.root!r}: not a folder; point data.root (or `ldr2hdr train "
            "--data-root`) at the training data (docs/data.md, 'Getting data')"
        )
    if data.source == "hdr":
        return _hdr_datasets(data, seed)
    return _ntire_datasets(data, seed)
