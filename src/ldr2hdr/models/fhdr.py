"""FHDR (Khan, Khanna and Raman, *FHDR: HDR Image Reconstruction from a Single LDR Image using
Feedback Network*, GlobalSIP 2019), re-implemented for the NTIRE domain (571,267 parameters).

A feedback network: one feedback block is run ``iterations`` times on the same low-level
features, each time also seeing its own previous output (the hidden state):

- feature extraction: 3×3 conv 3→64 (reflect padding) + ReLU → F1, 3×3 conv 64→64 + ReLU → F2;
- feedback block, per iteration: 1×1 conv on [F2, hidden] (128→64), three dilated dense blocks,
  3×3 conv 64→64 + ReLU; its output is the next hidden state (the first hidden state is F2);
- dilated dense block: 1×1 conv on [input, the block's own previous output] (128→64), four
  densely connected 3×3 convs with dilation 2 (growth 32, no bias) + ReLU, 1×1 conv 192→64 (no
  bias); its output is the block's next hidden state (the first one is its input);
- reconstruction: (feedback output + F1) → 3×3 conv 64→64 + ReLU → 3×3 conv 64→3 (reflect
  padding).

Output domain: the original feeds LDR and HDR (linear, normalised to [0, 1]) as ``2v − 1``, ends
in tanh, and computes its loss on μ-law tone-mapped values. Here the target has a fixed scale
(NTIRE domain, 1.0 = the input's white, no upper bound), so the tanh is replaced by a softplus and
the last conv predicts the NTIRE-domain value directly: ``hdr = softplus(z) > 0``. The input is
still fed as ``2x − 1``.

Differences from the reference code (github.com/mukulkhanna/FHDR): the hidden states start afresh
at every forward call (the reference code keeps them between batches); gradients flow through the
hidden states (back-propagation through the iterations; the reference code detaches them); in
eval mode only the last iteration's output is reconstructed and returned; the default is 4
iterations (the paper studies 1 to 4; the reference code defaults to 1); PyTorch's default
initialisation (the reference code sets every conv weight to zero before training).

Training, as in the reference code, scores every iteration: in training mode ``forward`` also
reconstructs each iteration's output and returns them as ``ModelOutput.per_iteration`` (the last
is ``hdr``, computed exactly as in eval mode), and the trainer's single-generator recipe
(:mod:`ldr2hdr.train.recipes`) averages its loss over them (the project's stage-II loss
``L1 + ΔE₀₀`` in the NTIRE domain, where the reference code averages L1 and a VGG loss on μ-law
tone-mapped values).

Receptive radius, exactly: the extraction convs reach ±2 px, each feedback iteration ±25 (three
blocks of four dilation-2 3×3 convs, ±8 each, and the 3×3 output conv), the reconstruction ±2;
hidden states never reach further than the current input, so ``receptive_radius = 4 + 25·k``
for k iterations (104 for the default 4).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ldr2hdr.models.base import ModelOutput
from ldr2hdr.models.layers import conv3x3, reflect_pad
from ldr2hdr.models.registry import register_model

FEATURES = 64
GROWTH = 32
DENSE_LAYERS = 4
DILATION = 2
DENSE_BLOCKS = 3
DEFAULT_ITERATIONS = 4
EXTRACTION_RADIUS = 2  # two 3×3 convs
BLOCK_RADIUS = DENSE_LAYERS * DILATION  # four dilated 3×3 convs; the 1×1 convs add nothing
FEEDBACK_RADIUS = DENSE_BLOCKS * BLOCK_RADIUS + 1  # plus the block's 3×3 output conv
RECONSTRUCTION_RADIUS = 2  # two 3×3 convs


def _pad1(x: Tensor) -> Tensor:
    return reflect_pad(x, top=1, bottom=1, left=1, right=1)


class DilatedDenseBlock(nn.Module):
    """Dilated dense block with its own hidden state.

    ``forward(x, hidden)``: x and hidden N×64×H×W features → N×64×H×W (also the next hidden).
    """

    def __init__(self) -> None:
        super().__init__()
        self.compress = nn.Conv2d(2 * FEATURES, FEATURES, 1)
        self.dense = nn.ModuleList(
            nn.Conv2d(
                FEATURES + i * GROWTH, GROWTH, 3, padding=DILATION, dilation=DILATION, bias=False
            )
            for i in range(DENSE_LAYERS)
        )
        self.fuse = nn.Conv2d(FEATURES + DENSE_LAYERS * GROWTH, FEATURES, 1, bias=False)

    def forward(self, x: Tensor, hidden: Tensor) -> Tensor:
        features = [self.compress(torch.cat([x, hidden], dim=1))]
        for layer in self.dense:
            features.append(torch.relu(layer(torch.cat(features, dim=1))))
        return self.fuse(torch.cat(features, dim=1))


class FeedbackBlock(nn.Module):
    """The feedback block: 1×1 compression of [input, hidden], three dilated dense blocks, 3×3
    conv + ReLU.

    ``forward(x, hidden, block_hidden)``: x and hidden N×64×H×W, ``block_hidden`` the dense
    blocks' previous outputs (``None`` on the first iteration). Returns the block's output
    N×64×H×W (the next hidden) and the dense blocks' outputs.
    """

    def __init__(self) -> None:
        super().__init__()
        self.compress = nn.Conv2d(2 * FEATURES, FEATURES, 1)
        self.blocks = nn.ModuleList(DilatedDenseBlock() for _ in range(DENSE_BLOCKS))
        self.out = conv3x3(FEATURES, FEATURES)

    def forward(
        self, x: Tensor, hidden: Tensor, block_hidden: list[Tensor] | None
    ) -> tuple[Tensor, list[Tensor]]:
        features = self.compress(torch.cat([x, hidden], dim=1))
        outputs = []
        for index, block in enumerate(self.blocks):
            previous = features if block_hidden is None else block_hidden[index]
            features = block(features, previous)
            outputs.append(features)
        return torch.relu(self.out(features)), outputs


class FHDR(nn.Module):
    """FHDR: feature extraction, ``iterations`` passes of the feedback block, reconstruction.

    ``forward`` takes N×3×H×W float LDR in [0, 1] (any H, W ≥ 1) and returns a
    :class:`ModelOutput` whose ``hdr`` is N×3×H×W, NTIRE domain (relative: 1.0 = input white),
    > 0, unbounded; ``ldr`` is ``None``. In training mode ``per_iteration`` holds every
    iteration's estimate (``iterations`` tensors like ``hdr``, the last is ``hdr``); in eval mode
    it is empty and only the last iteration is reconstructed.
    """

    def __init__(self, *, iterations: int = DEFAULT_ITERATIONS) -> None:
        super().__init__()
        if not isinstance(iterations, int) or isinstance(iterations, bool):
            raise TypeError(f"iterations must be an int, got {iterations!r}")
        if iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations!r}")
        self.iterations = iterations
        self.extract1 = nn.Conv2d(3, FEATURES, 3)  # reflect-padded in forward
        self.extract2 = conv3x3(FEATURES, FEATURES)
        self.feedback = FeedbackBlock()
        self.reconstruct1 = conv3x3(FEATURES, FEATURES)
        self.reconstruct2 = nn.Conv2d(FEATURES, 3, 3)  # reflect-padded in forward
        self.receptive_radius = (
            EXTRACTION_RADIUS + iterations * FEEDBACK_RADIUS + RECONSTRUCTION_RADIUS
        )

    def reconstruct(self, hidden: Tensor, low: Tensor) -> Tensor:
        """A feedback output and F1 (N×64×H×W each) → HDR estimate N×3×H×W (NTIRE, > 0)."""
        out = self.reconstruct2(_pad1(torch.relu(self.reconstruct1(hidden + low))))
        return F.softplus(out)

    def forward(self, x: Tensor) -> ModelOutput:
        low = torch.relu(self.extract1(_pad1(2.0 * x - 1.0)))
        features = torch.relu(self.extract2(low))
        hidden, block_hidden = features, None
        outputs = []
        for index in range(self.iterations):
            hidden, block_hidden = self.feedback(features, hidden, block_hidden)
            if self.training or index == self.iterations - 1:
                outputs.append(self.reconstruct(hidden, low))
        return ModelOutput(hdr=outputs[-1], per_iteration=tuple(outputs) if self.training else ())


@register_model("fhdr")
def fhdr(*, iterations: int = DEFAULT_ITERATIONS) -> FHDR:
    """FHDR (Khan et al. 2019) with a softplus NTIRE-domain output (571,267 parameters)."""
    return FHDR(iterations=iterations)
