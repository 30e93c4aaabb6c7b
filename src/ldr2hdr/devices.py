"""Whether a PyTorch device asked for by name exists on this machine."""

from __future__ import annotations

import torch


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
