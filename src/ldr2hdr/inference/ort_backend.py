"""The CPU backend: the two-stage network run by ONNX Runtime (1.4–1.7× PyTorch's eager speed on
a 2-core AVX2 CPU; see docs/inference.md), on a graph :mod:`ldr2hdr.inference.ort_graph` builds
from the loaded weights.

:class:`OrtRunner` runs it on tensors; each input shape gets its own session with static shapes
(ONNX Runtime then keeps every block in its blocked NCHWc layout; with symbolic shapes it
reorders around each attention branch, ~4 % slower). The tiles of one stage of an image share
one shape (:func:`~ldr2hdr.inference.tiling.tile_grid`), so one session serves that stage's
whole image, and its memory arena lets every tile after the first reuse the first one's memory
instead of mapping (and faulting in) fresh pages: ~5 % faster. The session, arena included, is
dropped when the shape changes or :meth:`OrtRunner.release` is called (the
:class:`Reconstructor`, with one runner per stage, does after each stage), so no memory is
held between stages or images. :func:`select_backend` decides between it
and PyTorch. Neither ``onnx`` nor ``onnxruntime`` is imported until it is needed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from ldr2hdr.errors import DeviceError
from ldr2hdr.models.twostage import SingleStage, StageNet, TwoStage

BACKENDS = ("auto", "torch", "onnxruntime")


def supports_ort_graph(model: nn.Module) -> bool:
    """Whether :func:`twostage_graph` can build ``model`` (the two-stage family)."""
    return isinstance(model, TwoStage | SingleStage | StageNet)


def _onnxruntime():
    """The ``onnxruntime`` module, or ``None`` when it is not installed."""
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime


def select_backend(name: str, model: nn.Module, device: torch.device, precision: str) -> str:
    """``"onnxruntime"`` or ``"torch"`` for ``name`` in :data:`BACKENDS`.

    ``auto`` takes ONNX Runtime where it applies (CPU, fp32, the two-stage family, onnxruntime
    installed) and PyTorch otherwise; ``onnxruntime`` where it does not apply is a
    :class:`~ldr2hdr.errors.DeviceError` (a ValueError), an unknown name a ValueError.
    """
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    if name == "torch":
        return "torch"
    reasons = []
    if device.type != "cpu":
        reasons.append(f"it runs on the CPU only (device {device})")
    if precision != "fp32":
        reasons.append(f"it runs fp32 only (precision {precision!r})")
    if not supports_ort_graph(model):
        reasons.append(f"it has no graph for {type(model).__name__}")
    if not reasons and _onnxruntime() is None:  # imported only where it would run
        reasons.append("onnxruntime is not installed")
    if not reasons:
        return "onnxruntime"
    if name == "auto":
        return "torch"
    raise DeviceError("backend 'onnxruntime' cannot run here: " + "; ".join(reasons))


class OrtRunner:
    """Runs a two-stage-family model with ONNX Runtime; ``runner(x)`` is ``model(x).hdr``.

    Args:
        model: ``TwoStage``, ``SingleStage`` or ``StageNet`` (its weights are read into each
            session's graph when the session is built).
        threads: ONNX Runtime's intra-op threads (default: ``torch.get_num_threads()``).
    """

    def __init__(self, model: nn.Module, *, threads: int | None = None) -> None:
        self.model = model
        self.threads = threads or torch.get_num_threads()
        self._shape: tuple[int, ...] | None = None
        self._session_for_shape = None

    def _session(self, shape: tuple[int, ...]):
        if shape != self._shape:
            self.release()  # first, so that two arenas never coexist
            ort = _onnxruntime()
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Memory patterns double the peak (~3.4 KB/pixel against 1.7). The arena keeps one
            # run's peak (one tile's) for the next run of the session.
            options.enable_mem_pattern = False
            options.enable_cpu_mem_arena = True
            from ldr2hdr.inference.ort_graph import twostage_graph  # imports onnx: ~1.4 s

            graph = twostage_graph(self.model, shape).SerializeToString()
            self._session_for_shape = ort.InferenceSession(
                graph, options, providers=["CPUExecutionProvider"]
            )
            self._shape = shape
        return self._session_for_shape

    def release(self) -> None:
        """Drop the session and the memory its arena holds (a new one is built when needed)."""
        self._shape, self._session_for_shape = None, None

    def __call__(self, x: Tensor) -> Tensor:
        """NTIRE-domain output (float32 N×3×H×W) of ``x`` (float N×3×H×W in [0, 1], CPU)."""
        array = np.ascontiguousarray(x.detach().cpu().float().numpy())
        session = self._session(tuple(array.shape))
        (y,) = session.run(None, {session.get_inputs()[0].name: array})
        return torch.from_numpy(y)
