"""Full training checkpoints: written atomically, read back with ``torch.load(weights_only=True)``.

A checkpoint is a dict of tensors and plain Python values only (no pickled classes), so it loads
with PyTorch's restricted unpickler: the networks' and optimisers' state dicts, the gradient
scaler, the step and the data position (epoch, batches done in it), the RNG states of torch
(CPU and CUDA), NumPy and Python, the best validation score and the config. The exported
inference weights are a separate safetensors file (:func:`ldr2hdr.models.save_weights`).
"""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ldr2hdr._version import __version__
from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.fs import atomic_path

CHECKPOINT_FORMAT = "ldr2hdr-train-checkpoint"
CHECKPOINT_VERSION = 1
LAST_NAME = "last.pt"
BEST_NAME = "best.pt"


class CheckpointError(Ldr2HdrError, ValueError):
    """A training checkpoint is missing, unreadable or not an ldr2hdr checkpoint."""


def capture_rng_state() -> dict[str, Any]:
    """The RNG states of torch (CPU, every CUDA device), NumPy's global generator and Python's.

    Returns:
        A dict of tensors, ints, floats, strings and tuples (loadable with ``weights_only``).
    """
    numpy_state = np.random.get_state(legacy=False)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "bit_generator": numpy_state["bit_generator"],
            "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
            "pos": int(numpy_state["state"]["pos"]),
            "has_gauss": int(numpy_state["has_gauss"]),
            "gauss": float(numpy_state["gauss"]),
        },
        "python": random.getstate(),
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restore the states captured by :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    numpy_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": numpy_state["bit_generator"],
            "state": {
                "key": numpy_state["key"].numpy().astype(np.uint32),
                "pos": numpy_state["pos"],
            },
            "has_gauss": numpy_state["has_gauss"],
            "gauss": numpy_state["gauss"],
        }
    )
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plus format tags) with ``torch.save`` to a temporary file in the same
    folder, flush it to disk and rename it over ``path``: a crash leaves the old file intact.

    Returns:
        The path written.
    """
    path = Path(path)
    content = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "package_version": __version__,
        **payload,
    }
    with atomic_path(path, overwrite=True) as temporary:
        torch.save(content, temporary)
    return path


def load_checkpoint(path: str | os.PathLike, *, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``: no code runs).

    Raises:
        CheckpointError: naming the file, when it is missing, truncated or of another format.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        content = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{path}: unreadable checkpoint ({first_line})") from exc
    if not isinstance(content, dict) or content.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not an ldr2hdr training checkpoint")
    if content.get("format_version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {content.get('format_version')!r}, "
            f"this package reads {CHECKPOINT_VERSION}"
        )
    return content
