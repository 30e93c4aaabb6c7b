"""Weights files: safetensors (no pickle) with metadata that names the architecture.

Metadata keys (all strings, as safetensors requires): ``format`` (``ldr2hdr-weights``),
``arch`` (a registered model name), ``arch_options`` (JSON of the ``create_model`` options),
``version`` (package version that wrote it), ``output_domain`` (``ntire``: the HDR output is
``linear ** (1/2.24)`` with 1.0 = the input's white), plus any extra entries the caller adds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from ldr2hdr._version import __version__
from ldr2hdr.errors import WeightsError
from ldr2hdr.fs import atomic_path
from ldr2hdr.models.registry import check_model_options, create_model

WEIGHTS_FORMAT = "ldr2hdr-weights"
OUTPUT_DOMAIN = "ntire"


def save_weights(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    extra_metadata: dict[str, str] | None = None,
) -> Path:
    """Write ``model``'s parameters (float32) to a safetensors file with metadata.

    The model must come from :func:`~ldr2hdr.models.create_model` (it records the architecture).
    The file is written to a temporary name in the target folder and renamed, so a reader never
    sees half a file. Returns the path written.
    """
    path = Path(path)
    arch = getattr(model, "arch_name", None)
    if arch is None:
        raise ValueError("save_weights needs a model built by create_model (it has no arch_name)")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: file exists (pass overwrite=True to replace it)")
    metadata = {
        "format": WEIGHTS_FORMAT,
        "arch": arch,
        "arch_options": json.dumps(getattr(model, "arch_options", {}), sort_keys=True),
        "version": __version__,
        "output_domain": OUTPUT_DOMAIN,
        **(extra_metadata or {}),
    }
    tensors = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path, overwrite=True) as temporary:
        save_file(tensors, str(temporary), metadata=metadata)
    return path


def read_weights_metadata(path: str | os.PathLike) -> dict[str, str]:
    """Return a weights file's metadata, checking that it is an ldr2hdr weights file."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    try:
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: not a readable safetensors file ({exc})") from exc
    if metadata.get("format") != WEIGHTS_FORMAT or "arch" not in metadata:
        raise WeightsError(f"{path}: not an ldr2hdr weights file (no ldr2hdr metadata)")
    arch_options(path, metadata)
    return metadata


def arch_options(path: Path, metadata: dict[str, str]) -> dict:
    """The checked ``arch_options`` of a weights file's metadata (its ``arch`` checked too).

    Raises:
        WeightsError: ``arch_options`` is not a JSON object, or ``arch`` is unknown or does not
            take those options; the message names the file.
    """
    try:
        options = json.loads(metadata.get("arch_options", "{}"))
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{path}: corrupt metadata: arch_options is not JSON ({exc})") from exc
    if not isinstance(options, dict):
        raise WeightsError(
            f"{path}: corrupt metadata: arch_options must be a JSON object, got {options!r}"
        )
    try:
        check_model_options(metadata["arch"], options)
    except ValueError as exc:
        raise WeightsError(f"{path}: corrupt metadata: {exc}") from exc
    return options


def load_weights(
    path: str | os.PathLike, model: nn.Module | None = None, *, device: str = "cpu"
) -> nn.Module:
    """Load a weights file into ``model``, or into a new model of the file's architecture.

    Raises:
        WeightsError: the file is missing, truncated or corrupt, was made for another
            architecture than ``model``'s, or its tensors do not fit the model.
    """
    path = Path(path)
    metadata = read_weights_metadata(path)
    if model is None:
        try:
            model = create_model(metadata["arch"], **arch_options(path, metadata))
        except (TypeError, ValueError) as exc:  # options of the right names, bad values
            raise WeightsError(f"{path}: corrupt metadata: {exc}") from exc
    expected = getattr(model, "arch_name", None)
    if expected is not None and expected != metadata["arch"]:
        raise WeightsError(
            f"{path}: weights are for architecture {metadata['arch']!r}, not {expected!r}"
        )
    try:
        with safe_open(path, framework="pt", device=device) as f:
            state = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: corrupt or truncated weights file ({exc})") from exc
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[0]
        raise WeightsError(f"{path}: tensors do not fit the model ({first_line})") from exc
    return model.to(device)
