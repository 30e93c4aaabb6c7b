"""ExpandNet (Marnerides et al., *ExpandNet: A Deep Convolutional Neural Network for High Dynamic
Range Expansion from Low Dynamic Range Content*, Eurographics 2018), re-implemented for the NTIRE
domain (456,899 parameters).

Three branches see the LDR image and are fused by 1×1 convolutions:

- local: two 3×3 convs (3→64→128), SELU after each;
- dilated: four 3×3 convs with dilation 2 (3→64→64→64→64), SELU after all but the last;
- global: the image resized (bilinear) to 256×256, six stride-2 3×3 convs (3→64, then 64→64)
  with SELU down to 4×4, and a 4×4 conv without activation to a 64-vector, which is copied to
  every pixel;
- fusion: concatenation (128 + 64 + 64 = 256 channels), 1×1 conv 256→64 + SELU, 1×1 conv 64→3.

Output domain: the original ends in a sigmoid because it was trained on HDR images normalised per
image to [0, 1] (linear). Here the target has a fixed scale (NTIRE domain, 1.0 = the input's
white, no upper bound), so the sigmoid is replaced by a softplus and the last conv predicts the
NTIRE-domain value ``y = linear ** (1/2.24)`` directly: ``hdr = softplus(z) > 0``.

The global branch makes every output pixel depend on the whole image, so the model has no finite
receptive radius (``receptive_radius = None``: inference does not tile it).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ldr2hdr.models.base import ModelOutput
from ldr2hdr.models.registry import register_model

FEATURES = 64
LOCAL_FEATURES = 128
DILATION = 2
DILATED_LAYERS = 4
GLOBAL_SIZE = 256  # the global branch sees the image resized to 256×256
GLOBAL_DOWNSAMPLINGS = 6  # 256 / 2**6 = 4
GLOBAL_KERNEL = GLOBAL_SIZE // 2**GLOBAL_DOWNSAMPLINGS  # the last conv reduces 4×4 to 1×1


def conv_selu(
    in_channels: int,
    out_channels: int,
    *,
    kernel: int = 3,
    stride: int = 1,
    dilation: int = 1,
) -> nn.Sequential:
    """A convolution ("same" zero padding at stride 1) followed by SELU."""
    padding = dilation * (kernel // 2)
    conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding, dilation)
    return nn.Sequential(conv, nn.SELU())


class ExpandNet(nn.Module):
    """ExpandNet: local, dilated and global branches fused by 1×1 convolutions.

    ``forward`` takes N×3×H×W float LDR in [0, 1] (any H, W ≥ 1) and returns a
    :class:`ModelOutput` whose ``hdr`` is N×3×H×W, NTIRE domain (relative: 1.0 = input white),
    > 0, unbounded; ``ldr`` is ``None``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.local = nn.Sequential(conv_selu(3, FEATURES), conv_selu(FEATURES, LOCAL_FEATURES))
        dilated = [conv_selu(3, FEATURES, dilation=DILATION)]
        dilated += [
            conv_selu(FEATURES, FEATURES, dilation=DILATION) for _ in range(DILATED_LAYERS - 2)
        ]
        dilated.append(nn.Conv2d(FEATURES, FEATURES, 3, padding=DILATION, dilation=DILATION))
        self.dilated = nn.Sequential(*dilated)
        downsampling = [conv_selu(3, FEATURES, stride=2)]
        downsampling += [
            conv_selu(FEATURES, FEATURES, stride=2) for _ in range(GLOBAL_DOWNSAMPLINGS - 1)
        ]
        self.glob = nn.Sequential(*downsampling, nn.Conv2d(FEATURES, FEATURES, GLOBAL_KERNEL))
        self.fuse = nn.Sequential(
            conv_selu(LOCAL_FEATURES + 2 * FEATURES, FEATURES, kernel=1),
            nn.Conv2d(FEATURES, 3, 1),
        )
        self.receptive_radius = None  # the global branch sees the whole image

    def forward(self, x: Tensor) -> ModelOutput:
        height, width = x.shape[-2:]
        resized = F.interpolate(
            x, size=(GLOBAL_SIZE, GLOBAL_SIZE), mode="bilinear", align_corners=False
        )
        glob = self.glob(resized).expand(-1, -1, height, width)
        features = torch.cat([self.local(x), self.dilated(x), glob], dim=1)
        return ModelOutput(hdr=F.softplus(self.fuse(features)))


@register_model("expandnet")
def expandnet() -> ExpandNet:
    """ExpandNet (Marnerides et al. 2018) with a softplus NTIRE-domain output (456,899 params)."""
    return ExpandNet()
