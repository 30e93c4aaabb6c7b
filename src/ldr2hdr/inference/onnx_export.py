"""Export a generator to ONNX (needs the ``onnx`` extra: onnx, onnxscript; onnxruntime to run).

The ONNX graph has one input ``ldr`` (float32 N×3×H×W, [0, 1]; N, H and W dynamic) and one
output ``hdr`` (float32 N×3×H×W, NTIRE domain: ``linear ** (1/2.24)``, 1.0 = input white; raise
it to the power 2.24 for linear HDR).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn

from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.fs import atomic_path

ONNX_OPSET = 18
_EXAMPLE_SIZE = (1, 3, 37, 53)


class _HdrOnly(nn.Module):
    """Wrap a generator so its graph returns the HDR tensor alone."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x).hdr


def export_onnx(
    model: nn.Module, path: str | os.PathLike, *, opset: int = ONNX_OPSET, overwrite: bool = False
) -> Path:
    """Write ``model`` (a registered generator, on the CPU) as an ONNX file at ``path``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise Ldr2HdrError(f"{path}: file exists (use --overwrite to replace it)")
    try:
        import onnxscript  # noqa: F401  (the exporter needs it)
    except ImportError as exc:
        raise Ldr2HdrError("ONNX export needs the onnx extra: pip install 'ldr2hdr[onnx]'") from exc
    wrapped = _HdrOnly(model.cpu().float()).eval()
    dims = {
        0: torch.export.Dim("batch", min=1),
        2: torch.export.Dim("height", min=1),
        3: torch.export.Dim("width", min=1),
    }
    program = torch.onnx.export(
        wrapped,
        (torch.rand(*_EXAMPLE_SIZE),),
        input_names=["ldr"],
        output_names=["hdr"],
        dynamic_shapes=(dims,),
        opset_version=opset,
        dynamo=True,
        verbose=False,
    )
    with atomic_path(path, overwrite=True) as temporary:
        program.save(str(temporary))
    return path
