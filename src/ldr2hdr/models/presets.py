"""Packaged weight presets, one per camera, and how a ``--weights`` value becomes a file.

A preset is a weights file that ships inside the package (``ldr2hdr/weights/NAME.safetensors``):

- ``photo`` (the default): pictures from phones and cameras — sRGB and S-shaped tone curves,
  sensor noise, JPEG — i.e. what a user feeds the tool;
- ``ntire``: the NTIRE 2021 camera (gamma 2.24, sensor noise, no JPEG), the paper's setting,
  for benchmarks and reproduction.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ldr2hdr.errors import WeightsError

PRESETS: dict[str, str] = {
    "photo": "phones and cameras: sRGB and S-shaped tone curves, sensor noise, JPEG",
    "ntire": "the NTIRE 2021 camera: gamma 2.24, sensor noise, no JPEG (the paper's setting)",
}
PRESET_FILES: dict[str, str] = {name: f"{name}.safetensors" for name in PRESETS}
"""Preset name → file name inside the package's ``weights`` folder."""
DEFAULT_PRESET = "photo"
WEIGHTS_SUFFIX = ".safetensors"


def list_presets() -> list[str]:
    """The preset names, default first."""
    return [DEFAULT_PRESET, *(name for name in PRESETS if name != DEFAULT_PRESET)]


def preset_path(name: str) -> Path:
    """The packaged weights file of preset ``name``.

    Raises:
        WeightsError: ``name`` is not a preset (the message lists them), or this installation
            lacks the file.
    """
    if name not in PRESETS:
        raise WeightsError(
            f"unknown weights preset {name!r}; presets: {', '.join(list_presets())} "
            f"(or give a {WEIGHTS_SUFFIX} file)"
        )
    path = Path(str(resources.files("ldr2hdr") / "weights" / PRESET_FILES[name]))
    if not path.is_file():
        raise WeightsError(
            f"this installation has no packaged weights for preset {name!r} ({path} is "
            "missing); pass a weights file (--weights FILE)"
        )
    return path


def resolve_weights(weights: str | os.PathLike | None) -> Path:
    """A preset name, a weights file or ``None`` (the default preset) → the weights file's path.

    A bare word that is not an existing file (no folder, no suffix) is taken as a preset name,
    so a typo is reported with the list of presets rather than as a missing file.

    Raises:
        WeightsError: an unknown preset name.
        TypeError: ``weights`` is neither a string nor a path.
    """
    if weights is None:
        return preset_path(DEFAULT_PRESET)
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"weights must be a preset name or a path, got {weights!r}")
    text = os.fspath(weights)
    if text in PRESETS:
        return preset_path(text)
    path = Path(text)
    if not path.exists() and path.suffix == "" and path.parent == Path("."):
        preset_path(text)  # raises: unknown preset
    return path


@dataclass(frozen=True)
class PresetInfo:
    """What ``ldr2hdr models`` prints about a packaged preset."""

    name: str
    sha256: str
    arch: str
    camera: str
    training: str


def training_summary(metadata: dict[str, str]) -> str:
    """One line on how weights were trained, from their metadata (``step``, ``train_config``)."""
    try:
        config = json.loads(metadata.get("train_config", ""))
    except json.JSONDecodeError:
        return "no training record in the metadata"
    if not isinstance(config, dict):
        return "no training record in the metadata"
    data, model = config.get("data", {}), config.get("model", {})
    camera = data.get("camera") or {}
    curves = ", ".join(camera.get("curves", ["gamma", "srgb", "s-curve"]))
    parts = [
        f"{int(metadata.get('step', 0)):,} steps",
        f"{data.get('crop')}² crops, batch {config.get('optim', {}).get('batch_size')}",
        f"curves {curves}, JPEG probability {camera.get('jpeg_probability', 0.25)}",
    ]
    if model.get("init"):
        parts.append(f"started from {model['init']!r}")
    return "; ".join(parts)


def describe_presets() -> list[PresetInfo]:
    """Name, sha256, architecture, camera and training summary of each packaged preset."""
    from ldr2hdr.models.weights import read_weights_metadata

    infos = []
    for name in list_presets():
        path = preset_path(name)
        metadata = read_weights_metadata(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        infos.append(
            PresetInfo(name, digest, metadata["arch"], PRESETS[name], training_summary(metadata))
        )
    return infos
