"""Pixel losses (L1, 1 − MS-SSIM) and the combined losses of the two stages.

Stage I (8-bit-range target): ``w_l1·L1 + w_ms·(1 − MS-SSIM) + λ·adv`` with λ = 1e-4 (paper).
Stage II (HDR target): ``w_l1·L1 + w_c·ΔE₀₀``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch.nn.functional as F
from pytorch_msssim import ms_ssim
from torch import Tensor

from ldr2hdr.losses.adversarial import generator_adv_loss
from ldr2hdr.losses.color import color_loss

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
"""Per-scale exponents of MS-SSIM (Wang et al. 2003), five scales."""

MS_SSIM_SIGMA = 1.5
MS_SSIM_MAX_WINDOW = 11
MS_SSIM_MIN_WINDOW = 3
_DOWNSAMPLINGS = len(MS_SSIM_WEIGHTS) - 1

DEFAULT_ADV_WEIGHT = 1e-4
"""λ of stage I's adversarial term in the paper (the reference code uses 1e-3)."""


def _check_pair(pred: Tensor, target: Tensor) -> None:
    if pred.dim() != 4 or pred.shape != target.shape:
        raise ValueError(
            "pred and target must both have shape (B, C, H, W), got "
            f"{tuple(pred.shape)} and {tuple(target.shape)}"
        )


def l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error.

    Args:
        pred: (B, C, H, W) float, any domain.
        target: same shape and domain.

    Returns:
        0-d tensor, ``mean(|pred - target|)``.
    """
    _check_pair(pred, target)
    return F.l1_loss(pred, target)


def ms_ssim_window(short_side: int) -> int:
    """Gaussian window size used by :func:`ms_ssim_loss` for images with this short side.

    ``pytorch-msssim`` needs ``short_side > (window - 1) · 2**4`` for its four downsamplings.
    The window is 11 (the paper's) where that holds, else the largest odd size that fits: 9 for
    145–160 px, 7 for 113–144 px (the paper's 128×128 crops), 5 for 81–112 px, 3 for 33–80 px.

    Args:
        short_side: min(H, W) of the images, in pixels.

    Returns:
        Odd window size in [3, 11].
    """
    window = min(MS_SSIM_MAX_WINDOW, (short_side - 1) // 2**_DOWNSAMPLINGS + 1)
    if window % 2 == 0:
        window -= 1
    if window < MS_SSIM_MIN_WINDOW:
        smallest = (MS_SSIM_MIN_WINDOW - 1) * 2**_DOWNSAMPLINGS + 1
        raise ValueError(
            f"MS-SSIM needs images of at least {smallest} px on the short side, got {short_side}"
        )
    return window


def ms_ssim_loss(pred: Tensor, target: Tensor, *, data_range: float = 1.0) -> Tensor:
    """1 − MS-SSIM (5 scales, Gaussian σ = 1.5, the standard weights), via ``pytorch-msssim``.

    The window is 11×11 when the short side exceeds 160 px and shrinks otherwise (7×7 on
    128×128 crops), see :func:`ms_ssim_window`.

    Args:
        pred: (B, C, H, W) float; stage I's output, 8-bit range [0, 1] NTIRE domain.
        target: same shape.
        data_range: dynamic range of the values (1 for [0, 1] images).

    Returns:
        0-d tensor in [0, 1] (0 for identical inputs), averaged over batch and channels.
    """
    _check_pair(pred, target)
    window = ms_ssim_window(min(pred.shape[-2:]))
    similarity = ms_ssim(
        pred,
        target,
        data_range=data_range,
        win_size=window,
        win_sigma=MS_SSIM_SIGMA,
        weights=list(MS_SSIM_WEIGHTS),
    )
    return 1.0 - similarity


def _check_weights(loss: object) -> None:
    for field in fields(loss):  # type: ignore[arg-type]
        value = getattr(loss, field.name)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (is_number and math.isfinite(value) and value >= 0):
            raise ValueError(f"{field.name} must be a finite number ≥ 0, got {value!r}")


@dataclass(frozen=True)
class Stage1Loss:
    """Stage I loss: ``l1_weight·L1 + ms_ssim_weight·(1 − MS-SSIM) + adv_weight·adv``.

    Call with ``(pred, target, fake_logits=...)``: pred and target (B, 3, H, W) float, 8-bit
    range [0, 1], NTIRE domain; ``fake_logits`` are the discriminator's logits on ``pred`` (not
    detached). Without ``fake_logits`` the adversarial term is left out.

    Returns ``(total, parts)``: the 0-d weighted total and a dict of the unweighted, detached
    parts ``"l1"``, ``"ms_ssim"`` (the value of 1 − MS-SSIM) and, when given, ``"adv"``.
    """

    l1_weight: float = 1.0
    ms_ssim_weight: float = 1.0
    adv_weight: float = DEFAULT_ADV_WEIGHT

    def __post_init__(self) -> None:
        _check_weights(self)

    def __call__(
        self, pred: Tensor, target: Tensor, *, fake_logits: Tensor | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Weighted total (0-d) and the unweighted parts (detached 0-d tensors)."""
        parts = {"l1": l1_loss(pred, target), "ms_ssim": ms_ssim_loss(pred, target)}
        total = self.l1_weight * parts["l1"] + self.ms_ssim_weight * parts["ms_ssim"]
        if fake_logits is not None:
            parts["adv"] = generator_adv_loss(fake_logits)
            total = total + self.adv_weight * parts["adv"]
        return total, {name: value.detach() for name, value in parts.items()}


@dataclass(frozen=True)
class Stage2Loss:
    """Stage II loss: ``l1_weight·L1 + color_weight·ΔE₀₀`` (mean CIEDE2000, Lab units).

    Call with ``(pred, target)``: (B, 3, H, W) float, NTIRE domain, relative HDR (no upper
    bound). Returns ``(total, parts)`` with detached unweighted parts ``"l1"`` and ``"delta_e"``.
    """

    l1_weight: float = 1.0
    color_weight: float = 1.0

    def __post_init__(self) -> None:
        _check_weights(self)

    def __call__(self, pred: Tensor, target: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Weighted total (0-d) and the unweighted parts (detached 0-d tensors)."""
        parts = {"l1": l1_loss(pred, target), "delta_e": color_loss(pred, target)}
        total = self.l1_weight * parts["l1"] + self.color_weight * parts["delta_e"]
        return total, {name: value.detach() for name, value in parts.items()}
