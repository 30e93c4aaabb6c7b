"""ONNX export: onnxruntime on the CPU agrees with PyTorch on other sizes than the example."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ldr2hdr.cli import main
from ldr2hdr.models import create_model, save_weights

ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
pytest.importorskip("onnxscript", reason="the onnx extra is not installed")


def test_onnx_matches_pytorch(tmp_path) -> None:
    torch.manual_seed(6)
    model = create_model("twostage")
    weights = save_weights(model, tmp_path / "w.safetensors")
    onnx_path = tmp_path / "model.onnx"
    assert main(["export-onnx", str(onnx_path), "--weights", str(weights)]) == 0
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    for shape in [(2, 3, 41, 29), (1, 3, 5, 7)]:
        x = torch.rand(*shape)
        (onnx_out,) = session.run(None, {"ldr": x.numpy()})
        with torch.no_grad():
            torch_out = model(x).hdr.numpy()
        assert onnx_out.shape == shape
        np.testing.assert_allclose(onnx_out, torch_out, rtol=1e-4, atol=1e-5)
    assert main(["export-onnx", str(onnx_path), "--weights", str(weights)]) == 2
