"""The learning rate of each optimisation step, from ``[optim]`` (see :class:`OptimConfig`)."""

from __future__ import annotations

import math

from ldr2hdr.train.config import OptimConfig


def learning_rate(optim: OptimConfig, step: int, total_steps: int) -> float:
    """The learning rate of the step that follows ``step`` completed steps of ``total_steps``.

    ``constant``: ``optim.lr`` throughout (the paper). ``cosine``: ``optim.lr`` for the first
    ``optim.decay_start`` steps, then ``min_lr + (lr − min_lr)·(1 + cos(π·t))/2`` with ``t`` going
    from 0 at ``decay_start`` to 1 at ``total_steps`` (held at ``min_lr`` beyond it).

    Raises:
        ValueError: a negative ``step`` (quoted).
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if optim.schedule == "constant" or step < optim.decay_start:
        return optim.lr
    progress = min((step - optim.decay_start) / max(total_steps - optim.decay_start, 1), 1.0)
    return optim.min_lr + 0.5 * (optim.lr - optim.min_lr) * (1.0 + math.cos(math.pi * progress))
