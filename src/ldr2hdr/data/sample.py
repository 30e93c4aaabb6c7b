"""The training/evaluation pair every dataset of this package returns, and its error type.

A sample is a triple ``(ldr, ref8, hdr)`` of float32 tensors, each 3×H×W:

- ``ldr``: the 8-bit input photo divided by 255, in [0, 1] (display-encoded, as shot);
- ``hdr``: the reference in the NTIRE 2021 domain ``y = linear**(1/2.24)``, relative to the
  input's exposure (1.0 is the LDR's clipping white), ≥ 0 with no upper bound;
- ``ref8``: ``hdr`` clipped to [0, 1] and quantised to 8 bits, ``round(255·clip(hdr))/255`` (the
  stage-I target I_G8 of the paper).

:class:`Sample` is a ``NamedTuple``, so PyTorch's default ``collate_fn`` batches it into a
``Sample`` of B×3×H×W tensors with the field names kept.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ldr2hdr.errors import Ldr2HdrError

LDR_LEVELS = 255


class DatasetError(Ldr2HdrError, ValueError):
    """A dataset folder or file list is missing, inconsistent or empty (the message names it)."""


class Sample(NamedTuple):
    """One pair: ``ldr`` [0, 1], ``ref8`` [0, 1] (8-bit levels), ``hdr`` NTIRE domain ≥ 0.

    Each field is a float32 tensor of shape 3×H×W (B×3×H×W after default collation).
    """

    ldr: torch.Tensor
    ref8: torch.Tensor
    hdr: torch.Tensor


def quantise8(values: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to the 256 levels of an 8-bit image.

    Args:
        values: float array of any shape, any range (e.g. NTIRE-domain HDR).

    Returns:
        float32 array of the same shape, ``round(255·clip(values, 0, 1)) / 255`` (NumPy rounds
        halves to even).
    """
    levels = np.round(np.clip(values, 0.0, 1.0) * LDR_LEVELS)
    return (levels / LDR_LEVELS).astype(np.float32)


def _to_chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32))


def make_sample(ldr: np.ndarray, hdr: np.ndarray) -> Sample:
    """Build a :class:`Sample` from H×W×3 arrays.

    Args:
        ldr: H×W×3 float array in [0, 1] (8-bit levels /255), or H×W×3 uint8 (divided by 255).
        hdr: H×W×3 float array, NTIRE domain relative to the LDR's exposure, ≥ 0.

    Returns:
        ``Sample(ldr, ref8, hdr)``, each a float32 3×H×W tensor; ``ref8 = quantise8(hdr)``.

    Raises:
        ValueError: if the two shapes differ or are not H×W×3.
    """
    if ldr.shape != hdr.shape or ldr.ndim != 3 or ldr.shape[2] != 3:
        raise ValueError(f"ldr and hdr must both be H×W×3, got {ldr.shape} and {hdr.shape}")
    if ldr.dtype == np.uint8:
        ldr = ldr.astype(np.float32) / LDR_LEVELS
    hdr = hdr.astype(np.float32, copy=False)
    return Sample(ldr=_to_chw(ldr), ref8=_to_chw(quantise8(hdr)), hdr=_to_chw(hdr))
