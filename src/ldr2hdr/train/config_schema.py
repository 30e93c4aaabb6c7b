"""The training configuration's dataclasses: one per config-file table, every field with its
default (the paper's recipe). Loading, overrides and saving are in :mod:`ldr2hdr.train.config`,
the checks in :mod:`ldr2hdr.train.config_checks`; both import these types from here.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

PAPER_PATCHES_PER_EPOCH = 7551


@dataclass
class ModelConfig:
    """Which generator to train.

    Attributes:
        name: a registered model (``ldr2hdr models`` lists them): ``twostage`` trains with the
            paper's two-stage recipe; any other model with one optimiser and the stage-II loss.
        end_to_end: two-stage only: stage II's loss also flows into stage I (``detach=False``).
        options: extra keyword options for ``create_model``.
        init: start from these generator weights instead of a fresh initialisation: a weights
            file (``.safetensors`` of the same architecture) or a packaged preset name
            (``photo``, ``ntire``); empty = the model's own initialisation.
    """

    name: str = "twostage"
    end_to_end: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    init: str = ""


@dataclass
class LossConfig:
    """Loss options (two-stage recipe; single-generator models use L1 + ΔE₀₀ only).

    Attributes:
        adversarial: add the discriminator's adversarial term to stage I's loss.
        adversarial_weight: λ of that term (the paper: 1e-4; the reference code: 1e-3).
        soft_labels: the reference code's noisy labels (real ~ U[0.7, 1.2), fake ~ U[0, 0.3)).
        conditional_discriminator: the paper's D(output, input) instead of D(output).
    """

    adversarial: bool = True
    adversarial_weight: float = 1e-4
    soft_labels: bool = False
    conditional_discriminator: bool = False


@dataclass
class OptimConfig:
    """Adam settings and schedule (one optimiser per network).

    Attributes:
        lr: learning rate (the paper's, constant: 5e-4).
        betas: Adam's (β1, β2).
        batch_size: patches per step over all processes (divided among DDP ranks).
        epochs: passes over the training set.
        schedule: ``constant`` (the paper) or ``cosine``: ``lr`` until step ``decay_start``,
            then half a cosine down to ``min_lr`` at the run's last step.
        decay_start: cosine only: the step where the decay begins.
        min_lr: cosine only: the learning rate at the last step, in [0, lr].
    """

    lr: float = 5e-4
    betas: tuple[float, float] = (0.9, 0.99)
    batch_size: int = 8
    epochs: int = 25
    schedule: str = "constant"
    decay_start: int = 0
    min_lr: float = 0.0


@dataclass
class DataConfig:
    """Where the training pairs come from.

    Attributes:
        source: ``"hdr"`` (a collection of HDR images through the camera simulator) or
            ``"ntire"`` (the NTIRE 2021 layout).
        root: the folder of HDR images or NTIRE frames.
        crop: square training crop side in pixels (the paper: 128).
        flip: random left-right flips (the reference code has none).
        exposure: NTIRE only: which shot is the input (``medium`` as the paper, or ``random``).
        samples_per_epoch: HDR collections only: random views drawn per epoch (the paper's
            training set has 7,551 patches).
        val_fraction: fraction of the scenes held out for validation when ``val_scenes`` is
            empty (at least one scene when positive; 0 disables validation).
        val_scenes: a text file listing the validation scene ids, one per line.
        val_size: square side of the validation images in pixels (views or centre crops).
        val_count: at most this many validation images are scored.
        workers: DataLoader worker processes (0 = load in the training process).
        camera: HDR collections only: ranges for the camera simulator
            (``ldr2hdr.data.CameraParams`` fields).
    """

    source: str = "hdr"
    root: str = ""
    crop: int = 128
    flip: bool = False
    exposure: str = "medium"
    samples_per_epoch: int = PAPER_PATCHES_PER_EPOCH
    val_fraction: float = 0.1
    val_scenes: str = ""
    val_size: int = 256
    val_count: int = 16
    workers: int = 2
    camera: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunConfig:
    """How the run executes and reports.

    Attributes:
        seed: seeds the weights' initialisation, the data order and every random draw.
        device: ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``.
        precision: ``fp32``, ``bf16`` (autocast) or ``fp16`` (autocast + gradient scaler).
        channels_last: run the networks in channels-last memory format.
        max_steps: stop after this many optimisation steps in all (0 = run every epoch).
        log_every: log the training losses every this many steps.
        validate_every: validate (and write a sample grid) every this many steps (0 = only at
            the end).
        checkpoint_every: write the full checkpoint every this many steps (always at the end).
        sample_count: validation images shown in the sample grid.
        export: which generator ``model.safetensors`` holds: ``best`` (the best validation
            μ-PSNR so far; the last when nothing is validated) or ``last`` (the last step's).
    """

    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"
    channels_last: bool = False
    max_steps: int = 0
    log_every: int = 10
    validate_every: int = 1000
    checkpoint_every: int = 500
    sample_count: int = 4
    export: str = "best"


@dataclass
class TrainConfig:
    """The whole training configuration (one field per config-file table)."""

    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))
