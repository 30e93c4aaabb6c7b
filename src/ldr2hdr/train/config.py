"""Training configuration: dataclasses, TOML loading with strict key checks, JSON saving.

A config file has five optional tables, ``[model]``, ``[loss]``, ``[optim]``, ``[data]`` (with
``[data.camera]``) and ``[run]``; every key has a default (the paper's recipe, see
``configs/paper.toml``). Unknown tables or keys and values of the wrong type raise
:class:`ConfigError` quoting the file, the key and the value. Relative paths are resolved against
the current working directory when the config is loaded; the resolved config (absolute paths,
every default filled in) is saved as JSON beside the checkpoints.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.fs import atomic_path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DATA_SOURCES = ("hdr", "ntire")
PRECISIONS = ("fp32", "bf16", "fp16")
SCHEDULES = ("constant", "cosine")
EXPORTS = ("best", "last")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
MIN_CROP = 33
"""Smallest training crop of the two-stage recipe: its MS-SSIM loss's five scales need a 3-pixel
window at the coarsest (``ldr2hdr.losses.ms_ssim_window``); other models need 1 pixel."""
MAX_CROP = 4096
"""Largest training crop and validation side (a 4096² float view already takes 200 MB)."""
PAPER_PATCHES_PER_EPOCH = 7551


class ConfigError(Ldr2HdrError, ValueError):
    """A training config file is unreadable or holds an unknown key or a bad value."""


@dataclass
class ModelConfig:
    """Which generator to train.

    Attributes:
        name: a registered model (``ldr2hdr models`` lists them): ``twostage`` trains with the
            paper's two-stage recipe; any other model with one optimiser and the stage-II loss.
        end_to_end: two-stage only: stage II's loss also flows into stage I (``detach=False``).
        options: extra keyword options for ``create_model``.
        init: start from these generator weights instead of a fresh initialisation: a weights
            file (``.safetensors`` of the same architecture) or a packaged preset name
            (``photo``, ``ntire``); empty = the model's own initialisation.
    """

    name: str = "twostage"
    end_to_end: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    init: str = ""


@dataclass
class LossConfig:
    """Loss options (two-stage recipe; single-generator models use L1 + ΔE₀₀ only).

    Attributes:
        adversarial: add the discriminator's adversarial term to stage I's loss.
        adversarial_weight: λ of that term (the paper: 1e-4; the reference code: 1e-3).
        soft_labels: the reference code's noisy labels (real ~ U[0.7, 1.2), fake ~ U[0, 0.3)).
        conditional_discriminator: the paper's D(output, input) instead of D(output).
    """

    adversarial: bool = True
    adversarial_weight: float = 1e-4
    soft_labels: bool = False
    conditional_discriminator: bool = False


@dataclass
class OptimConfig:
    """Adam settings and schedule (one optimiser per network).

    Attributes:
        lr: learning rate (the paper's, constant: 5e-4).
        betas: Adam's (β1, β2).
        batch_size: patches per step over all processes (divided among DDP ranks).
        epochs: passes over the training set.
        schedule: ``constant`` (the paper) or ``cosine``: ``lr`` until step ``decay_start``,
            then half a cosine down to ``min_lr`` at the run's last step.
        decay_start: cosine only: the step where the decay begins.
        min_lr: cosine only: the learning rate at the last step, in [0, lr].
    """

    lr: float = 5e-4
    betas: tuple[float, float] = (0.9, 0.99)
    batch_size: int = 8
    epochs: int = 25
    schedule: str = "constant"
    decay_start: int = 0
    min_lr: float = 0.0


@dataclass
class DataConfig:
    """Where the training pairs come from.

    Attributes:
        source: ``"hdr"`` (a collection of HDR images through the camera simulator) or
            ``"ntire"`` (the NTIRE 2021 layout).
        root: the folder of HDR images or NTIRE frames.
        crop: square training crop side in pixels (the paper: 128).
        flip: random left-right flips (the reference code has none).
        exposure: NTIRE only: which shot is the input (``medium`` as the paper, or ``random``).
        samples_per_epoch: HDR collections only: random views drawn per epoch (the paper's
            training set has 7,551 patches).
        val_fraction: fraction of the scenes held out for validation when ``val_scenes`` is
            empty (at least one scene when positive; 0 disables validation).
        val_scenes: a text file listing the validation scene ids, one per line.
        val_size: square side of the validation images in pixels (views or centre crops).
        val_count: at most this many validation images are scored.
        workers: DataLoader worker processes (0 = load in the training process).
        camera: HDR collections only: ranges for the camera simulator
            (``ldr2hdr.data.CameraParams`` fields).
    """

    source: str = "hdr"
    root: str = ""
    crop: int = 128
    flip: bool = False
    exposure: str = "medium"
    samples_per_epoch: int = PAPER_PATCHES_PER_EPOCH
    val_fraction: float = 0.1
    val_scenes: str = ""
    val_size: int = 256
    val_count: int = 16
    workers: int = 2
    camera: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunConfig:
    """How the run executes and reports.

    Attributes:
        seed: seeds the weights' initialisation, the data order and every random draw.
        device: ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``.
        precision: ``fp32``, ``bf16`` (autocast) or ``fp16`` (autocast + gradient scaler).
        channels_last: run the networks in channels-last memory format.
        max_steps: stop after this many optimisation steps in all (0 = run every epoch).
        log_every: log the training losses every this many steps.
        validate_every: validate (and write a sample grid) every this many steps (0 = only at
            the end).
        checkpoint_every: write the full checkpoint every this many steps (always at the end).
        sample_count: validation images shown in the sample grid.
        export: which generator ``model.safetensors`` holds: ``best`` (the best validation
            μ-PSNR so far; the last when nothing is validated) or ``last`` (the last step's).
    """

    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"
    channels_last: bool = False
    max_steps: int = 0
    log_every: int = 10
    validate_every: int = 1000
    checkpoint_every: int = 500
    sample_count: int = 4
    export: str = "best"


@dataclass
class TrainConfig:
    """The whole training configuration (one field per config-file table)."""

    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


# Keys that may differ between a checkpoint's config and the config used to resume it.
RESUMABLE_CHANGES = frozenset(
    {
        "optim.epochs",
        "optim.schedule",  # the rate is a function of the step: decaying a constant-rate run
        "optim.decay_start",  # at its end is a change of schedule, not of the recipe so far
        "optim.min_lr",
        "run.max_steps",
        "run.log_every",
        "run.validate_every",
        "run.checkpoint_every",
        "run.sample_count",
        "run.export",
        "run.device",
        "data.workers",
        "data.root",
        "data.val_scenes",
    }
)


def _type_name(expected: Any) -> str:
    return getattr(expected, "__name__", str(expected))


def _coerce(value: Any, expected: Any, where: str) -> Any:
    """Check ``value`` against a (simple) annotation; return it converted (ints → floats)."""
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(expected):
            try:
                return _coerce(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where} = {value!r}: expected {expected}")
    if origin is tuple:
        items = typing.get_args(expected)
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            raise ConfigError(f"{where} = {value!r}: expected a list of {len(items)} numbers")
        return tuple(
            _coerce(v, t, f"{where}[{i}]")
            for i, (v, t) in enumerate(zip(value, items, strict=True))
        )
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} = {value!r}: expected a table")
        return dict(value)
    if expected is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if expected is type(None) and value is None:
        return None
    if isinstance(expected, type) and type(value) is expected:
        return value
    raise ConfigError(f"{where} = {value!r}: expected {_type_name(expected)}")


def check_known_keys(raw: dict, cls: type, where: str) -> None:
    """Raise ConfigError quoting the keys of ``raw`` that are not fields of dataclass ``cls``."""
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; known keys: "
            f"{', '.join(known)}"
        )


def _build_section(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table, got {raw!r}")
    hints = typing.get_type_hints(cls)
    check_known_keys(raw, cls, where)
    values = {key: _coerce(value, hints[key], f"{where}.{key}") for key, value in raw.items()}
    return cls(**values)


def config_from_dict(raw: dict[str, Any], *, source: str = "config") -> TrainConfig:
    """Build and check a :class:`TrainConfig` from nested dicts (as parsed from TOML or JSON).

    Args:
        raw: ``{"model": {...}, "loss": {...}, ...}``; missing tables and keys take defaults.
        source: what to name in error messages (usually the file's path).

    Raises:
        ConfigError: unknown tables or keys, values of the wrong type or out of range.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a table of tables, got {raw!r}")
    sections = typing.get_type_hints(TrainConfig)
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise ConfigError(
            f"{source}: unknown table(s) {', '.join(map(repr, unknown))}; known tables: "
            f"{', '.join(sections)}"
        )
    built = {
        name: _build_section(cls, raw.get(name, {}), f"{source}: [{name}]")
        for name, cls in sections.items()
    }
    config = TrainConfig(**built)
    check_config(config, source=source)
    return config


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _check_choice(value: str, choices: tuple[str, ...], where: str) -> None:
    _require(value in choices, f"{where} = {value!r}: expected one of {', '.join(choices)}")


def check_config(config: TrainConfig, *, source: str = "config") -> None:
    """Check value ranges and choices; raise :class:`ConfigError` naming the first bad key."""
    optim, data, run, loss = config.optim, config.data, config.run, config.loss
    _require(
        math.isfinite(optim.lr) and optim.lr > 0, f"{source}: optim.lr = {optim.lr!r}: must be > 0"
    )
    _require(
        all(0.0 <= beta < 1.0 for beta in optim.betas),
        f"{source}: optim.betas = {list(optim.betas)!r}: each must be in [0, 1)",
    )
    for where, value, low in (
        ("optim.batch_size", optim.batch_size, 1),
        ("optim.epochs", optim.epochs, 1),
        ("optim.decay_start", optim.decay_start, 0),
        ("data.samples_per_epoch", data.samples_per_epoch, 1),
        ("data.val_count", data.val_count, 1),
        ("data.workers", data.workers, 0),
        ("run.max_steps", run.max_steps, 0),
        ("run.log_every", run.log_every, 1),
        ("run.validate_every", run.validate_every, 0),
        ("run.checkpoint_every", run.checkpoint_every, 1),
        ("run.sample_count", run.sample_count, 0),
    ):
        _require(value >= low, f"{source}: {where} = {value!r}: must be >= {low}")
    for where, value in (("data.crop", data.crop), ("data.val_size", data.val_size)):
        _require(
            1 <= value <= MAX_CROP,
            f"{source}: {where} = {value!r}: must be in 1–{MAX_CROP} pixels",
        )
    _require(
        0.0 <= data.val_fraction < 1.0,
        f"{source}: data.val_fraction = {data.val_fraction!r}: must be in [0, 1)",
    )
    _require(
        loss.adversarial_weight >= 0.0,
        f"{source}: loss.adversarial_weight = {loss.adversarial_weight!r}: must be >= 0",
    )
    _require(
        0.0 <= optim.min_lr <= optim.lr,
        f"{source}: optim.min_lr = {optim.min_lr!r}: must be in [0, optim.lr = {optim.lr!r}]",
    )
    _check_choice(optim.schedule, SCHEDULES, f"{source}: optim.schedule")
    _check_choice(data.source, DATA_SOURCES, f"{source}: data.source")
    _check_choice(run.precision, PRECISIONS, f"{source}: run.precision")
    _check_choice(run.export, EXPORTS, f"{source}: run.export")
    device_kind = run.device.split(":", 1)[0]
    _check_choice(device_kind, DEVICE_CHOICES, f"{source}: run.device")
    _require(data.root != "", f"{source}: data.root is empty: name the training data folder")


def check_crop_for_model(config: TrainConfig) -> None:
    """ConfigError if ``data.crop`` is too small for the model's loss (MS-SSIM of ``twostage``);
    call once the model is final (``--model`` may override the file's)."""
    if config.model.name == "twostage" and config.data.crop < MIN_CROP:
        raise ConfigError(
            f"data.crop = {config.data.crop}: the twostage recipe's MS-SSIM loss needs "
            f"at least {MIN_CROP} pixels"
        )


def _resolve_paths(config: TrainConfig) -> TrainConfig:
    data = config.data
    root = str(Path(data.root).expanduser().resolve()) if data.root else ""
    val_scenes = str(Path(data.val_scenes).expanduser().resolve()) if data.val_scenes else ""
    return dataclasses.replace(
        config, data=dataclasses.replace(data, root=root, val_scenes=val_scenes)
    )


def load_config(
    path: str | os.PathLike, *, data_root: str | os.PathLike | None = None
) -> TrainConfig:
    """Read a TOML config file; relative data paths are resolved against the working directory.

    Args:
        path: the TOML file.
        data_root: if given, replaces the file's ``data.root`` (before the config is checked,
            so a file may leave ``data.root`` out).

    Raises:
        ConfigError: the file is missing or not valid TOML, or holds an unknown key or bad value.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file: {exc}") from exc
    if data_root is not None and isinstance(raw.get("data", {}), dict):
        raw.setdefault("data", {})["root"] = os.fspath(data_root)
    return _resolve_paths(config_from_dict(raw, source=str(path)))


def with_data_root(config: TrainConfig, data_root: str | os.PathLike) -> TrainConfig:
    """``config`` with ``data.root`` replaced (resolved against the working directory)."""
    root = str(Path(data_root).expanduser().resolve())
    return dataclasses.replace(config, data=dataclasses.replace(config.data, root=root))


def save_config(config: TrainConfig, path: str | os.PathLike) -> Path:
    """Write the resolved config as indented JSON, atomically (temporary file + rename)."""
    path = Path(path)
    with atomic_path(path, overwrite=True) as temporary:
        text = json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n"
        temporary.write_text(text, encoding="utf-8")
    return path


def _flatten(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key != "options" and key != "camera":
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def config_differences(saved: TrainConfig, current: TrainConfig) -> list[str]:
    """Dotted keys whose values differ between two configs, except :data:`RESUMABLE_CHANGES`."""
    old, new = _flatten(saved.to_dict()), _flatten(current.to_dict())
    return sorted(
        key
        for key in old.keys() | new.keys()
        if key not in RESUMABLE_CHANGES and old.get(key) != new.get(key)
    )
