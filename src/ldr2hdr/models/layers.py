"""Layers shared by the generators (PyTorch, N×C×H×W tensors, any float dtype).

- :func:`conv3x3`: 3×3, stride 1, zero padding 1 (keeps H×W);
- :func:`reflect_pad`: reflection padding of any width (``F.pad``'s reflect mode, extended);
- :func:`pad_to_multiple`: reflect-pad H and W up to a multiple (encoders with striding).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def conv3x3(in_channels: int, out_channels: int, *, bias: bool = True) -> nn.Conv2d:
    """A 3×3, stride-1 convolution with zero padding 1 (keeps H×W)."""
    return nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias)


def _reflect_indices(size: int, before: int, after: int, device: torch.device) -> Tensor:
    positions = torch.arange(-before, size + after, device=device)
    if size == 1:
        return torch.zeros_like(positions)
    period = 2 * (size - 1)
    folded = positions.remainder(period)
    return torch.where(folded < size, folded, period - folded)


def reflect_pad(x: Tensor, *, top: int, bottom: int, left: int, right: int) -> Tensor:
    """Pad the last two dimensions by reflection (the edge pixel is not repeated), for any pad.

    Equal to ``F.pad(x, (left, right, top, bottom), mode="reflect")`` where that is defined (each
    pad smaller than the side); larger pads keep reflecting back and forth, and a side of one
    pixel is repeated. Returns N×C×(H + top + bottom)×(W + left + right), same dtype.
    """
    rows = _reflect_indices(x.shape[-2], top, bottom, x.device)
    cols = _reflect_indices(x.shape[-1], left, right, x.device)
    return x.index_select(-2, rows).index_select(-1, cols)


def pad_to_multiple(x: Tensor, multiple: int) -> tuple[Tensor, tuple[int, int]]:
    """Reflect-pad H and W up to multiples of ``multiple``, split evenly between the two sides.

    Returns the padded tensor and the (top, left) offset of the original image inside it.
    """
    height, width = x.shape[-2:]
    extra_rows, extra_cols = -height % multiple, -width % multiple
    top, left = extra_rows // 2, extra_cols // 2
    padded = reflect_pad(x, top=top, bottom=extra_rows - top, left=left, right=extra_cols - left)
    return padded, (top, left)
