"""The discriminator used for stage I's adversarial loss (about 4.69 M parameters).

conv 3×3 (3→64) + swish, then seven conv 3×3 + BatchNorm + swish layers whose depth doubles and
size halves in turns (64→64 /2, 64→128, 128→128 /2, 128→256, 256→256 /2, 256→512, 512→512 /2),
then a 1×1 conv 512→1, a global average pool and a sigmoid: one probability per image.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

BASE_CHANNELS = 64
# (out_channels, stride) of the seven conv + BatchNorm + swish layers after the first conv.
BODY_LAYERS = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2))


def conv_bn_swish(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    """3×3 conv (padding 1) + BatchNorm + swish (SiLU)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.SiLU(),
    )


class Discriminator(nn.Module):
    """Real/fake classifier of 8-bit-range images (N×3×H×W, [0, 1], NTIRE domain).

    Args:
        conditional: the paper's conditional GAN D(output, input): the LDR input is concatenated
            to the judged image (6 input channels). Default ``False``, as the reference code.
    """

    def __init__(self, *, conditional: bool = False) -> None:
        super().__init__()
        self.conditional = conditional
        in_channels = 6 if conditional else 3
        layers: list[nn.Module] = [nn.Conv2d(in_channels, BASE_CHANNELS, 3, padding=1), nn.SiLU()]
        channels = BASE_CHANNELS
        for out_channels, stride in BODY_LAYERS:
            layers.append(conv_bn_swish(channels, out_channels, stride))
            channels = out_channels
        layers.append(nn.Conv2d(channels, 1, 1))
        self.body = nn.Sequential(*layers)

    def logits(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        """Pre-sigmoid scores, shape (N,). ``condition`` (the LDR input) iff ``conditional``."""
        if self.conditional != (condition is not None):
            need = "needs" if self.conditional else "takes no"
            raise ValueError(f"this discriminator {need} a condition image")
        x = image if condition is None else torch.cat([image, condition], dim=1)
        return self.body(x).mean(dim=(1, 2, 3))

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        """Probability that each image is real, shape (N,), in (0, 1)."""
        return torch.sigmoid(self.logits(image, condition))
