"""A model as the chain of stages that inference tiles one after the other.

Tiling a chain stage by stage costs less than tiling it whole: each stage's windows overlap by
that stage's own receptive radius, not by the sum of all of them. For the two-stage network
(stage I reaches ±11 px, stage II ±6, the whole ±17) a 12 MP photo computes 1.07× its pixels in
stage I and 1.04× in stage II, where the whole network tiled with ±17 px computed 1.11×: about
5 % less work (docs/inference.md). Stage I's result is one float32 H×W×3 array, which
stage II overwrites tile by tile (:func:`~ldr2hdr.inference.tiling.apply_tiled_in_place`), so
the split costs no second full-size array.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from ldr2hdr.models.twostage import SingleStage, TwoStage


class HdrOutput(nn.Module):
    """A registered model reduced to its HDR output (``model(x).hdr``), for models that are
    tiled whole."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x).hdr


@dataclass(frozen=True)
class Stage:
    """One stage: ``module`` maps N×3×h×w (NTIRE domain; the first stage's input is the photo
    in [0, 1]) to N×3×h×w, NTIRE domain; ``radius`` is its receptive radius in pixels (``None``:
    it cannot be tiled exactly)."""

    module: nn.Module
    radius: int | None


def network_stages(model: nn.Module) -> list[Stage]:
    """The stages of a registered model, first to last.

    ``TwoStage``: stage I then stage II (at inference ``detach`` changes nothing); ``SingleStage``:
    its one stage; any other model: itself, whole (:class:`HdrOutput`).
    """
    if isinstance(model, TwoStage):
        modules = [model.stage1, model.stage2]
    elif isinstance(model, SingleStage):
        modules = [model.stage]
    else:
        return [Stage(HdrOutput(model), getattr(model, "receptive_radius", None))]
    return [Stage(m, m.receptive_radius) for m in modules]
