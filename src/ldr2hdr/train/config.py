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
from ldr2hdr.train.config_schema import (
    PAPER_PATCHES_PER_EPOCH,
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TrainConfig,
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
