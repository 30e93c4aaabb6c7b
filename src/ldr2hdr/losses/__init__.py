"""Training losses: L1, 1 − MS-SSIM, a differentiable CIEDE2000, adversarial BCE, stage losses.

See ``docs/metrics.md`` for the formulas and the choices made (MS-SSIM window on small crops,
soft labels, gradient safety of ΔE₀₀).
"""

from ldr2hdr.losses.adversarial import (
    SOFT_FAKE_RANGE,
    SOFT_REAL_RANGE,
    discriminator_loss,
    generator_adv_loss,
    soft_targets,
)
from ldr2hdr.losses.color import (
    D65_XY,
    NTIRE_GAMMA,
    SRGB_TO_XYZ,
    DeltaE2000Loss,
    color_loss,
    delta_e2000,
    ntire_to_lab,
    ntire_to_linear,
    rgb_to_xyz,
    xyz_to_lab,
)
from ldr2hdr.losses.stage import (
    DEFAULT_ADV_WEIGHT,
    MS_SSIM_WEIGHTS,
    Stage1Loss,
    Stage2Loss,
    l1_loss,
    ms_ssim_loss,
    ms_ssim_window,
)

__all__ = [
    "D65_XY",
    "DEFAULT_ADV_WEIGHT",
    "MS_SSIM_WEIGHTS",
    "NTIRE_GAMMA",
    "SOFT_FAKE_RANGE",
    "SOFT_REAL_RANGE",
    "SRGB_TO_XYZ",
    "DeltaE2000Loss",
    "Stage1Loss",
    "Stage2Loss",
    "color_loss",
    "delta_e2000",
    "discriminator_loss",
    "generator_adv_loss",
    "l1_loss",
    "ms_ssim_loss",
    "ms_ssim_window",
    "ntire_to_lab",
    "ntire_to_linear",
    "rgb_to_xyz",
    "soft_targets",
    "xyz_to_lab",
]
