"""Adversarial losses on discriminator logits (binary cross-entropy with logits).

The discriminator in :mod:`ldr2hdr.models` exposes ``logits(image)``; its ``forward`` returns
``sigmoid(logits)``. Working on logits is the numerically stable form of the reference code's
``nn.BCELoss`` on probabilities.

Soft labels (the reference code's option): real targets ~ U[0.7, 1.2), fake targets ~ U[0, 0.3),
one per logit. Targets above 1 are accepted by ``binary_cross_entropy_with_logits`` (it does not
check the range): the per-sample loss ``softplus(x) - t·x`` then has no minimum and keeps falling
as the real logit x grows. The reference code's ``nn.BCELoss`` clamps ``log`` at -100, so there it
bottoms out at ``-100·(t - 1)``; with logits there is no such floor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

SOFT_REAL_RANGE = (0.7, 1.2)
"""Half-open range [low, high) of the soft "real" targets (reference code)."""

SOFT_FAKE_RANGE = (0.0, 0.3)
"""Half-open range [low, high) of the soft "fake" targets (reference code)."""

REAL_TARGET, FAKE_TARGET = 1.0, 0.0


def soft_targets(logits: Tensor, *, real: bool, generator: torch.Generator | None = None) -> Tensor:
    """Random soft labels shaped like ``logits``: U[0.7, 1.2) if ``real`` else U[0, 0.3).

    Args:
        logits: any shape, float; only its shape, dtype and device are used.
        real: draw "real" (True) or "fake" (False) targets.
        generator: optional ``torch.Generator`` on ``logits.device``, for reproducible draws.

    Returns:
        Tensor of ``logits``'s shape, dtype and device.
    """
    low, high = SOFT_REAL_RANGE if real else SOFT_FAKE_RANGE
    uniform = torch.rand(
        logits.shape, generator=generator, dtype=logits.dtype, device=logits.device
    )
    return low + (high - low) * uniform


def generator_adv_loss(fake_logits: Tensor) -> Tensor:
    """Generator's adversarial term: BCE of the discriminator's logits on fakes against "real".

    Args:
        fake_logits: (N,) or any shape, float, discriminator logits of generated images
            (not detached, so the gradient reaches the generator).

    Returns:
        0-d tensor, mean ``softplus(-logit)`` (hard target 1, as the reference code).
    """
    return F.binary_cross_entropy_with_logits(
        fake_logits, torch.full_like(fake_logits, REAL_TARGET)
    )


def discriminator_loss(
    real_logits: Tensor,
    fake_logits: Tensor,
    *,
    soft_labels: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Discriminator BCE: mean loss on reals (target 1) plus mean loss on fakes (target 0).

    The two terms are summed, as in the reference code.

    Args:
        real_logits: any shape, float, logits of real images.
        fake_logits: any shape, float, logits of detached generated images.
        soft_labels: draw targets from U[0.7, 1.2) / U[0, 0.3) instead of 1 / 0.
        generator: optional ``torch.Generator`` for the soft labels (on the logits' device).

    Returns:
        0-d tensor (may be negative with soft labels, see the module docstring).
    """
    if soft_labels:
        real_target = soft_targets(real_logits, real=True, generator=generator)
        fake_target = soft_targets(fake_logits, real=False, generator=generator)
    else:
        real_target = torch.full_like(real_logits, REAL_TARGET)
        fake_target = torch.full_like(fake_logits, FAKE_TARGET)
    real_term = F.binary_cross_entropy_with_logits(real_logits, real_target)
    fake_term = F.binary_cross_entropy_with_logits(fake_logits, fake_target)
    return real_term + fake_term
