"""Training recipes: the choice by model type, their networks and optimisers, stage I's gradient
with and without end to end, FHDR scored on every iteration, the checkpoint layout."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from _training_helpers import CPU, tiny_config

from ldr2hdr.data import Sample
from ldr2hdr.losses import Stage1Loss, Stage2Loss
from ldr2hdr.models import TwoStage, create_model
from ldr2hdr.train import Trainer
from ldr2hdr.train.recipes import (
    Recipe,
    SingleGeneratorRecipe,
    TwoStageRecipe,
    build_generator,
    recipe_for,
)

pytestmark = pytest.mark.usefixtures("one_thread")

NOWHERE = Path("unused-data-root")  # the recipes never read data


def no_autocast():
    return torch.autocast("cpu", enabled=False)


def random_batch(size: int = 40) -> Sample:
    """B = 2 random crops: ldr in [0, 1], ref8 near it, hdr ≥ ref8 (MS-SSIM needs > 32 px)."""
    generator = torch.Generator().manual_seed(3)
    ldr = torch.rand(2, 3, size, size, generator=generator)
    ref8 = (ldr + 0.05 * torch.rand(2, 3, size, size, generator=generator)).clamp(0, 1)
    return Sample(ldr, ref8, ref8 * (1 + 3 * torch.rand(2, 3, size, size, generator=generator)))


def test_recipe_follows_the_model_type_not_its_name() -> None:
    config = tiny_config(NOWHERE, model={"name": "expandnet"})
    assert isinstance(recipe_for(TwoStage(), config), TwoStageRecipe)
    for name in ("stage1", "expandnet", "fhdr"):
        recipe = recipe_for(create_model(name), config)
        assert isinstance(recipe, SingleGeneratorRecipe) and isinstance(recipe, Recipe)


def test_two_stage_recipe_networks_and_optimisers() -> None:
    cases = ((True, ["stage1", "stage2", "discriminator"]), (False, ["stage1", "stage2"]))
    for adversarial, names in cases:
        config = tiny_config(NOWHERE, loss={"adversarial": adversarial})
        recipe = recipe_for(build_generator(config), config)
        assert (recipe.discriminator is not None) == adversarial
        assert list(recipe.networks()) == list(recipe.make_optimizers(config.optim)) == names
    config = tiny_config(NOWHERE, loss={"conditional_discriminator": True})
    assert recipe_for(build_generator(config), config).discriminator.conditional


def test_single_generator_recipe_has_one_optimiser() -> None:
    config = tiny_config(NOWHERE, model={"name": "stage2"})
    recipe = recipe_for(build_generator(config), config)
    optimizers = recipe.make_optimizers(config.optim)
    assert list(optimizers) == ["generator"] and recipe.discriminator is None
    assert list(optimizers["generator"].param_groups[0]["params"]) == list(
        recipe.generator.parameters()
    )
    with pytest.raises(RuntimeError, match="no discriminator"):
        recipe.discriminator_loss(
            recipe.generator,
            random_batch(),
            torch.zeros(1),
            autocast=no_autocast,
            rng=torch.Generator(),
        )


def stage1_gradients(end_to_end: bool) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Stage I's gradients from the recipe's total and from stage I's own loss alone."""
    config = tiny_config(NOWHERE, model={"end_to_end": end_to_end})
    torch.manual_seed(0)
    recipe = recipe_for(build_generator(config), config)
    batch, model = random_batch(), recipe.generator
    output = model(batch.ldr)
    recipe.generator_losses(output, batch, autocast=no_autocast).total.backward()
    from_total = [p.grad.clone() for p in model.stage1.parameters()]
    model.zero_grad(set_to_none=True)
    output = model(batch.ldr)
    fake_logits = recipe.discriminator.logits(output.ldr)
    loss = Stage1Loss(adv_weight=config.loss.adversarial_weight)
    loss(output.ldr, batch.ref8, fake_logits=fake_logits)[0].backward()
    return from_total, [p.grad for p in model.stage1.parameters()]


def test_detached_stage2_leaves_stage1_its_own_gradient() -> None:
    from_total, own = stage1_gradients(end_to_end=False)
    assert all(torch.equal(a, b) for a, b in zip(from_total, own, strict=True))
    from_total, own = stage1_gradients(end_to_end=True)
    assert not all(torch.equal(a, b) for a, b in zip(from_total, own, strict=True))


def test_fhdr_training_loss_is_the_mean_over_its_iterations() -> None:
    torch.manual_seed(0)
    model = create_model("fhdr", iterations=3)
    batch = random_batch(size=16)
    output = model.train()(batch.ldr)
    assert len(output.per_iteration) == 3 and output.per_iteration[-1] is output.hdr
    losses = SingleGeneratorRecipe(model=model).generator_losses(
        output, batch, autocast=no_autocast
    )
    each = [Stage2Loss()(hdr, batch.hdr) for hdr in output.per_iteration]
    expected = sum(total for total, _ in each) / 3
    assert losses.total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert not torch.equal(each[0][0], each[-1][0])  # the iterations' losses differ
    for part in ("l1", "delta_e"):
        mean = sum(parts[part] for _, parts in each) / 3
        assert losses.scalars[f"loss/{part}"].item() == pytest.approx(mean.item(), rel=1e-6)
    with torch.no_grad():
        inference = model.eval()(batch.ldr)
    assert inference.per_iteration == () and torch.equal(inference.hdr, output.hdr.detach())


@pytest.mark.parametrize(
    ("model", "optimizers"),
    [("twostage", {"stage1", "stage2", "discriminator"}), ("expandnet", {"generator"})],
)
def test_checkpoint_layout_is_unchanged(model: str, optimizers: set[str]) -> None:
    """The checkpoint keys of the trainer before recipes, so that old checkpoints resume."""
    trainer = Trainer(tiny_config(NOWHERE, model={"name": model}), CPU)
    state = trainer.state_dict()
    assert list(state) == ["generator", "discriminator", "optimizers", "scaler", "label_rng"]
    assert set(state["optimizers"]) == optimizers
    assert state["generator"].keys() == trainer.model.state_dict().keys()
    assert (state["discriminator"] is None) == (model != "twostage")
    Trainer(tiny_config(NOWHERE, model={"name": model}), CPU).load_state_dict(state)
