"""Every check of a training config, in one place (run by ``config_from_dict`` before it returns).

1. **Keys and types** of each table (:func:`build_section`): unknown keys are quoted with the
   known ones, values of the wrong type quoted with the expected type.
2. **Ranges and choices** of the plain values (:func:`check_config`); the precisions are those of
   :data:`ldr2hdr.runtime.PRECISIONS`.
3. **``[data.camera]``** (:func:`camera_params`): the camera simulator's own checks
   (:class:`ldr2hdr.data.CameraParams`), reported under the config's key, e.g.
   ``data.camera.curves = ['gama']: unknown curve 'gama'; choose from gamma, srgb, s-curve``.
4. **The model** (:func:`check_model`): ``model.name`` is registered, each ``model.options`` key
   is a keyword of its constructor (read from the signature); when options are given, the model
   is also built on PyTorch's ``meta`` device so that its constructor checks their values
   without allocating weights or drawing random numbers. ``model.init`` names a preset or an
   ldr2hdr weights file of the same architecture (only the file's header is read).
5. **The crop** the model's loss needs (:func:`check_crop_for_model`).

Every failure is a :class:`ConfigError` naming the source, the dotted key and the bad value.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from typing import Any

import torch

from ldr2hdr.data.camera import CameraParams, CameraParamsError
from ldr2hdr.errors import Ldr2HdrError, WeightsError
from ldr2hdr.models.presets import resolve_weights
from ldr2hdr.models.registry import create_model, list_models, model_option_names
from ldr2hdr.models.weights import read_weights_metadata
from ldr2hdr.runtime import PRECISIONS
from ldr2hdr.train.config_schema import ModelConfig, TrainConfig

DATA_SOURCES = ("hdr", "ntire")
SCHEDULES = ("constant", "cosine")
EXPORTS = ("best", "last")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
MIN_CROP = 33
"""Smallest training crop of the two-stage recipe: its MS-SSIM loss's five scales need a 3-pixel
window at the coarsest (``ldr2hdr.losses.ms_ssim_window``); other models need 1 pixel."""
MAX_CROP = 4096
"""Largest training crop and validation side (a 4096² float view already takes 200 MB)."""
SET_BY_CONFIG = {"detach": "model.end_to_end = true"}
"""Model options the recipe sets itself (from another key), refused in ``model.options``."""


class ConfigError(Ldr2HdrError, ValueError):
    """A training config file is unreadable or holds an unknown key or a bad value."""


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
        if len(items) == 2 and items[1] is Ellipsis:  # tuple[str, ...]: any length
            if not isinstance(value, (list, tuple)):
                raise ConfigError(f"{where} = {value!r}: expected a list of {_type_name(items[0])}")
            items = (items[0],) * len(value)
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


def build_section(cls: type, raw: Any, where: str) -> Any:
    """Dataclass ``cls`` from table ``raw``, its keys and types checked (``where`` names it)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table, got {raw!r}")
    hints = typing.get_type_hints(cls)
    check_known_keys(raw, cls, where)
    values = {key: _coerce(value, hints[key], f"{where}.{key}") for key, value in raw.items()}
    return cls(**values)


def camera_params(camera: dict, *, source: str | None = None) -> CameraParams:
    """``CameraParams`` from a ``[data.camera]`` table (lists become tuples, ints floats).

    Raises:
        ConfigError: an unknown key (quoted, with the known ones), a value of the wrong type, or
            one the camera simulator refuses (named ``data.camera.KEY``, the value as written).
    """
    prefix = f"{source}: " if source else ""
    try:
        return build_section(CameraParams, camera, f"{prefix}[data.camera]")
    except CameraParamsError as exc:
        value = camera.get(exc.field, exc.value)
        raise ConfigError(f"{prefix}data.camera.{exc.field} = {value!r}: {exc.reason}") from exc


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _check_choice(value: str, choices: typing.Iterable[str], where: str) -> None:
    choices = tuple(choices)
    _require(value in choices, f"{where} = {value!r}: expected one of {', '.join(choices)}")


def _check_ranges(config: TrainConfig, source: str) -> None:
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


def _check_options(model: ModelConfig, source: str) -> None:
    for key, value in model.options.items():
        if key in SET_BY_CONFIG:
            raise ConfigError(
                f"{source}: model.options.{key} = {value!r}: set {SET_BY_CONFIG[key]} instead"
            )
    names = model_option_names(model.name)
    if names is None:
        return
    for key, value in model.options.items():
        if key not in names:
            takes = [name for name in names if name not in SET_BY_CONFIG]
            listed = f"its options: {', '.join(takes)}" if takes else "it takes no options"
            raise ConfigError(
                f"{source}: model.options.{key} = {value!r}: model {model.name!r} has no "
                f"option {key!r}; {listed}"
            )


def check_model(model: ModelConfig, *, source: str = "config") -> None:
    """``[model]``: a registered name, options its constructor takes (names from its signature;
    values by building it on the ``meta`` device: no weights allocated), ``end_to_end`` only for
    ``twostage``, and ``init`` a preset or weights file of that architecture (header read only).

    Raises:
        ConfigError: naming ``model.name``, ``model.options.KEY``, ``model.end_to_end`` or
            ``model.init`` and the bad value.
    """
    names = list_models()
    if model.name not in names:
        raise ConfigError(
            f"{source}: model.name = {model.name!r}: unknown model; registered models: "
            f"{', '.join(names)}"
        )
    if model.end_to_end and model.name != "twostage":
        raise ConfigError(
            f"{source}: model.end_to_end = true needs model.name = 'twostage', got {model.name!r}"
        )
    _check_options(model, source)
    if model.options:
        try:
            with torch.device("meta"):
                create_model(model.name, **model.options)
        except (TypeError, ValueError) as exc:
            named = [k for k in model.options if re.search(rf"\b{re.escape(k)}\b", str(exc))]
            key, value = ("options", model.options)
            if len(named) == 1:
                key, value = f"options.{named[0]}", model.options[named[0]]
            raise ConfigError(f"{source}: model.{key} = {value!r}: {exc}") from exc
    if model.init:
        _check_init(model, source)


def _check_init(model: ModelConfig, source: str) -> None:
    where = f"{source}: model.init = {model.init!r}"
    try:
        metadata = read_weights_metadata(resolve_weights(model.init))
    except WeightsError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if metadata["arch"] != model.name:
        raise ConfigError(
            f"{where}: weights are for architecture {metadata['arch']!r}, not {model.name!r} "
            "(model.name)"
        )


def check_crop_for_model(config: TrainConfig, *, source: str = "config") -> None:
    """ConfigError if ``data.crop`` is too small for the model's loss (MS-SSIM of ``twostage``)."""
    if config.model.name == "twostage" and config.data.crop < MIN_CROP:
        raise ConfigError(
            f"{source}: data.crop = {config.data.crop}: the twostage recipe's MS-SSIM loss needs "
            f"at least {MIN_CROP} pixels"
        )


def check_config(config: TrainConfig, *, source: str = "config") -> None:
    """Check value ranges and choices, ``[data.camera]``, the model (name, options, initial
    weights) and the crop it needs; raise :class:`ConfigError` naming the first bad key."""
    _check_ranges(config, source)
    camera_params(config.data.camera, source=source)
    check_model(config.model, source=source)
    check_crop_for_model(config, source=source)
