"""One optimisation step of the paper's recipe (or of a single generator), with its state.

Two-stage recipe (``model.name = "twostage"``), three Adam optimisers (stage I, stage II,
discriminator), per step:

1. stage I forward; stage-I loss ``L1 + (1 − MS-SSIM) + λ·adv`` against the 8-bit reference,
   where ``adv`` is the generator BCE of the (frozen) discriminator on stage I's output;
2. stage II forward on stage I's output, detached (default) or not (``end_to_end``); stage-II
   loss ``L1 + ΔE₀₀`` against the HDR reference;
3. one backward pass of the sum of both losses: stage I's weights receive stage I's loss
   gradient (plus stage II's when end to end), stage II's only stage II's;
4. discriminator loss (BCE, real = 8-bit reference, fake = stage I's output detached) and its
   backward pass;
5. the three optimisers step.

This is the paper's sequence (update stage I, then the discriminator, then stage II on the
detached stage-I output) computed in another order: each gradient depends only on the weights
before the step, so the updates are the same. Other models train with one optimiser on the
stage-II loss against the HDR reference.

A step whose losses or gradients are not all finite is skipped: no optimiser steps, gradients
are cleared, BatchNorm running statistics are restored, and :attr:`StepResult.skipped` is set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ldr2hdr.data import Sample
from ldr2hdr.losses import Stage1Loss, Stage2Loss, discriminator_loss
from ldr2hdr.models import Discriminator, TwoStage, create_model
from ldr2hdr.models.presets import resolve_weights
from ldr2hdr.models.weights import WeightsError, load_weights
from ldr2hdr.runtime import PRECISIONS, autocast
from ldr2hdr.train.config import ConfigError, TrainConfig
from ldr2hdr.train.distributed import DistContext, all_ranks_true, wrap_ddp


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


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Disable gradients of ``module``'s parameters inside the block (restored afterwards)."""
    flags = [p.requires_grad for p in module.parameters()]
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in zip(module.parameters(), flags, strict=True):
            parameter.requires_grad_(flag)


def build_generator(config: TrainConfig) -> nn.Module:
    """The generator named in ``config.model`` (``end_to_end`` → ``detach=False``), started
    from ``model.init`` when given. ``config_from_dict`` has checked the name, the options and
    ``init``; what only loading can find (a truncated weights file) is a ConfigError here."""
    options = dict(config.model.options)
    if config.model.name == "twostage":
        options["detach"] = not config.model.end_to_end
    try:
        model = create_model(config.model.name, **options)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model: {exc}") from exc
    if config.model.init:
        try:
            load_weights(resolve_weights(config.model.init), model)
        except (WeightsError, ValueError) as exc:
            raise ConfigError(f"model.init = {config.model.init!r}: {exc}") from exc
    return model


def _finite(values: list[Tensor]) -> bool:
    return bool(torch.stack([value.isfinite().all() for value in values]).all())


class Trainer:
    """The networks, optimisers and gradient scaler of a run, and its step.

    Args:
        config: the run's configuration.
        context: the process's rank, world size and device.
    """

    def __init__(self, config: TrainConfig, context: DistContext) -> None:
        self.config = config
        self.device = context.device
        self.context = context
        torch.manual_seed(config.run.seed)
        self.memory_format = (
            torch.channels_last if config.run.channels_last else torch.contiguous_format
        )
        self.model = build_generator(config).to(self.device, memory_format=self.memory_format)
        self.two_stage = isinstance(self.model, TwoStage)
        self.discriminator: Discriminator | None = None
        if self.two_stage and config.loss.adversarial:
            self.discriminator = Discriminator(
                conditional=config.loss.conditional_discriminator
            ).to(self.device, memory_format=self.memory_format)
        self.optimizers = self._make_optimizers()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=config.run.precision == "fp16")
        self.autocast_dtype = PRECISIONS[config.run.precision]  # float32: no autocast
        self.label_rng = torch.Generator(self.device).manual_seed(config.run.seed)
        self.generator_ddp = wrap_ddp(self.model, context)
        self.discriminator_ddp = (
            wrap_ddp(DiscriminatorLogits(self.discriminator), context)
            if self.discriminator is not None
            else None
        )
        self.stage1_loss = Stage1Loss(adv_weight=config.loss.adversarial_weight)
        self.stage2_loss = Stage2Loss()

    def _make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        optim = self.config.optim
        groups: dict[str, nn.Module] = (
            {"stage1": self.model.stage1, "stage2": self.model.stage2}
            if self.two_stage
            else {"generator": self.model}
        )
        if self.discriminator is not None:
            groups["discriminator"] = self.discriminator
        return {
            name: torch.optim.Adam(module.parameters(), lr=optim.lr, betas=optim.betas)
            for name, module in groups.items()
        }

    def set_learning_rate(self, lr: float) -> None:
        """Use ``lr`` in every optimiser from the next step on."""
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = lr

    def networks(self) -> dict[str, nn.Module]:
        """The trained networks by optimiser name (``stage1``, ``stage2``, ``discriminator``…)."""
        nets: dict[str, nn.Module] = (
            {"stage1": self.model.stage1, "stage2": self.model.stage2}
            if self.two_stage
            else {"generator": self.model}
        )
        if self.discriminator is not None:
            nets["discriminator"] = self.discriminator
        return nets

    def _autocast(self) -> contextlib.AbstractContextManager:
        return autocast(self.device, self.autocast_dtype)

    def _to_device(self, batch: Sample) -> Sample:
        return Sample(
            *(
                t.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
                for t in batch
            )
        )

    def _generator_losses(self, batch: Sample) -> tuple[Tensor, dict[str, Tensor], Tensor | None]:
        """Total generator loss, its parts (detached) and stage I's output (or None)."""
        with self._autocast():
            output = self.generator_ddp(batch.ldr)
        if not self.two_stage:
            total, parts = self.stage2_loss(output.hdr.float(), batch.hdr)
            scalars = {f"loss/{k}": v for k, v in parts.items()}
            scalars["loss/generator"] = total.detach()
            return total, scalars, None
        stage1 = output.ldr.float()
        fake_logits = None
        if self.discriminator is not None:
            condition = batch.ldr if self.discriminator.conditional else None
            with frozen(self.discriminator), self._autocast():
                fake_logits = self.discriminator.logits(output.ldr, condition).float()
        total1, parts1 = self.stage1_loss(stage1, batch.ref8, fake_logits=fake_logits)
        total2, parts2 = self.stage2_loss(output.hdr.float(), batch.hdr)
        parts = {f"loss/stage1_{k}": v for k, v in parts1.items()}
        parts.update({f"loss/stage2_{k}": v for k, v in parts2.items()})
        parts["loss/stage1"], parts["loss/stage2"] = total1.detach(), total2.detach()
        return total1 + total2, parts, stage1.detach()

    def _discriminator_loss(self, discriminator: nn.Module, batch: Sample, fake: Tensor) -> Tensor:
        condition = batch.ldr if self.config.loss.conditional_discriminator else None
        with self._autocast():
            real_logits = discriminator(batch.ref8, condition).float()
            fake_logits = discriminator(fake, condition).float()
        return discriminator_loss(
            real_logits,
            fake_logits,
            soft_labels=self.config.loss.soft_labels,
            generator=self.label_rng,
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

    def train_step(self, batch: Sample) -> StepResult:
        """One step on a batch (``Sample`` of B×3×H×W float32: ldr [0, 1], ref8, hdr NTIRE)."""
        batch = self._to_device(batch)
        saved_buffers = [b.detach().clone() for b in self._buffers()]
        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)
        total, parts, fake = self._generator_losses(batch)
        self.scaler.scale(total).backward()
        if self.discriminator_ddp is not None and fake is not None:
            parts["loss/discriminator"] = self._discriminator_loss(
                self.discriminator_ddp, batch, fake
            )
            self.scaler.scale(parts["loss/discriminator"]).backward()
            parts["loss/discriminator"] = parts["loss/discriminator"].detach()
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
