"""Colour conversion NTIRE RGB → linear sRGB → CIE XYZ → CIELAB, and a differentiable CIEDE2000.

Every function is pure PyTorch and differentiable with finite gradients everywhere, including at
black, at achromatic colours (a = b = 0), at identical pairs and across the hue wrap-around: the
square roots and the arctangent go through "double where" guards that give a zero (sub)gradient
at their singular point instead of ``inf``/``nan``. Away from those exact points the values are
the textbook formulas, unchanged (no epsilon is added).

CIEDE2000 follows G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula:
implementation notes, supplementary test data, and mathematical observations", Color Research &
Application 30(1), 2005, with k_L = k_C = k_H = 1.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ldr2hdr.domain import NTIRE_GAMMA

SRGB_TO_XYZ = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
"""Linear sRGB → CIE XYZ (D65), the matrix of IEC 61966-2-1 (as in colour-science)."""

D65_XY = (0.3127, 0.3290)
"""CIE 1931 2° chromaticity of the D65 white point; the Lab reference white has Y = 1."""

_LAB_DELTA = 6.0 / 29.0  # CIE 1976: cube root above DELTA**3, linear segment below
_LAB_OFFSET = 4.0 / 29.0
_L_SCALE, _L_OFFSET, _A_SCALE, _B_SCALE = 116.0, 16.0, 500.0, 200.0

# CIEDE2000 constants (Sharma et al. 2005, equations 2-22).
_CHROMA_PIVOT = 25.0  # the 25 in C**7 / (C**7 + 25**7)
_L_MID = 50.0
_SL_COEF, _SL_OFFSET, _SC_COEF, _SH_COEF = 0.015, 20.0, 0.045, 0.015
# T = 1 + sum(coef * cos(multiple * h - phase)), angles in degrees.
_T_TERMS = ((-0.17, 1.0, 30.0), (0.24, 2.0, 0.0), (0.32, 3.0, -6.0), (-0.20, 4.0, 63.0))
_ROTATION_PEAK, _ROTATION_CENTRE, _ROTATION_WIDTH = 30.0, 275.0, 25.0
_HALF_TURN, _FULL_TURN = 180.0, 360.0


def _d65_white() -> tuple[float, float, float]:
    """XYZ of the D65 white point scaled to Y = 1."""
    x, y = D65_XY
    return (x / y, 1.0, (1.0 - x - y) / y)


def safe_sqrt(x: Tensor) -> Tensor:
    """Square root that maps x ≤ 0 to 0 with gradient 0 there (finite everywhere).

    Args:
        x: any shape, any float dtype.

    Returns:
        ``sqrt(x)`` where x > 0, else 0; same shape and dtype.
    """
    positive = x > 0
    root = torch.sqrt(torch.where(positive, x, torch.ones_like(x)))
    return torch.where(positive, root, torch.zeros_like(x))


def ntire_to_linear(y: Tensor) -> Tensor:
    """NTIRE-domain values → linear relative values, ``max(y, 0) ** 2.24``.

    Args:
        y: any shape, float, NTIRE domain (1.0 = the LDR clipping white; negatives become 0).

    Returns:
        Same shape and dtype, linear relative radiance ≥ 0. The gradient is finite at 0 (it is 0).
    """
    return y.clamp_min(0.0).pow(NTIRE_GAMMA)


def rgb_to_xyz(rgb: Tensor) -> Tensor:
    """Linear sRGB (D65) → CIE XYZ.

    Args:
        rgb: (*, 3, H, W) float, linear relative RGB (white = 1, values above 1 allowed).

    Returns:
        (*, 3, H, W) XYZ of the same dtype, relative (white Y = 1).
    """
    _check_channels(rgb, "rgb")
    matrix = torch.tensor(SRGB_TO_XYZ, dtype=rgb.dtype, device=rgb.device)
    return torch.einsum("ij,...jhw->...ihw", matrix, rgb)


def _lab_f(t: Tensor) -> Tensor:
    """CIE 1976 lightness function: cube root above (6/29)**3, linear segment below."""
    cube_branch = t > _LAB_DELTA**3
    cube = torch.where(cube_branch, t, torch.ones_like(t)).pow(1.0 / 3.0)
    linear = t / (3.0 * _LAB_DELTA**2) + _LAB_OFFSET
    return torch.where(cube_branch, cube, linear)


def xyz_to_lab(xyz: Tensor) -> Tensor:
    """CIE XYZ → CIELAB with the D65 white at Y = 1.

    Args:
        xyz: (*, 3, H, W) float, relative XYZ (white Y = 1); values above white are allowed and
            follow the cube-root branch (L > 100).

    Returns:
        (*, 3, H, W) CIELAB (L, a, b), same dtype; L = 100 at Y = 1.
    """
    _check_channels(xyz, "xyz")
    white = torch.tensor(_d65_white(), dtype=xyz.dtype, device=xyz.device).view(3, 1, 1)
    fx, fy, fz = _lab_f(xyz / white).unbind(-3)
    lightness = _L_SCALE * fy - _L_OFFSET
    return torch.stack([lightness, _A_SCALE * (fx - fy), _B_SCALE * (fy - fz)], dim=-3)


def ntire_to_lab(y: Tensor) -> Tensor:
    """NTIRE-domain RGB → CIELAB: ``max(y, 0)**2.24`` → XYZ (sRGB/D65) → Lab (white Y = 1).

    Args:
        y: (*, 3, H, W) float, NTIRE domain (relative; 1.0 = LDR white, no upper bound).

    Returns:
        (*, 3, H, W) CIELAB, same dtype; LDR white ↦ L ≈ 100, brighter values give L > 100.
    """
    return xyz_to_lab(rgb_to_xyz(ntire_to_linear(y)))


def _check_channels(image: Tensor, name: str) -> None:
    if image.dim() < 3 or image.shape[-3] != 3:
        raise ValueError(f"{name} must have shape (*, 3, H, W), got {tuple(image.shape)}")


def _chroma_weight(chroma: Tensor) -> Tensor:
    """``sqrt(C**7 / (C**7 + 25**7))``, written so the gradient at C = 0 is finite (0)."""
    q = (chroma / _CHROMA_PIVOT).pow(3.5)
    return q / torch.sqrt(q * q + 1.0)


def _hue_degrees(a: Tensor, b: Tensor, chroma_sq: Tensor) -> Tensor:
    """Hue angle in [0, 360] degrees; 0 (with zero gradient) where a = b = 0."""
    achromatic = chroma_sq <= 0
    angle = torch.atan2(
        torch.where(achromatic, torch.zeros_like(b), b),
        torch.where(achromatic, torch.ones_like(a), a),
    )
    hue = torch.rad2deg(angle)
    return torch.where(hue < 0, hue + _FULL_TURN, hue)


def _hue_difference_and_mean(h1: Tensor, h2: Tensor, chromatic: Tensor) -> tuple[Tensor, Tensor]:
    """Δh' (in (-180, 180]) and the mean hue h̄' with Sharma's branch rules."""
    diff = h2 - h1
    wrapped = torch.where(diff > _HALF_TURN, diff - _FULL_TURN, diff)
    wrapped = torch.where(diff < -_HALF_TURN, diff + _FULL_TURN, wrapped)
    total = h1 + h2
    far_apart = torch.where(total < _FULL_TURN, total + _FULL_TURN, total - _FULL_TURN)
    mean = torch.where(diff.abs() <= _HALF_TURN, total, far_apart) / 2.0
    hue_difference = torch.where(chromatic, wrapped, torch.zeros_like(diff))
    return hue_difference, torch.where(chromatic, mean, total)


def _hue_weighting(mean_hue: Tensor) -> Tensor:
    """The hue weighting function T(h̄') of CIEDE2000."""
    t = torch.ones_like(mean_hue)
    for coef, multiple, phase in _T_TERMS:
        t = t + coef * torch.cos(torch.deg2rad(multiple * mean_hue - phase))
    return t


def delta_e2000(lab1: Tensor, lab2: Tensor) -> Tensor:
    """CIEDE2000 colour difference ΔE₀₀ (k_L = k_C = k_H = 1), differentiable.

    Args:
        lab1: (…, 3) float CIELAB (L, a, b), channel last; L may exceed 100.
        lab2: (…, 3) float CIELAB, broadcastable against ``lab1``.

    Returns:
        (…) ΔE₀₀ ≥ 0 of the broadcast shape, same dtype. Gradients are finite everywhere.
    """
    if lab1.shape[-1:] != (3,) or lab2.shape[-1:] != (3,):
        raise ValueError(
            f"lab1 and lab2 must have shape (..., 3), got {tuple(lab1.shape)} and "
            f"{tuple(lab2.shape)}"
        )
    l1, a1, b1 = lab1.unbind(-1)
    l2, a2, b2 = lab2.unbind(-1)
    chroma_mean = (safe_sqrt(a1 * a1 + b1 * b1) + safe_sqrt(a2 * a2 + b2 * b2)) / 2.0
    a_scale = 1.0 + 0.5 * (1.0 - _chroma_weight(chroma_mean))
    a1p, a2p = a_scale * a1, a_scale * a2
    c1p_sq, c2p_sq = a1p * a1p + b1 * b1, a2p * a2p + b2 * b2
    c1p, c2p = safe_sqrt(c1p_sq), safe_sqrt(c2p_sq)
    h1p, h2p = _hue_degrees(a1p, b1, c1p_sq), _hue_degrees(a2p, b2, c2p_sq)
    chromatic = (c1p_sq > 0) & (c2p_sq > 0)
    dhp, mean_hue = _hue_difference_and_mean(h1p, h2p, chromatic)
    big_dh = 2.0 * safe_sqrt(c1p * c2p) * torch.sin(torch.deg2rad(dhp / 2.0))

    l_offset_sq = ((l1 + l2) / 2.0 - _L_MID) ** 2
    s_l = 1.0 + _SL_COEF * l_offset_sq / torch.sqrt(_SL_OFFSET + l_offset_sq)
    mean_cp = (c1p + c2p) / 2.0
    s_c = 1.0 + _SC_COEF * mean_cp
    s_h = 1.0 + _SH_COEF * mean_cp * _hue_weighting(mean_hue)
    rotation = _ROTATION_PEAK * torch.exp(-(((mean_hue - _ROTATION_CENTRE) / _ROTATION_WIDTH) ** 2))
    r_t = -torch.sin(torch.deg2rad(2.0 * rotation)) * 2.0 * _chroma_weight(mean_cp)

    term_l, term_c, term_h = (l2 - l1) / s_l, (c2p - c1p) / s_c, big_dh / s_h
    return safe_sqrt(term_l**2 + term_c**2 + term_h**2 + r_t * term_c * term_h)


def color_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean CIEDE2000 difference between two NTIRE-domain RGB batches.

    Both images go NTIRE → linear (``max(y, 0)**2.24``) → XYZ (sRGB/D65) → Lab (white Y = 1).

    Args:
        pred: (B, 3, H, W) float, NTIRE domain (relative, any non-negative range).
        target: (B, 3, H, W) float, same shape, NTIRE domain.

    Returns:
        0-d tensor: ΔE₀₀ averaged over all B·H·W pixels (Lab units, ≥ 0).
    """
    if pred.dim() != 4 or pred.shape[1] != 3 or pred.shape != target.shape:
        raise ValueError(
            "pred and target must both have shape (B, 3, H, W), got "
            f"{tuple(pred.shape)} and {tuple(target.shape)}"
        )
    lab_pred = ntire_to_lab(pred).movedim(1, -1)
    lab_target = ntire_to_lab(target).movedim(1, -1)
    return delta_e2000(lab_pred, lab_target).mean()


class DeltaE2000Loss(nn.Module):
    """Module form of :func:`color_loss` (mean ΔE₀₀ of NTIRE-domain RGB batches)."""

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """(B, 3, H, W) NTIRE-domain pred and target → 0-d mean ΔE₀₀."""
        return color_loss(pred, target)
