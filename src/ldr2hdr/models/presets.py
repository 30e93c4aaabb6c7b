"""Packaged weight presets, one per camera, and how a ``--weights`` value becomes a file.

A preset is a weights file that ships inside the package (``ldr2hdr/weights/NAME.safetensors``):

- ``photo`` (the default): pictures from phones and cameras — sRGB and S-shaped tone curves,
  sensor noise, JPEG — i.e. what a user feeds the tool;
- ``ntire``: the NTIRE 2021 camera (gamma 2.24, sensor noise, no JPEG), the paper's setting,
  for benchmarks and reproduction.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ldr2hdr.errors import WeightsError

PRESETS: dict[str, str] = {
    "photo": "phones and cameras: sRGB and S-shaped tone curves, sensor noise, JPEG",
    "ntire": "the NTIRE 2021 camera: gamma 2.24, sensor noise, no JPEG (the paper's setting)",
}
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
    path = Path(str(resources.files("ldr2hdr") / "weights" / f"{name}{WEIGHTS_SUFFIX}"))
    if not path.is_file():
        raise WeightsError(f"this installation lacks the {name!r} preset's weights ({path})")
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
