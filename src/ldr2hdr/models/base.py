"""The contract every generator (LDR → HDR network) keeps: its output and its attributes.

A generator maps a batch of LDR photos, N×3×H×W float in [0, 1] (display-referred), to a
:class:`ModelOutput` whose ``hdr`` is in the NTIRE domain (``y = linear ** (1/2.24)``, 1.0 = the
input's clipping white; linear = ``y ** 2.24``). Baselines and the two-stage network import this
module, never one another.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

from torch import Tensor


class ModelOutput(NamedTuple):
    """What every registered generator returns.

    Attributes:
        hdr: the HDR estimate, N×3×H×W, NTIRE domain (``linear ** (1/2.24)``, 1.0 = input
            white), ≥ 0, no upper bound.
        ldr: stage I's 8-bit-range estimate (N×3×H×W, NTIRE domain, ideally in [0, 1]) for
            models that have such a stage, else ``None``.
        per_iteration: a feedback model's HDR estimate after each of its iterations, first to
            last (each N×3×H×W, NTIRE domain; the last is ``hdr``), returned in training mode
            so that the loss can score every iteration; empty otherwise (in eval mode and for
            other models).
    """

    hdr: Tensor
    ldr: Tensor | None = None
    per_iteration: tuple[Tensor, ...] = ()


@runtime_checkable
class Generator(Protocol):
    """What inference, training and the weights files rely on in a generator.

    Attributes:
        receptive_radius: pixels a tile must overlap its neighbours for tiled inference to equal
            the whole-image result; None for a global model (pooling, a global branch) that
            cannot be tiled exactly.
        arch_name: the registry name it was built under (set by
            :func:`~ldr2hdr.models.registry.create_model`; weights files record it).
        arch_options: the keyword options it was built with (set by ``create_model``).
    """

    receptive_radius: int | None
    arch_name: str
    arch_options: dict[str, Any]

    def __call__(self, ldr: Tensor) -> ModelOutput:
        """N×3×H×W LDR in [0, 1] → :class:`ModelOutput` (NTIRE domain, same H×W)."""
        ...
