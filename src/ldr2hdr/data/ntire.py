"""The NTIRE 2021 HDR challenge layout: frame discovery, validation, split by scene, Dataset.

A frame ``NNNN`` is a set of files in one folder (the id may be any string without a trailing
``_gt``; patch ids look like ``0001_y0256_x0512``):

- ``NNNN_short.png``, ``NNNN_medium.png``, ``NNNN_long.png``: 8-bit RGB shots;
- ``NNNN_exposures.npy``: the three exposure values in stops (short, medium, long);
- ``NNNN_gt.png`` + ``NNNN_alignratio.npy``: the ground truth, ``uint16 / alignratio`` in the
  NTIRE domain (``linear**(1/2.24)``), aligned to the medium exposure.

Frames are found by their ``*_gt.png`` file, in a flat folder or any nesting below it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from torch.utils.data import Dataset

from ldr2hdr.data.sample import DatasetError, Sample, make_sample
from ldr2hdr.data.views import random_crop, random_flip
from ldr2hdr.domain import NTIRE_GAMMA
from ldr2hdr.io import read_ldr, read_ntire

GT_SUFFIX = "_gt"
EXPOSURE_NAMES = ("short", "medium", "long")
INPUT_CHOICES = (*EXPOSURE_NAMES, "random")
PAPER_TRAIN_SCENES = 1000
TILE_SUFFIX = re.compile(r"_y\d+_x\d+$")


@dataclass(frozen=True)
class NtireFrame:
    """One frame of the layout: its id and the folder that holds its files."""

    frame_id: str
    folder: Path

    def path(self, part: str) -> Path:
        """Path of one part: an exposure name, ``"gt"``, ``"alignratio"`` or ``"exposures"``."""
        suffix = ".npy" if part in ("alignratio", "exposures") else ".png"
        return self.folder / f"{self.frame_id}_{part}{suffix}"

    @property
    def scene_id(self) -> str:
        """The scene the frame shows: the id without a patch suffix ``_y<top>_x<left>``."""
        return TILE_SUFFIX.sub("", self.frame_id)


def find_frames(root: str | Path) -> list[NtireFrame]:
    """All frames below ``root`` (flat or nested), sorted by id.

    Raises:
        DatasetError: if ``root`` is not a folder, holds no ``*_gt.png`` or two frames share an id.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder of NTIRE frames")
    frames: dict[str, NtireFrame] = {}
    for gt_path in sorted(root.rglob(f"*{GT_SUFFIX}.png")):
        frame = NtireFrame(gt_path.name[: -len(f"{GT_SUFFIX}.png")], gt_path.parent)
        if frame.frame_id in frames:
            other = frames[frame.frame_id].path("gt")
            raise DatasetError(f"frame {frame.frame_id!r} appears twice: {other} and {gt_path}")
        frames[frame.frame_id] = frame
    if not frames:
        raise DatasetError(f"{root}: no NTIRE frame (no file named *{GT_SUFFIX}.png)")
    return [frames[key] for key in sorted(frames)]


def read_scene_list(path: str | Path) -> list[str]:
    """Scene ids listed one per line in a text file (blank lines and ``#`` comments ignored)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read the scene list: {exc}") from exc
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def split_by_scene(
    frames: Sequence[NtireFrame],
    *,
    train_scenes: int = PAPER_TRAIN_SCENES,
    train_list: str | Path | None = None,
) -> tuple[list[NtireFrame], list[NtireFrame]]:
    """Split frames into (train, test) so that no scene is in both.

    Scenes are the frames' :attr:`NtireFrame.scene_id` (patches of one frame share a scene).
    Without ``train_list`` the first ``train_scenes`` scenes in sorted order train (the paper:
    1,000 of the HdM frames) and the rest test; with it, the scenes it lists train.

    Raises:
        DatasetError: if ``train_list`` names a scene that is not among the frames.
    """
    scenes = sorted({frame.scene_id for frame in frames})
    if train_list is not None:
        train = set(read_scene_list(train_list))
        unknown = sorted(train.difference(scenes))
        if unknown:
            raise DatasetError(f"{train_list}: unknown scene ids {unknown[:5]} ({len(unknown)})")
    else:
        if train_scenes < 0:
            raise ValueError(f"train_scenes must be >= 0, got {train_scenes}")
        train = set(scenes[:train_scenes])
    return (
        [frame for frame in frames if frame.scene_id in train],
        [frame for frame in frames if frame.scene_id not in train],
    )


def _png_size(frame: NtireFrame, part: str) -> tuple[int, int]:
    path = frame.path(part)
    try:
        with Image.open(path) as image:
            return image.size
    except OSError as exc:
        raise DatasetError(f"frame {frame.frame_id}: cannot read {path}: {exc}") from exc


def _load_alignratio(frame: NtireFrame) -> float:
    path = frame.path("alignratio")
    try:
        value = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"frame {frame.frame_id}: cannot read {path}: {exc}") from exc
    if value.size != 1 or not np.isfinite(value).all() or not float(value.ravel()[0]) > 0:
        raise DatasetError(f"frame {frame.frame_id}: {path} is not a positive scalar: {value!r}")
    return float(value.ravel()[0])


def load_exposures(frame: NtireFrame) -> np.ndarray:
    """The frame's (short, medium, long) exposure values in stops, relative to the medium.

    Raises:
        DatasetError: if the file is missing or does not hold three finite numbers.
    """
    path = frame.path("exposures")
    try:
        values = np.load(path, allow_pickle=False).astype(np.float64).ravel()
    except (OSError, ValueError) as exc:
        raise DatasetError(f"frame {frame.frame_id}: cannot read {path}: {exc}") from exc
    if values.size != len(EXPOSURE_NAMES) or not np.isfinite(values).all():
        raise DatasetError(f"frame {frame.frame_id}: {path} must hold 3 exposures, got {values}")
    return values - values[EXPOSURE_NAMES.index("medium")]


def check_frame(frame: NtireFrame, *, inputs: Sequence[str] = ("medium",)) -> None:
    """Check that a frame's files exist and agree (cheap: PNG headers and the ``.npy`` files).

    Args:
        frame: the frame to check.
        inputs: the exposures that will be read; their exposure values are required unless
            only ``"medium"`` is.

    Raises:
        DatasetError: naming the frame and the file: a missing file, an unreadable or invalid
            alignratio/exposures, or an LDR whose size differs from the ground truth's.
    """
    needed = [*inputs, "gt", "alignratio"]
    if set(inputs) != {"medium"}:
        needed.append("exposures")
    missing = [frame.path(part).name for part in needed if not frame.path(part).is_file()]
    if missing:
        raise DatasetError(f"frame {frame.frame_id} in {frame.folder}: missing {missing}")
    _load_alignratio(frame)
    if "exposures" in needed:
        load_exposures(frame)
    gt_size = _png_size(frame, "gt")
    for part in inputs:
        size = _png_size(frame, part)
        if size != gt_size:
            raise DatasetError(
                f"frame {frame.frame_id}: {frame.path(part).name} is {size[0]}×{size[1]} but "
                f"{frame.path('gt').name} is {gt_size[0]}×{gt_size[1]}"
            )


def usable_frames(
    frames: Sequence[NtireFrame], *, inputs: Sequence[str], skip_bad: bool
) -> list[NtireFrame]:
    """The frames that pass :func:`check_frame`; a bad one raises, or warns when ``skip_bad``."""
    good = []
    for frame in frames:
        try:
            check_frame(frame, inputs=inputs)
        except DatasetError as exc:
            if not skip_bad:
                raise
            warnings.warn(f"skipping {exc}", stacklevel=2)
            continue
        good.append(frame)
    if not good:
        raise DatasetError(f"no usable frame among {len(frames)}")
    return good


def _crop_size(crop: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if crop is None:
        return None
    size = (crop, crop) if isinstance(crop, int) else tuple(crop)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"crop must be a positive int or (width, height), got {crop!r}")
    return size


class NtireDataset(Dataset):
    """Pairs from NTIRE-layout frames, as :class:`~ldr2hdr.data.sample.Sample` triples.

    ``ldr`` is the chosen exposure /255; ``hdr`` is ``gt / alignratio`` rescaled to that exposure
    (``· 2**(Δev/2.24)``, Δev its exposure relative to the medium; no change for the medium), so
    1.0 is always the input's clipping white; ``ref8`` is ``hdr`` clipped and quantised to 8 bits.

    Randomness (a random exposure, crop position, flip) comes from
    ``numpy.random.default_rng([seed, epoch, index])``: a sample depends on the seed, the epoch
    (:meth:`set_epoch`) and its index only, not on the DataLoader's worker count.

    Args:
        source: a folder of frames (flat or nested) or a list of :class:`NtireFrame`.
        exposure: ``"medium"`` (default, as the paper), ``"short"``, ``"long"`` or ``"random"``.
        crop: None for whole frames, an int for square random crops (the paper: 128 of 256×256
            patches), or (width, height).
        flip: mirror left-right with probability 1/2 (the reference code does not).
        seed: the seed of every random choice.
        skip_bad: warn about and leave out frames with missing or inconsistent files instead of
            raising :class:`DatasetError` (frames are checked when the dataset is built).
    """

    def __init__(
        self,
        source: str | Path | Sequence[NtireFrame],
        *,
        exposure: str = "medium",
        crop: int | tuple[int, int] | None = None,
        flip: bool = False,
        seed: int = 0,
        skip_bad: bool = False,
    ) -> None:
        if exposure not in INPUT_CHOICES:
            raise ValueError(f"exposure must be one of {INPUT_CHOICES}, got {exposure!r}")
        frames = find_frames(source) if isinstance(source, (str, Path)) else list(source)
        inputs = EXPOSURE_NAMES if exposure == "random" else (exposure,)
        self.frames = usable_frames(frames, inputs=inputs, skip_bad=skip_bad)
        self.exposure = exposure
        self.crop = _crop_size(crop)
        self.flip = flip
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose random choices the next samples use (call before iterating)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> Sample:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} frames")
        index %= len(self)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        frame = self.frames[index]
        exposure = self.exposure
        if exposure == "random":
            exposure = EXPOSURE_NAMES[int(rng.integers(len(EXPOSURE_NAMES)))]
        ldr = read_ldr(frame.path(exposure))
        hdr = read_ntire(frame.path("gt"))
        if ldr.shape != hdr.shape:
            raise DatasetError(
                f"frame {frame.frame_id}: {exposure} image is {ldr.shape} but gt is {hdr.shape}"
            )
        if exposure != "medium":
            relative_ev = load_exposures(frame)[EXPOSURE_NAMES.index(exposure)]
            hdr = hdr * np.float32(2.0 ** (relative_ev / NTIRE_GAMMA))
        if self.crop is not None:
            ldr, hdr = random_crop([ldr, hdr], self.crop, rng)
        if self.flip:
            ldr, hdr = random_flip([ldr, hdr], rng)
        return make_sample(ldr, hdr)
