"""HDRCNN (Eilertsen et al., *HDR image reconstruction from a single exposure using deep CNNs*,
SIGGRAPH Asia 2017), re-implemented for the NTIRE domain (29,443,358 parameters).

An encoder–decoder predicts log radiance; the prediction replaces the input only where the input
is near saturation:

- encoder: the 13 3×3 conv + ReLU layers of VGG16 in five stages (64, 128, 256, 512, 512
  channels), 2×2 max pooling after each, then a 3×3 conv 512→512 + BatchNorm + ReLU at 1/32 size;
- decoder: five 4×4 stride-2 transposed convs (512→512→512→256→128→64), each with BatchNorm +
  ReLU; after each, the encoder stage of the same size (the activations before its pooling) is
  fused in: the skip features ``f`` are moved to the log domain, ``log(f**γ + 1/255)``, stacked
  with the decoder's and mixed by a 1×1 conv that starts as their sum; at full size a 1×1 conv
  64→3 + BatchNorm + ReLU, and a last fusion with the log of the linearised input
  ``log(x**γ + 1/255)``;
- blend: ``α = clip((max_c x − 1 + τ) / τ, 0, 1)`` with τ = 0.05 marks near-saturated pixels;
  the output keeps the input where α = 0 and takes the prediction where α = 1.

Output domain: the original predicts ``ŷ ≈ log(H + 1/255)`` (H linear radiance) and blends in the
linear domain, ``(1 − α)·x² + α·(exp(ŷ) − 1/255)``. Here the prediction is read as log linear
radiance relative to the input's white, ``H = exp(ŷ)``, moved to the NTIRE domain
(``H ** (1/γ) = exp(ŷ/γ)``, γ = 2.24) and blended there: ``y = (1 − α)·x + α·exp(ŷ/γ)``. Pixels
with α = 0 are returned unchanged; the output is ≥ 0 everywhere.

Differences from the original: random initialisation (He normal) instead of ImageNet VGG16 weights
(the package ships no pretrained encoder weights); the input linearisation uses γ = 2.24 (the NTIRE
domain) instead of 2; the encoder takes ``x − mean`` in [0, 1] units, RGB order, instead of
``255·x − mean`` in BGR order (the same function class: the skip transform divides by 255
there); the blend happens in the NTIRE domain and without the −1/255 offset (see above).

Any H×W works: the image is padded (reflected) to a multiple of 32 and the result cropped back.
Max pooling on that grid makes the output depend on where the image is cut, so tiles cannot
reproduce the whole-image result: ``receptive_radius = None``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ldr2hdr.domain import NTIRE_GAMMA
from ldr2hdr.models.base import ModelOutput
from ldr2hdr.models.layers import conv3x3, pad_to_multiple, reflect_pad  # noqa: F401 (re-exported)
from ldr2hdr.models.registry import register_model

GAMMA = NTIRE_GAMMA  # NTIRE domain: linear = y ** GAMMA
LOG_OFFSET = 1.0 / 255.0  # the original's offset inside the log
SATURATION_BAND = 0.05  # τ: the blend ramps from max_c x = 0.95 to 1
VGG16_STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (channels, 3×3 convs)
TOTAL_STRIDE = 2 ** len(VGG16_STAGES)  # 32: five 2×2 poolings
VGG_MEAN_RGB = (123.68 / 255.0, 116.779 / 255.0, 103.939 / 255.0)
UPSAMPLE_KERNEL = 4


def highlight_mask(ldr: Tensor, *, band: float = SATURATION_BAND) -> Tensor:
    """The blend weight α of near-saturated pixels.

    Args:
        ldr: N×3×H×W float LDR in [0, 1].
        band: τ, the width of the ramp below 1.

    Returns:
        N×1×H×W, ``clip((max_c ldr − 1 + τ) / τ, 0, 1)``: 0 below 1 − τ, 1 at 1.
    """
    brightest = ldr.amax(dim=1, keepdim=True)
    return ((brightest - 1.0 + band) / band).clamp(0.0, 1.0)


def to_log_domain(values: Tensor) -> Tensor:
    """``log(values ** γ + 1/255)``: non-negative display-like values (LDR in [0, 1], or ReLU
    features) moved to the decoder's log-radiance domain. Same shape as ``values``."""
    return torch.log(values.clamp_min(0.0) ** GAMMA + LOG_OFFSET)


def blend(ldr: Tensor, log_radiance: Tensor) -> Tensor:
    """Blend the input with the prediction where it is near saturation.

    Args:
        ldr: N×3×H×W LDR in [0, 1] (NTIRE domain, 1.0 = white).
        log_radiance: N×3×H×W natural log of the predicted linear radiance (relative to white).

    Returns:
        N×3×H×W NTIRE domain, ``(1 − α)·ldr + α·exp(log_radiance / γ)`` ≥ 0.
    """
    alpha = highlight_mask(ldr)
    return (1.0 - alpha) * ldr + alpha * torch.exp(log_radiance / GAMMA)


def _bilinear_kernel(size: int) -> Tensor:
    """The size×size bilinear-interpolation kernel of a factor-2 transposed conv."""
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    ramp = 1.0 - (torch.arange(size, dtype=torch.float32) - centre).abs() / factor
    return ramp[:, None] * ramp[None, :]


class Upsample(nn.Module):
    """4×4 stride-2 transposed conv (starts as per-channel bilinear upsampling) + BN + ReLU.

    N×C_in×H×W → N×C_out×2H×2W.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.deconv = nn.ConvTranspose2d(
            in_channels, out_channels, UPSAMPLE_KERNEL, stride=2, padding=1
        )
        self.norm = nn.BatchNorm2d(out_channels)
        with torch.no_grad():
            self.deconv.weight.zero_()
            for channel in range(min(in_channels, out_channels)):
                self.deconv.weight[channel, channel] = _bilinear_kernel(UPSAMPLE_KERNEL)
            self.deconv.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.norm(self.deconv(x)))


class SkipFusion(nn.Module):
    """Fuse decoder features with encoder features of the same size and channel count.

    ``conv1x1([decoder, log(skip**γ + 1/255)])``, initialised so that it is their sum.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.mix = nn.Conv2d(2 * channels, channels, 1)
        with torch.no_grad():
            eye = torch.eye(channels)[:, :, None, None]
            self.mix.weight.copy_(torch.cat([eye, eye], dim=1))
            self.mix.bias.zero_()

    def forward(self, decoder: Tensor, skip: Tensor) -> Tensor:
        return self.mix(torch.cat([decoder, to_log_domain(skip)], dim=1))


def _vgg_stage(in_channels: int, channels: int, convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index in range(convs):
        conv = conv3x3(in_channels if index == 0 else channels, channels)
        nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        nn.init.zeros_(conv.bias)
        layers += [conv, nn.ReLU()]
    return nn.Sequential(*layers)


class HDRCNN(nn.Module):
    """HDRCNN: VGG16-like encoder, log-domain decoder with skip fusions, highlight blend.

    ``forward`` takes N×3×H×W float LDR in [0, 1] (any H, W ≥ 1) and returns a
    :class:`ModelOutput` whose ``hdr`` is N×3×H×W, NTIRE domain (relative: 1.0 = input white),
    ≥ 0, equal to the input where no channel exceeds 0.95; ``ldr`` is ``None``.
    """

    def __init__(self) -> None:
        super().__init__()
        stages, in_channels = [], 3
        for channels, convs in VGG16_STAGES:
            stages.append(_vgg_stage(in_channels, channels, convs))
            in_channels = channels
        self.encoder = nn.ModuleList(stages)
        bottleneck = conv3x3(in_channels, in_channels)
        nn.init.kaiming_normal_(bottleneck.weight, nonlinearity="relu")
        self.bottleneck = nn.Sequential(bottleneck, nn.BatchNorm2d(in_channels), nn.ReLU())
        skip_channels = [channels for channels, _ in reversed(VGG16_STAGES)]
        decoder_in = [in_channels, *skip_channels[:-1]]
        self.upsample = nn.ModuleList(
            Upsample(c_in, c_out) for c_in, c_out in zip(decoder_in, skip_channels, strict=True)
        )
        self.fusions = nn.ModuleList(SkipFusion(channels) for channels in skip_channels)
        head = nn.Conv2d(skip_channels[-1], 3, 1)
        nn.init.xavier_normal_(head.weight)
        nn.init.zeros_(head.bias)
        self.head = nn.Sequential(head, nn.BatchNorm2d(3), nn.ReLU())
        self.input_fusion = SkipFusion(3)
        self.register_buffer("mean", torch.tensor(VGG_MEAN_RGB).view(1, 3, 1, 1), persistent=False)
        self.receptive_radius = None  # pooling on a fixed grid: tiles are not exact

    def log_radiance(self, x: Tensor) -> Tensor:
        """The decoder's prediction: N×3×H×W natural log of linear radiance (1.0 = white), for
        N×3×H×W LDR in [0, 1] whose H and W are multiples of 32."""
        skips, features = [], x - self.mean
        for stage in self.encoder:
            features = stage(features)
            skips.append(features)
            features = F.max_pool2d(features, 2)
        features = self.bottleneck(features)
        stages = zip(self.upsample, self.fusions, reversed(skips), strict=True)
        for upsample, fusion, skip in stages:
            features = fusion(upsample(features), skip)
        return self.input_fusion(self.head(features), x)

    def forward(self, x: Tensor) -> ModelOutput:
        height, width = x.shape[-2:]
        padded, (top, left) = pad_to_multiple(x, TOTAL_STRIDE)
        log_radiance = self.log_radiance(padded)[..., top : top + height, left : left + width]
        return ModelOutput(hdr=blend(x, log_radiance))


@register_model("hdrcnn")
def hdrcnn() -> HDRCNN:
    """HDRCNN (Eilertsen et al. 2017), randomly initialised, NTIRE-domain blend (29,443,358
    parameters)."""
    return HDRCNN()
