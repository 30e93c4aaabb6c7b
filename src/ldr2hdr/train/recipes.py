"""Training recipes: which networks a run trains, their optimisers, and how a batch is scored.

A :class:`Recipe` owns a run's networks (a generator and, optionally, a discriminator), makes
one Adam optimiser per trained network, turns the generator's output on a batch into named
losses and, when it has a discriminator, computes the discriminator's loss. The
:class:`~ldr2hdr.train.loop.Trainer` keeps what every recipe shares: autocast, the backward
passes, the finite check, DistributedDataParallel, the optimiser steps and the checkpoint state.
:func:`recipe_for` picks the recipe by the generator's type.

:class:`TwoStageRecipe` (the paper's, for a :class:`~ldr2hdr.models.TwoStage` generator), three
Adam optimisers (``stage1``, ``stage2``, ``discriminator``; two without the adversarial term):

1. stage-I loss ``L1 + (1 − MS-SSIM) + λ·adv`` of stage I's output against the 8-bit reference,
   where ``adv`` is the generator BCE of the (frozen) discriminator on stage I's output;
2. stage-II loss ``L1 + ΔE₀₀`` of stage II's output against the HDR reference; stage II reads
   stage I's output detached unless ``model.end_to_end`` (the model's ``detach`` flag, set by
   :func:`build_generator`);
3. the generator total is the sum of both losses (one backward pass: stage I's weights receive
   stage I's gradient, plus stage II's when end to end; stage II's only stage II's);
4. discriminator BCE: real = 8-bit reference, fake = stage I's output, detached.

:class:`SingleGeneratorRecipe` (every other generator: the baselines and the ablations), one Adam
optimiser ``generator`` on the stage-II loss against the HDR reference; a feedback model that
returns every iteration's estimate (``ModelOutput.per_iteration``, FHDR in training mode) is
scored on the mean of the loss over its iterations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from ldr2hdr.data import Sample
from ldr2hdr.losses import Stage1Loss, Stage2Loss
from ldr2hdr.losses import discriminator_loss as discriminator_bce
from ldr2hdr.models import Discriminator, ModelOutput, TwoStage, create_model
from ldr2hdr.models.presets import resolve_weights
from ldr2hdr.models.weights import WeightsError, load_weights
from ldr2hdr.train.config import ConfigError, LossConfig, OptimConfig, TrainConfig

Autocast = Callable[[], contextlib.AbstractContextManager]
"""A context factory: the networks run inside ``autocast()`` (the run's precision)."""


@dataclass
class GeneratorLosses:
    """A batch's generator losses.

    Attributes:
        total: 0-d float32 tensor with its graph, the sum the generator's backward pass takes.
        scalars: named detached 0-d tensors to log (``loss/…``: the unweighted parts and the
            totals).
        fake: what the discriminator judges as fake (B×3×H×W, detached), or ``None`` for a
            recipe without a discriminator.
    """

    total: Tensor
    scalars: dict[str, Tensor]
    fake: Tensor | None = None


@runtime_checkable
class Recipe(Protocol):
    """What the :class:`~ldr2hdr.train.loop.Trainer` needs from a training recipe.

    Attributes:
        generator: the generator (LDR N×3×H×W in [0, 1] → ``ModelOutput``, NTIRE domain).
        discriminator: the adversary trained alongside it, or ``None``.
    """

    generator: nn.Module
    discriminator: Discriminator | None

    def networks(self) -> dict[str, nn.Module]:
        """The trained networks by optimiser name (each parameter in exactly one)."""
        ...

    def make_optimizers(self, optim: OptimConfig) -> dict[str, torch.optim.Optimizer]:
        """One optimiser per entry of :meth:`networks`, same names and order."""
        ...

    def generator_losses(
        self, output: ModelOutput, batch: Sample, *, autocast: Autocast
    ) -> GeneratorLosses:
        """Losses of the generator's ``output`` on ``batch`` (ldr, ref8, hdr: B×3×H×W)."""
        ...

    def discriminator_loss(
        self,
        discriminator: nn.Module,
        batch: Sample,
        fake: Tensor,
        *,
        autocast: Autocast,
        rng: torch.Generator,
    ) -> Tensor:
        """The discriminator's 0-d loss; called only when :attr:`discriminator` is set.

        ``discriminator(image, condition)`` returns its logits (possibly DDP-wrapped);
        ``rng`` draws the soft labels.
        """
        ...


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


def adam_per_network(
    networks: dict[str, nn.Module], optim: OptimConfig
) -> dict[str, torch.optim.Optimizer]:
    """One Adam optimiser (``optim.lr``, ``optim.betas``) per network, same names and order."""
    return {
        name: torch.optim.Adam(module.parameters(), lr=optim.lr, betas=optim.betas)
        for name, module in networks.items()
    }


class TwoStageRecipe:
    """The paper's recipe for a :class:`~ldr2hdr.models.TwoStage` generator (module docstring).

    Args:
        model: the generator; its ``detach`` flag decides whether stage II's loss reaches stage I.
        loss: the loss options; ``loss.adversarial`` adds a freshly initialised
            :class:`~ldr2hdr.models.Discriminator` (conditional when
            ``loss.conditional_discriminator``).
    """

    def __init__(self, *, model: TwoStage, loss: LossConfig) -> None:
        self.generator = model
        self.discriminator: Discriminator | None = (
            Discriminator(conditional=loss.conditional_discriminator) if loss.adversarial else None
        )
        self.conditional = loss.conditional_discriminator
        self.soft_labels = loss.soft_labels
        self.stage1_loss = Stage1Loss(adv_weight=loss.adversarial_weight)
        self.stage2_loss = Stage2Loss()

    def networks(self) -> dict[str, nn.Module]:
        """``stage1``, ``stage2`` and, with the adversarial term, ``discriminator``."""
        nets: dict[str, nn.Module] = {
            "stage1": self.generator.stage1,
            "stage2": self.generator.stage2,
        }
        if self.discriminator is not None:
            nets["discriminator"] = self.discriminator
        return nets

    def make_optimizers(self, optim: OptimConfig) -> dict[str, torch.optim.Optimizer]:
        """One Adam optimiser per network of :meth:`networks`."""
        return adam_per_network(self.networks(), optim)

    def generator_losses(
        self, output: ModelOutput, batch: Sample, *, autocast: Autocast
    ) -> GeneratorLosses:
        """Stage-I loss of ``output.ldr`` against ``batch.ref8`` plus stage-II loss of
        ``output.hdr`` against ``batch.hdr`` (NTIRE domain, B×3×H×W); ``fake`` = stage I's
        output, detached. Scalars ``loss/stage1``, ``loss/stage2`` and ``loss/stage{1,2}_*``."""
        stage1 = output.ldr.float()
        fake_logits = self._fake_logits(output.ldr, batch, autocast)
        total1, parts1 = self.stage1_loss(stage1, batch.ref8, fake_logits=fake_logits)
        total2, parts2 = self.stage2_loss(output.hdr.float(), batch.hdr)
        scalars = {f"loss/stage1_{k}": v for k, v in parts1.items()}
        scalars.update({f"loss/stage2_{k}": v for k, v in parts2.items()})
        scalars["loss/stage1"], scalars["loss/stage2"] = total1.detach(), total2.detach()
        return GeneratorLosses(total=total1 + total2, scalars=scalars, fake=stage1.detach())

    def _fake_logits(self, stage1: Tensor, batch: Sample, autocast: Autocast) -> Tensor | None:
        """The frozen discriminator's float32 logits (B,) on stage I's output, or None."""
        if self.discriminator is None:
            return None
        condition = batch.ldr if self.discriminator.conditional else None
        with frozen(self.discriminator), autocast():
            return self.discriminator.logits(stage1, condition).float()

    def discriminator_loss(
        self,
        discriminator: nn.Module,
        batch: Sample,
        fake: Tensor,
        *,
        autocast: Autocast,
        rng: torch.Generator,
    ) -> Tensor:
        """BCE of the logits on ``batch.ref8`` (real) and ``fake`` (B×3×H×W, detached)."""
        condition = batch.ldr if self.conditional else None
        with autocast():
            real_logits = discriminator(batch.ref8, condition).float()
            fake_logits = discriminator(fake, condition).float()
        return discriminator_bce(
            real_logits, fake_logits, soft_labels=self.soft_labels, generator=rng
        )


class SingleGeneratorRecipe:
    """One generator, one Adam optimiser, the stage-II loss against the HDR reference.

    Args:
        model: any generator; when its output carries ``per_iteration`` estimates (FHDR in
            training mode), the loss is their mean, else the loss of ``hdr``.
    """

    discriminator: Discriminator | None = None

    def __init__(self, *, model: nn.Module) -> None:
        self.generator = model
        self.stage2_loss = Stage2Loss()

    def networks(self) -> dict[str, nn.Module]:
        """``generator`` only."""
        return {"generator": self.generator}

    def make_optimizers(self, optim: OptimConfig) -> dict[str, torch.optim.Optimizer]:
        """One Adam optimiser, ``generator``."""
        return adam_per_network(self.networks(), optim)

    def generator_losses(
        self, output: ModelOutput, batch: Sample, *, autocast: Autocast
    ) -> GeneratorLosses:
        """Stage-II loss of the HDR estimate(s) against ``batch.hdr`` (NTIRE, B×3×H×W).
        Scalars ``loss/generator`` (the total), ``loss/l1`` and ``loss/delta_e``."""
        predictions = output.per_iteration or (output.hdr,)
        total, parts = mean_loss(self.stage2_loss, predictions, batch.hdr)
        scalars = {f"loss/{k}": v for k, v in parts.items()}
        scalars["loss/generator"] = total.detach()
        return GeneratorLosses(total=total, scalars=scalars)

    def discriminator_loss(
        self,
        discriminator: nn.Module,
        batch: Sample,
        fake: Tensor,
        *,
        autocast: Autocast,
        rng: torch.Generator,
    ) -> Tensor:
        """Not available: this recipe trains no discriminator."""
        raise RuntimeError("a single-generator recipe has no discriminator")


def mean_loss(
    loss: Stage2Loss, predictions: Sequence[Tensor], target: Tensor
) -> tuple[Tensor, dict[str, Tensor]]:
    """``loss`` averaged over ``predictions`` (each B×3×H×W, compared in float32 to
    ``target``): the mean total (0-d, with graph) and the mean of each detached part. One
    prediction gives ``loss(prediction, target)`` itself."""
    results = [loss(prediction.float(), target) for prediction in predictions]
    if len(results) == 1:
        return results[0]
    total = torch.stack([total for total, _ in results]).mean()
    parts = {name: torch.stack([p[name] for _, p in results]).mean() for name in results[0][1]}
    return total, parts


def build_generator(config: TrainConfig) -> nn.Module:
    """The generator named in ``config.model``, from ``config.model.init`` when set.

    A :class:`~ldr2hdr.models.TwoStage` generator gets ``detach = not model.end_to_end``
    (recorded in ``arch_options`` as a ``create_model`` option would be). ``config_from_dict``
    has checked the name, the options and ``init``; what only loading can find (a truncated
    weights file) is a :class:`ConfigError` here.
    """
    try:
        model = create_model(config.model.name, **config.model.options)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model: {exc}") from exc
    if isinstance(model, TwoStage):
        model.detach = not config.model.end_to_end
        model.arch_options["detach"] = model.detach
    if config.model.init:
        try:
            load_weights(resolve_weights(config.model.init), model)
        except (WeightsError, ValueError) as exc:
            raise ConfigError(f"model.init = {config.model.init!r}: {exc}") from exc
    return model


def recipe_for(model: nn.Module, config: TrainConfig) -> Recipe:
    """The recipe for ``model``: :class:`TwoStageRecipe` for a
    :class:`~ldr2hdr.models.TwoStage`, :class:`SingleGeneratorRecipe` for any other generator."""
    if isinstance(model, TwoStage):
        return TwoStageRecipe(model=model, loss=config.loss)
    return SingleGeneratorRecipe(model=model)
