"""One optimisation step of a training recipe, with its state.

The :class:`Trainer` is the skeleton every recipe shares; what is trained and how a batch is
scored is its :class:`~ldr2hdr.train.recipes.Recipe` (``recipes.py``: the paper's two-stage
recipe or a single generator, chosen by the generator's type). Per step:

1. the generator's forward pass under the run's autocast (DDP-wrapped when distributed);
2. the recipe's generator losses and one backward pass of their total (scaled for fp16);
3. with a discriminator, the recipe's discriminator loss on the generator's detached fake and
   its backward pass;
4. every optimiser steps.

For the two-stage recipe this is the paper's sequence (update stage I, then the discriminator,
then stage II on the detached stage-I output) computed in another order: each gradient depends
only on the weights before the step, so the updates are the same.

A step whose losses or gradients are not all finite is skipped: no optimiser steps, gradients
are cleared, BatchNorm running statistics are restored, and :attr:`StepResult.skipped` is set.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ldr2hdr.data import Sample
from ldr2hdr.models import Discriminator
from ldr2hdr.runtime import PRECISIONS, autocast
from ldr2hdr.train.config import TrainConfig
from ldr2hdr.train.distributed import DistContext, all_ranks_true, wrap_ddp
from ldr2hdr.train.recipes import build_generator, recipe_for


@dataclass
class StepResult:
    """What one step did: its scalars (loss parts, floats) and whether it was skipped."""

    scalars: dict[str, float]
    skipped: bool


class DiscriminatorLogits(nn.Module):
    """``forward`` = the discriminator's logits, so DistributedDataParallel can wrap them."""

    def __init__(self, discriminator: Discriminator) -> None:
        super().__init__()
        self.discriminator = discriminator

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        return self.discriminator.logits(image, condition)


def _finite(values: list[Tensor]) -> bool:
    return bool(torch.stack([value.isfinite().all() for value in values]).all())


class Trainer:
    """The recipe's networks and optimisers, the gradient scaler of a run, and its step.

    Args:
        config: the run's configuration.
        context: the process's rank, world size and device.

    Attributes:
        recipe: the training recipe (:func:`~ldr2hdr.train.recipes.recipe_for`).
        model: the generator; discriminator: the recipe's discriminator or ``None``.
        optimizers: the recipe's optimisers by name (``stage1``, ``stage2``,
            ``discriminator`` or ``generator``).
    """

    def __init__(self, config: TrainConfig, context: DistContext) -> None:
        self.config = config
        self.device = context.device
        self.context = context
        torch.manual_seed(config.run.seed)
        self.memory_format = (
            torch.channels_last if config.run.channels_last else torch.contiguous_format
        )
        self.recipe = recipe_for(build_generator(config), config)
        self.model = self.recipe.generator.to(self.device, memory_format=self.memory_format)
        self.discriminator = self.recipe.discriminator
        if self.discriminator is not None:
            self.discriminator.to(self.device, memory_format=self.memory_format)
        self.optimizers = self.recipe.make_optimizers(config.optim)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=config.run.precision == "fp16")
        self.autocast_dtype = PRECISIONS[config.run.precision]  # float32: no autocast
        self.label_rng = torch.Generator(self.device).manual_seed(config.run.seed)
        self.generator_ddp = wrap_ddp(self.model, context)
        self.discriminator_ddp = (
            wrap_ddp(DiscriminatorLogits(self.discriminator), context)
            if self.discriminator is not None
            else None
        )

    def set_learning_rate(self, lr: float) -> None:
        """Use ``lr`` in every optimiser from the next step on."""
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = lr

    def networks(self) -> dict[str, nn.Module]:
        """The trained networks by optimiser name (``stage1``, ``stage2``, ``discriminator``…)."""
        return self.recipe.networks()

    def _autocast(self) -> contextlib.AbstractContextManager:
        return autocast(self.device, self.autocast_dtype)

    def _to_device(self, batch: Sample) -> Sample:
        return Sample(
            *(
                t.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
                for t in batch
            )
        )

    def _buffers(self) -> list[Tensor]:
        return [b for net in self.networks().values() for b in net.buffers()]

    def _gradients(self) -> list[Tensor]:
        return [
            p.grad
            for opt in self.optimizers.values()
            for g in opt.param_groups
            for p in g["params"]
            if p.grad is not None
        ]

    def _backward(self, batch: Sample) -> dict[str, Tensor]:
        """Both backward passes of a step; the step's detached scalars."""
        with self._autocast():
            output = self.generator_ddp(batch.ldr)
        losses = self.recipe.generator_losses(output, batch, autocast=self._autocast)
        self.scaler.scale(losses.total).backward()
        parts = dict(losses.scalars)
        if self.discriminator_ddp is not None and losses.fake is not None:
            loss = self.recipe.discriminator_loss(
                self.discriminator_ddp,
                batch,
                losses.fake,
                autocast=self._autocast,
                rng=self.label_rng,
            )
            self.scaler.scale(loss).backward()
            parts["loss/discriminator"] = loss.detach()
        return parts

    def train_step(self, batch: Sample) -> StepResult:
        """One step on a batch (``Sample`` of B×3×H×W float32: ldr [0, 1], ref8, hdr NTIRE)."""
        batch = self._to_device(batch)
        saved_buffers = [b.detach().clone() for b in self._buffers()]
        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)
        parts = self._backward(batch)
        for optimizer in self.optimizers.values():
            self.scaler.unscale_(optimizer)
        finite = _finite([*parts.values(), *self._gradients()])
        scalars = {name: float(value) for name, value in parts.items()}
        if not all_ranks_true(finite, self.context):
            self._skip(saved_buffers)
            return StepResult(scalars, skipped=True)
        for optimizer in self.optimizers.values():
            self.scaler.step(optimizer)
        self.scaler.update()
        return StepResult(scalars, skipped=False)

    def _skip(self, saved_buffers: list[Tensor]) -> None:
        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            for buffer, saved in zip(self._buffers(), saved_buffers, strict=True):
                buffer.copy_(saved)
        if self.scaler.is_enabled():
            self.scaler.update(self.scaler.get_scale() * self.scaler.get_backoff_factor())

    def state_dict(self) -> dict[str, Any]:
        """Networks, optimisers, scaler and label RNG (tensors and plain values only)."""
        return {
            "generator": self.model.state_dict(),
            "discriminator": (
                self.discriminator.state_dict() if self.discriminator is not None else None
            ),
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "scaler": self.scaler.state_dict(),
            "label_rng": self.label_rng.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (same config)."""
        self.model.load_state_dict(state["generator"])
        if self.discriminator is not None:
            self.discriminator.load_state_dict(state["discriminator"])
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        if state["scaler"]:
            self.scaler.load_state_dict(state["scaler"])
        self.label_rng.set_state(state["label_rng"].cpu())
