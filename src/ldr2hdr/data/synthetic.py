"""Pairs from any HDR collection: random views + the camera simulator, and a set writer.

:class:`SyntheticHdrDataset` draws, for sample ``index``, everything from
``numpy.random.default_rng([seed, epoch, index])``: the source file, a random view
(:func:`~ldr2hdr.data.views.random_view`: a perspective view of a panorama or a crop of a photo)
and a simulated shot of it (:mod:`ldr2hdr.data.camera`). Decoded images are kept in an in-memory
LRU cache (:class:`HdrCache`), so panoramas are read once per worker, or once in all when
:meth:`SyntheticHdrDataset.preload` runs before the DataLoader forks its workers.

:func:`make_dataset` writes such samples in the NTIRE layout (short/medium/long at −2/0/+2 EV,
ground truth aligned to the medium), so synthetic sets read back through
:class:`~ldr2hdr.data.ntire.NtireDataset`.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset
from tqdm import tqdm

from ldr2hdr.data._files import write_npy, write_png8
from ldr2hdr.data.camera import CameraParams, SimulatedShot, simulate_brackets
from ldr2hdr.data.ntire import EXPOSURE_NAMES, NtireFrame
from ldr2hdr.data.sample import DatasetError, Sample, make_sample
from ldr2hdr.data.views import DEFAULT_FOV_RANGE, DEFAULT_PITCH_RANGE, random_view
from ldr2hdr.domain import ntire_to_linear
from ldr2hdr.errors import ImageReadError, ImageWriteError
from ldr2hdr.io import read_hdr, write_hdr

HDR_SUFFIXES = (".hdr", ".exr", ".pfm")
NTIRE_GT_SUFFIX = "_gt.png"
DEFAULT_CACHE_BYTES = 2**30
DEFAULT_VIEW_SIZE = (256, 256)
BRACKET_STOPS = {"medium": 0.0, "short": -2.0, "long": 2.0}  # the medium is shot first
MAX_DRAWS = 1000
MIN_HDR_SIDE = 2
"""Smallest width and height of a usable source HDR image, in pixels."""
ID_DIGITS = 4


def find_hdr_files(root: str | Path) -> list[Path]:
    """HDR files below ``root`` (.hdr, .exr, .pfm, NTIRE ``*_gt.png``), sorted by relative path.

    Raises:
        DatasetError: if ``root`` is not a folder or holds no HDR file.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder of HDR images")
    files = [
        path
        for path in root.rglob("*")
        if path.is_file()
        and (path.suffix.lower() in HDR_SUFFIXES or path.name.lower().endswith(NTIRE_GT_SUFFIX))
    ]
    if not files:
        raise DatasetError(f"{root}: no HDR image (*.hdr, *.exr, *.pfm, *{NTIRE_GT_SUFFIX})")
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


class HdrCache:
    """A least-recently-used in-memory cache of decoded linear HDR images (read-only arrays).

    Args:
        max_bytes: evict the least recently used images once the total exceeds this (the
            newest image is always kept).
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._images: OrderedDict[Path, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._images)

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached images."""
        return sum(image.nbytes for image in self._images.values())

    def get(self, path: Path) -> np.ndarray:
        """The image at ``path`` as H×W×3 float32 linear (``read_hdr``), decoded at most once."""
        if path in self._images:
            self._images.move_to_end(path)
            return self._images[path]
        image = read_hdr(path)
        image.setflags(write=False)
        self._images[path] = image
        while self.nbytes > self.max_bytes and len(self._images) > 1:
            self._images.popitem(last=False)
        return image


class SyntheticHdrDataset(Dataset):
    """Simulated pairs from an HDR collection, as :class:`~ldr2hdr.data.sample.Sample` triples.

    ``ldr`` is the simulated 8-bit shot /255; ``hdr`` the NTIRE-domain reference relative to its
    exposure (1.0 = its clipping white); ``ref8`` = ``hdr`` clipped and quantised to 8 bits.

    Args:
        source: a folder (searched recursively by :func:`find_hdr_files`) or a list of files.
        length: the number of samples per epoch (files are drawn at random per sample).
        size: (width, height) of every view.
        seed: the seed of every random choice; with the epoch and index it fixes a sample.
        params: the camera simulator's ranges (``CameraParams()`` when None).
        panorama: treat every file as equirectangular (True), none (False), or decide by the
            2:1 shape (None).
        fov_range: (low, high) horizontal field of view of panorama views, degrees.
        pitch_range: (low, high) pitch of panorama views, degrees.
        flip: mirror views left-right with probability 1/2.
        cache_bytes: bound of the in-memory cache of decoded images (per process).
        skip_bad: on an unreadable file, warn, remember it in :attr:`bad_files` and draw another
            file (from the same generator, so results stay deterministic) instead of raising.
    """

    def __init__(
        self,
        source: str | Path | Sequence[str | Path],
        *,
        length: int,
        size: tuple[int, int] = DEFAULT_VIEW_SIZE,
        seed: int = 0,
        params: CameraParams | None = None,
        panorama: bool | None = None,
        fov_range: tuple[float, float] = DEFAULT_FOV_RANGE,
        pitch_range: tuple[float, float] = DEFAULT_PITCH_RANGE,
        flip: bool = False,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        skip_bad: bool = False,
    ) -> None:
        if isinstance(source, (str, Path)):
            self.files = find_hdr_files(source)
        else:
            self.files = [Path(path) for path in source]
        if not self.files:
            raise DatasetError("no HDR file given")
        if length < 1:
            raise ValueError(f"length must be positive, got {length}")
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"size must be (width, height) in pixels, got {size!r}")
        self.length = length
        self.size = size
        self.seed = seed
        self.params = params or CameraParams()
        self.view_options = {
            "panorama": panorama,
            "fov_range": fov_range,
            "pitch_range": pitch_range,
            "flip": flip,
        }
        self.cache = HdrCache(cache_bytes)
        self.skip_bad = skip_bad
        self.bad_files: dict[Path, str] = {}
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose random choices the next samples use (call before iterating)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length

    def preload(self) -> None:
        """Decode every file into the cache now (call before forking DataLoader workers)."""
        for path in self.files:
            self._read(path)

    def _read(self, path: Path) -> np.ndarray | None:
        """The decoded file, or None (after a warning) when it is bad and ``skip_bad`` is set."""
        if path in self.bad_files:
            return None
        try:
            image = self.cache.get(path)
            reason = degenerate_reason(image)
            if reason is not None:
                raise ImageReadError(f"{path}: {reason}")
            return image
        except ImageReadError as exc:
            if not self.skip_bad:
                raise
            self._skip(path, str(exc))
            return None

    def _skip(self, path: Path, reason: str) -> None:
        self.bad_files[path] = reason
        warnings.warn(f"skipping {reason}", stacklevel=4)

    def _draw_image(self, rng: np.random.Generator) -> tuple[Path, np.ndarray]:
        for _ in range(MAX_DRAWS):
            path = self.files[int(rng.integers(len(self.files)))]
            image = self._read(path)
            if image is not None:
                return path, image
            if len(self.bad_files) == len(self.files):
                break
        raise DatasetError(f"no readable HDR file among {len(self.files)} (e.g. {self.files[0]})")

    def render(
        self, index: int, *, stops: Sequence[float] = (0.0,)
    ) -> tuple[Path, list[SimulatedShot]]:
        """Sample ``index``'s source file and its shots at the given relative exposures (stops).

        The first stop's shot is the same whatever stops follow it, so ``render(i)`` and
        ``render(i, stops=(0, -2, 2))`` agree on the 0-EV shot.
        """
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for {self.length} samples")
        rng = np.random.default_rng([self.seed, self.epoch, index])
        for _ in range(MAX_DRAWS):
            path, image = self._draw_image(rng)
            try:
                view = random_view(image, rng, size=self.size, **self.view_options)
                return path, simulate_brackets(view, rng, stops=tuple(stops), params=self.params)
            except ValueError as exc:  # e.g. a view too dark to expose
                if not self.skip_bad:
                    raise
                self._skip(path, f"{path}: unusable HDR data: {exc}")
        raise DatasetError(f"no usable HDR file among {len(self.files)} (e.g. {self.files[0]})")

    def __getitem__(self, index: int) -> Sample:
        _, (shot,) = self.render(index)
        return make_sample(shot.ldr, shot.hdr)


def degenerate_reason(image: np.ndarray) -> str | None:
    """Why an HDR image cannot give training views (too small, no light), or None."""
    height, width = image.shape[:2]
    if min(height, width) < MIN_HDR_SIDE:
        return f"too small to take views from ({width}×{height} pixels)"
    if not float(image.max(initial=0.0)) > 0.0:
        return "all black (no light to expose)"
    return None


@dataclass
class MakeDatasetReport:
    """What :func:`make_dataset` did: frames written, and bad files (path → reason) skipped."""

    written: list[NtireFrame] = field(default_factory=list)
    bad_files: dict[Path, str] = field(default_factory=dict)


def _write_frame(frame: NtireFrame, shots: dict[str, SimulatedShot], overwrite: bool) -> None:
    """Write every file of a frame; on failure remove the ones this call wrote (no half frame)."""
    parts = (*EXPOSURE_NAMES, "gt", "alignratio", "exposures")
    existed = {name: frame.path(name).exists() for name in parts}
    try:
        _write_frame_files(frame, shots, overwrite)
    except (OSError, ValueError):
        for name, was_there in existed.items():
            if not was_there:
                frame.path(name).unlink(missing_ok=True)
        raise


def _write_frame_files(frame: NtireFrame, shots: dict[str, SimulatedShot], overwrite: bool) -> None:
    for name in EXPOSURE_NAMES:
        write_png8(frame.path(name), shots[name].ldr, overwrite=overwrite)
    linear = ntire_to_linear(shots["medium"].hdr.astype(np.float64)).astype(np.float32)
    write_hdr(frame.path("gt"), linear, format="ntire", overwrite=overwrite)
    stops = np.array([BRACKET_STOPS[name] for name in EXPOSURE_NAMES], dtype=np.float32)
    write_npy(frame.path("exposures"), stops, overwrite=overwrite)


def make_dataset(
    dataset: SyntheticHdrDataset,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> MakeDatasetReport:
    """Write every sample of ``dataset`` to ``out_dir`` in the NTIRE layout.

    Sample ``i`` becomes frame ``{i:04d}``: ``_short/_medium/_long.png`` (−2/0/+2 EV, one camera),
    ``_gt.png`` + ``_alignratio.npy`` (the medium's reference) and ``_exposures.npy``
    (float32 ``[-2, 0, 2]``). The medium shot equals ``dataset[i].ldr``. The same dataset
    settings give byte-identical files.

    Args:
        dataset: the samples to write; bad source files are skipped (warning) when it was built
            with ``skip_bad=True`` and reported in the result.
        out_dir: output folder (created if needed).
        overwrite: replace existing files instead of raising ImageWriteError.
        progress: show a tqdm progress bar (stderr, only on a terminal).

    Returns:
        A :class:`MakeDatasetReport`.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageWriteError(f"{out_dir}: cannot create the output folder: {exc}") from exc
    digits = max(ID_DIGITS, len(str(len(dataset) - 1)))
    report = MakeDatasetReport()
    for index in tqdm(range(len(dataset)), desc="make-dataset", disable=None if progress else True):
        _, shots = dataset.render(index, stops=tuple(BRACKET_STOPS.values()))
        frame = NtireFrame(f"{index:0{digits}d}", out_dir)
        _write_frame(frame, dict(zip(BRACKET_STOPS, shots, strict=True)), overwrite)
        report.written.append(frame)
    report.bad_files = dict(dataset.bad_files)
    return report
