"""The two-stage network of Sharif et al., *A Two-stage Deep Network for High Dynamic Range Image
Reconstruction* (NTIRE 2021), exact to the paper (834,476 parameters).

Stage I corrects the 8-bit image (its target is the HDR reference clipped to [0, 1]); stage II
expands stage I's output to HDR. Both work in the NTIRE 2021 domain ``y = linear ** (1 / 2.24)``,
1.0 = the input's clipping white. Every convolution has stride 1 and "same" padding, so any
H×W works and the output has the input's size.

Receptive field: a 3×3 conv reaches ±1 px; one RDAB ±5 px (its dense branch chains five 3×3
convs; the attention branch's 7×7 and 3×3 convs reach only ±3); the 1×1 output conv ±0. Stage I
(input conv + 2 blocks) reaches ±11 px, stage II (input conv + 1 block) ±6, the two stages ±17.
Outside the image, zero padding applies at every layer, so a tile of an image reproduces the
whole-image result exactly at pixels at least ``receptive_radius`` away from its cut edges.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ldr2hdr.models.base import ModelOutput
from ldr2hdr.models.layers import conv3x3
from ldr2hdr.models.registry import register_model

__all__ = [
    "ModelOutput",
    "ResidualDenseAttentionBlock",
    "SingleStage",
    "SpatialAttention",
    "StageNet",
    "TwoStage",
    "conv3x3",
]

FEATURES = 64
GROWTH = 32
DENSE_LAYERS = 4
RESIDUAL_SCALE = 0.8
ATTENTION_KERNEL = 7
STAGE1_BLOCKS, STAGE1_DENSE_SCALE = 2, 0.2
STAGE2_BLOCKS, STAGE2_DENSE_SCALE = 1, 0.5
BLOCK_RADIUS = DENSE_LAYERS + 1  # five chained 3×3 convs in the dense branch
INPUT_CONV_RADIUS = 1


class SpatialAttention(nn.Module):
    """CBAM-style spatial attention branch: ``S(X) = sigmoid(conv7x7([mean_c X, max_c X])) ⊙
    conv3x3(X)`` (the 7×7 conv has no bias)."""

    def __init__(self, *, channels: int = FEATURES) -> None:
        super().__init__()
        pad = ATTENTION_KERNEL // 2
        self.att = nn.Conv2d(2, 1, ATTENTION_KERNEL, padding=pad, bias=False)
        self.conv = conv3x3(channels, channels)

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return torch.sigmoid(self.att(pooled)) * self.conv(x)


class ResidualDenseAttentionBlock(nn.Module):
    """RDAB(X) = R(X) + S(X): a residual dense branch and a spatial attention branch, both on X.

    R(X) = 0.8·(s·F(X) + X) + X, where F is four densely connected 3×3 conv + ReLU layers (growth
    32) fused by a 3×3 conv (no activation), and s is the block's ``dense_scale``.
    """

    def __init__(self, *, dense_scale: float, channels: int = FEATURES) -> None:
        super().__init__()
        self.dense_scale = dense_scale
        self.dense = nn.ModuleList(
            conv3x3(channels + i * GROWTH, GROWTH) for i in range(DENSE_LAYERS)
        )
        self.fuse = conv3x3(channels + DENSE_LAYERS * GROWTH, channels)
        self.attention = SpatialAttention(channels=channels)

    def dense_branch(self, x: Tensor) -> Tensor:
        features = [x]
        for layer in self.dense:
            features.append(torch.relu(layer(torch.cat(features, dim=1))))
        fused = self.fuse(torch.cat(features, dim=1))
        return RESIDUAL_SCALE * (self.dense_scale * fused + x) + x

    def forward(self, x: Tensor) -> Tensor:
        return self.dense_branch(x) + self.attention(x)


class StageNet(nn.Module):
    """One stage: input conv 3→64 → ``blocks`` × RDAB → 1×1 conv 64→3 → + stage input → ReLU.

    Input and output: N×3×H×W float, NTIRE domain; output ≥ 0, same size as the input.
    ``identity_init`` zeroes the output conv, so that the untrained stage returns its input
    (a training choice, not the paper's: a short run starts from the do-nothing baseline).
    """

    def __init__(self, *, blocks: int, dense_scale: float, identity_init: bool = False) -> None:
        super().__init__()
        self.inp = conv3x3(3, FEATURES)
        self.blocks = nn.Sequential(
            *(ResidualDenseAttentionBlock(dense_scale=dense_scale) for _ in range(blocks))
        )
        self.out = nn.Conv2d(FEATURES, 3, 1)
        if identity_init:
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)
        self.receptive_radius = INPUT_CONV_RADIUS + blocks * BLOCK_RADIUS

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.out(self.blocks(self.inp(x))) + x)


def stage1_net(*, identity_init: bool = False) -> StageNet:
    """Stage I as in the paper: 2 blocks, dense scale 0.2 (555,655 parameters)."""
    return StageNet(
        blocks=STAGE1_BLOCKS, dense_scale=STAGE1_DENSE_SCALE, identity_init=identity_init
    )


def stage2_net(*, identity_init: bool = False) -> StageNet:
    """Stage II as in the paper: 1 block, dense scale 0.5 (278,821 parameters)."""
    return StageNet(
        blocks=STAGE2_BLOCKS, dense_scale=STAGE2_DENSE_SCALE, identity_init=identity_init
    )


class TwoStage(nn.Module):
    """Stage I then stage II. ``forward`` returns both outputs as a :class:`ModelOutput`.

    Args:
        detach: feed stage II a detached copy of stage I's output (the reference code's choice,
            default), so each stage learns from its own loss only; ``False`` trains end to end.
        identity_init: start both stages as the identity (see :class:`StageNet`).
    """

    def __init__(self, *, detach: bool = True, identity_init: bool = False) -> None:
        super().__init__()
        self.detach = detach
        self.stage1 = stage1_net(identity_init=identity_init)
        self.stage2 = stage2_net(identity_init=identity_init)
        self.receptive_radius = self.stage1.receptive_radius + self.stage2.receptive_radius

    def forward(self, x: Tensor) -> ModelOutput:
        ldr = self.stage1(x)
        hdr = self.stage2(ldr.detach() if self.detach else ldr)
        return ModelOutput(hdr=hdr, ldr=ldr)


class SingleStage(nn.Module):
    """One stage alone, mapping LDR straight to HDR (the paper's Table 2 ablation)."""

    def __init__(self, stage: StageNet) -> None:
        super().__init__()
        self.stage = stage
        self.receptive_radius = stage.receptive_radius

    def forward(self, x: Tensor) -> ModelOutput:
        return ModelOutput(hdr=self.stage(x))


@register_model("twostage")
def twostage(*, detach: bool = True, identity_init: bool = False) -> TwoStage:
    """The full two-stage network (834,476 parameters)."""
    return TwoStage(detach=detach, identity_init=identity_init)


@register_model("stage1")
def stage1_only(*, identity_init: bool = False) -> SingleStage:
    """Ablation: stage I alone (2 blocks, s = 0.2), trained against the HDR reference."""
    return SingleStage(stage1_net(identity_init=identity_init))


@register_model("stage2")
def stage2_only(*, identity_init: bool = False) -> SingleStage:
    """Ablation: stage II alone (1 block, s = 0.5), fed the LDR input directly."""
    return SingleStage(stage2_net(identity_init=identity_init))
