"""Training configuration: dataclasses, TOML loading, overrides, JSON saving.

A config file has five optional tables, ``[model]``, ``[loss]``, ``[optim]``, ``[data]`` (with
``[data.camera]``) and ``[run]``; every key has a default (the paper's recipe, see
``configs/paper.toml``). :func:`config_from_dict` (and so :func:`load_config`) checks the whole
config before returning it (``config_checks``: keys, types, ranges, the camera, the model, the
crop), after applying any overrides given as dotted keys (:func:`apply_overrides`); a failure is
a :class:`ConfigError` quoting the file, the key and the value. Relative paths are resolved
against the current working directory when the config is loaded; the resolved config (absolute
paths, every default filled in, overrides included) is saved as JSON beside the checkpoints.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ldr2hdr.data.camera import CameraParams
from ldr2hdr.fs import atomic_path
from ldr2hdr.train.config_checks import (
    MAX_CROP,
    MIN_CROP,
    ConfigError,
    build_section,
    check_config,
    check_crop_for_model,
    check_known_keys,
)

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = [  # the checks live in config_checks; these names stay importable from here
    "MAX_CROP",
    "MIN_CROP",
    "PAPER_PATCHES_PER_EPOCH",
    "RESUMABLE_CHANGES",
    "ConfigError",
    "DataConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "TrainConfig",
    "apply_overrides",
    "check_config",
    "check_crop_for_model",
    "check_known_keys",
    "config_differences",
    "config_from_dict",
    "load_config",
    "resolve_paths",
    "save_config",
    "with_data_root",
]

PAPER_PATCHES_PER_EPOCH = 7551


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


def _override_target(key: str) -> tuple[str, ...]:
    """The path of dotted ``key`` in a raw config; ConfigError unless it names a known key."""
    parts = tuple(key.split("."))
    sections = typing.get_type_hints(TrainConfig)
    if len(parts) < 2 or parts[0] not in sections:
        raise ConfigError(
            f"override {key!r}: unknown key; expected TABLE.KEY with TABLE one of "
            f"{', '.join(sections)}"
        )
    fields = [f.name for f in dataclasses.fields(sections[parts[0]])]
    if parts[1] not in fields:
        raise ConfigError(f"override {key!r}: unknown key; [{parts[0]}] keys: {', '.join(fields)}")
    nested = {("data", "camera"): [f.name for f in dataclasses.fields(CameraParams)]}
    if len(parts) == 3 and parts[:2] == ("model", "options"):
        return parts  # any name here: check_config asks the model whether it takes it
    if len(parts) == 3 and parts[:2] in nested and parts[2] in nested[parts[:2]]:
        return parts
    if len(parts) > 2:
        known = nested.get(parts[:2])
        hint = f"[{parts[0]}.{parts[1]}] keys: {', '.join(known)}" if known else "no such table"
        raise ConfigError(f"override {key!r}: unknown key; {hint}")
    return parts


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, object]) -> dict[str, Any]:
    """A copy of the raw config ``raw`` (nested dicts, as read from TOML) with ``overrides``.

    Apply overrides before :func:`config_from_dict`, so that an overridden value is checked
    exactly as the same value written in the file (the CLI's ``--max-steps``, ``--model`` and
    ``--data-root`` become ``run.max_steps``, ``model.name`` and ``data.root``).

    Args:
        raw: the config's tables; not changed.
        overrides: dotted key → value, e.g. ``{"run.max_steps": 100, "model.name": "stage2",
            "data.camera.curves": ["gamma"], "model.options.identity_init": True}``; paths
            (``os.PathLike``) become strings.

    Raises:
        ConfigError: a key that names no config key (the message lists the known ones).
    """
    merged = copy.deepcopy(dict(raw))
    for key, value in overrides.items():
        *tables, name = _override_target(key)
        table = merged
        for part in tables:
            table = table.setdefault(part, {}) if isinstance(table, dict) else None
        if isinstance(table, dict):  # else config_from_dict reports the table that is no table
            table[name] = os.fspath(value) if isinstance(value, os.PathLike) else value
    return merged


def config_from_dict(
    raw: dict[str, Any],
    *,
    source: str = "config",
    overrides: Mapping[str, object] | None = None,
) -> TrainConfig:
    """Build and check a :class:`TrainConfig` from nested dicts (as parsed from TOML or JSON).

    Every check runs here, before a config exists: the keys and types of every table, value
    ranges, ``[data.camera]``, the model's name, options and initial weights, and the crop the
    model needs (:func:`ldr2hdr.train.config_checks.check_config`).

    Args:
        raw: ``{"model": {...}, "loss": {...}, ...}``; missing tables and keys take defaults.
        source: what to name in error messages (usually the file's path).
        overrides: dotted keys replacing values of ``raw`` before the checks
            (:func:`apply_overrides`).

    Raises:
        ConfigError: unknown tables or keys, values of the wrong type or out of range, an
            unknown model or option, a bad camera range, missing initial weights.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a table of tables, got {raw!r}")
    if overrides:
        raw = apply_overrides(raw, overrides)
    sections = typing.get_type_hints(TrainConfig)
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise ConfigError(
            f"{source}: unknown table(s) {', '.join(map(repr, unknown))}; known tables: "
            f"{', '.join(sections)}"
        )
    built = {
        name: build_section(cls, raw.get(name, {}), f"{source}: [{name}]")
        for name, cls in sections.items()
    }
    config = TrainConfig(**built)
    check_config(config, source=source)
    return config


def resolve_paths(config: TrainConfig) -> TrainConfig:
    """``config`` with ``data.root`` and ``data.val_scenes`` made absolute (against the working
    directory; absolute paths stay as they are)."""
    data = config.data
    root = str(Path(data.root).expanduser().resolve()) if data.root else ""
    val_scenes = str(Path(data.val_scenes).expanduser().resolve()) if data.val_scenes else ""
    return dataclasses.replace(
        config, data=dataclasses.replace(data, root=root, val_scenes=val_scenes)
    )


def load_config(
    path: str | os.PathLike,
    *,
    data_root: str | os.PathLike | None = None,
    overrides: Mapping[str, object] | None = None,
) -> TrainConfig:
    """Read and check a TOML config file; relative data paths are resolved against the working
    directory.

    Args:
        path: the TOML file.
        data_root: if given, replaces the file's ``data.root`` (an override of ``data.root``,
            so a file may leave ``data.root`` out).
        overrides: dotted keys replacing the file's values before the checks
            (:func:`apply_overrides`); errors name ``path`` as for the file's own values.

    Raises:
        ConfigError: the file is missing or not valid TOML, holds an unknown key or bad value,
            or an override names an unknown key or gives a bad value.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file: {exc}") from exc
    changes = {} if data_root is None else {"data.root": data_root}
    changes.update(overrides or {})
    return resolve_paths(config_from_dict(raw, source=str(path), overrides=changes))


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
