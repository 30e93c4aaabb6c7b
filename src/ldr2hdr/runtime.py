"""Where and in which precision PyTorch runs: device names, availability, autocast (floor 1).

Device names: ``cpu``, ``cuda``, ``cuda:N``, ``mps`` (Apple Metal) and ``auto`` (CUDA when
present, else MPS when present and allowed, else CPU). Precisions: ``fp32`` (no autocast),
``bf16`` and ``fp16`` (autocast to that dtype; the weights stay float32).
"""

from __future__ import annotations

import contextlib

import torch

from ldr2hdr.errors import DeviceError

DEVICES = ("auto", "cpu", "cuda", "mps")
"""Device kinds accepted by :func:`resolve_device` (``cuda`` also as ``cuda:N``)."""

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
"""Precision name → the dtype the forward pass computes in (``fp32``: no autocast)."""


def missing_device_reason(device: str) -> str | None:
    """Why ``device`` (``cuda``, ``cuda:N``, ``mps``) cannot be used here; None if it can.

    Callers turn the reason into an error that names their own option (``--device``,
    ``run.device``, ``device=``).
    """
    kind = device.split(":", 1)[0]
    if kind == "cuda" and not torch.cuda.is_available():
        return f"no CUDA GPU is available to this PyTorch ({torch.__version__})"
    if kind == "mps" and not torch.backends.mps.is_available():
        return "Apple's Metal (MPS) is not available on this machine"
    return None


def resolve_device(
    name: str | torch.device,
    local_rank: int | None = None,
    *,
    auto_mps: bool = True,
    option: str = "device",
) -> torch.device:
    """A device name → the :class:`torch.device` to run on (a ``torch.device`` is returned as is).

    Args:
        name: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
        local_rank: the GPU a bare ``cuda`` (or ``auto`` choosing CUDA) means, ``cuda:local_rank``;
            None keeps PyTorch's current CUDA device (``cuda``).
        auto_mps: whether ``auto`` may choose Apple's MPS when there is no CUDA GPU.
        option: how error messages name the setting, e.g. ``device`` or ``run.device =``.

    Raises:
        DeviceError: ``cuda``/``cuda:N``/``mps`` was asked for but is not available here.
        ValueError: ``name`` is none of the accepted names.
    """
    if isinstance(name, torch.device):
        return name
    kind, _, index = name.partition(":")
    if kind not in DEVICES or (index and (kind != "cuda" or not index.isdigit())):
        raise ValueError(f"{option} must be one of {', '.join(DEVICES)} or cuda:N; got {name!r}")
    if name == "auto":
        if torch.cuda.is_available():
            kind = "cuda"
        elif auto_mps and torch.backends.mps.is_available():
            return torch.device("mps")
        else:
            return torch.device("cpu")
    else:
        reason = missing_device_reason(name)
        if reason is not None:
            raise DeviceError(f"{option} {name!r}: {reason}; use 'cpu' or 'auto'")
    if kind == "cuda" and not index and local_rank is not None:
        return torch.device(f"cuda:{local_rank}")
    return torch.device(name if name != "auto" else kind)


def autocast(
    device: torch.device, precision: str | torch.dtype | None
) -> contextlib.AbstractContextManager:
    """Autocast on ``device`` to ``precision`` (a name of :data:`PRECISIONS` or a dtype).

    ``fp32``, ``torch.float32`` and None give a no-op context (the model runs in float32).
    """
    dtype = PRECISIONS[precision] if isinstance(precision, str) else precision
    if dtype is None or dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)
