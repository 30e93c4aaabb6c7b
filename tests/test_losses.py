"""Tests of ldr2hdr.losses: CIEDE2000 against published data and colour-science, gradients, the
colour conversion, MS-SSIM on 128×128 crops, the adversarial BCE and the combined stage losses."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ldr2hdr.losses import (
    DeltaE2000Loss,
    Stage1Loss,
    Stage2Loss,
    color_loss,
    delta_e2000,
    discriminator_loss,
    generator_adv_loss,
    l1_loss,
    ms_ssim_loss,
    ms_ssim_window,
    ntire_to_lab,
    rgb_to_xyz,
    soft_targets,
    xyz_to_lab,
)

with warnings.catch_warnings():  # colour-science warns that SciPy/Matplotlib are missing
    warnings.simplefilter("ignore")
    import colour

# Sharma, Wu & Dalal (2005), Table 1: pair, L1 a1 b1, L2 a2 b2, ΔE00.
SHARMA_2005 = """
1 50.0000 2.6772 -79.7751 50.0000 0.0000 -82.7485 2.0425
2 50.0000 3.1571 -77.2803 50.0000 0.0000 -82.7485 2.8615
3 50.0000 2.8361 -74.0200 50.0000 0.0000 -82.7485 3.4412
4 50.0000 -1.3802 -84.2814 50.0000 0.0000 -82.7485 1.0000
5 50.0000 -1.1848 -84.8006 50.0000 0.0000 -82.7485 1.0000
6 50.0000 -0.9009 -85.5211 50.0000 0.0000 -82.7485 1.0000
7 50.0000 0.0000 0.0000 50.0000 -1.0000 2.0000 2.3669
8 50.0000 -1.0000 2.0000 50.0000 0.0000 0.0000 2.3669
9 50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0009 7.1792
10 50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0010 7.1792
11 50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0011 7.2195
12 50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0012 7.2195
13 50.0000 -0.0010 2.4900 50.0000 0.0009 -2.4900 4.8045
14 50.0000 -0.0010 2.4900 50.0000 0.0010 -2.4900 4.8045
15 50.0000 -0.0010 2.4900 50.0000 0.0011 -2.4900 4.7461
16 50.0000 2.5000 0.0000 50.0000 0.0000 -2.5000 4.3065
17 50.0000 2.5000 0.0000 73.0000 25.0000 -18.0000 27.1492
18 50.0000 2.5000 0.0000 61.0000 -5.0000 29.0000 22.8977
19 50.0000 2.5000 0.0000 56.0000 -27.0000 -3.0000 31.9030
20 50.0000 2.5000 0.0000 58.0000 24.0000 15.0000 19.4535
21 50.0000 2.5000 0.0000 50.0000 3.1736 0.5854 1.0000
22 50.0000 2.5000 0.0000 50.0000 3.2972 0.0000 1.0000
23 50.0000 2.5000 0.0000 50.0000 1.8634 0.5757 1.0000
24 50.0000 2.5000 0.0000 50.0000 3.2592 0.3350 1.0000
25 60.2574 -34.0099 36.2677 60.4626 -34.1751 39.4387 1.2644
26 63.0109 -31.0961 -5.8663 62.8187 -29.7946 -4.0864 1.2630
27 61.2901 3.7196 -5.3901 61.4292 2.2480 -4.9620 1.8731
28 35.0831 -44.1164 3.7933 35.0232 -40.0716 1.5901 1.8645
29 22.7233 20.0904 -46.6940 23.0331 14.9730 -42.5619 2.0373
30 36.4612 47.8580 18.3852 36.2715 50.5065 21.2231 1.4146
31 90.8027 -2.0831 1.4410 91.1528 -1.6435 0.0447 1.4441
32 90.9257 -0.5406 -0.9208 88.6381 -0.8985 -0.7239 1.5381
33 6.7747 -0.2908 -2.4247 5.8714 -0.0985 -2.2286 0.6377
34 2.0776 0.0795 -1.1350 0.9033 -0.0636 -0.5514 0.9082
"""
SHARMA = np.array([line.split() for line in SHARMA_2005.strip().splitlines()], dtype=np.float64)
assert SHARMA.shape == (34, 8)

# Pairs whose gradient must stay finite: black, achromatic, identical, hue wrap-around.
EDGE_PAIRS = [
    ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),  # black = black
    ((0.0, 0.0, 0.0), (30.0, 5.0, -5.0)),  # black vs colour
    ((50.0, 0.0, 0.0), (60.0, 0.0, 0.0)),  # both achromatic
    ((50.0, 0.0, 0.0), (50.0, 10.0, -20.0)),  # one achromatic
    ((50.0, 0.0, 1e-30), (50.0, 3.0, 4.0)),  # chroma underflows when squared
    ((40.0, 20.0, 30.0), (40.0, 20.0, 30.0)),  # identical
    ((50.0, 10.0, -1e-3), (50.0, 10.0, 1e-3)),  # hue 359.99° vs 0.01°
    ((50.0, -10.0, -1e-3), (50.0, -10.0, 1e-3)),  # hue 180.01° vs 179.99°
    ((50.0, -0.001, 2.49), (50.0, 0.0011, -2.49)),  # Sharma 15, mean-hue branch
    ((120.0, 0.0, 0.0), (150.0, 0.0, 0.0)),  # above white, achromatic
]


def _lab_pairs(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    lab1 = torch.tensor([pair[0] for pair in EDGE_PAIRS], dtype=dtype, requires_grad=True)
    lab2 = torch.tensor([pair[1] for pair in EDGE_PAIRS], dtype=dtype, requires_grad=True)
    return lab1, lab2


def _random_lab(rng: np.random.Generator, n: int, *, l_max: float = 100.0) -> np.ndarray:
    return rng.uniform([0.0, -128.0, -128.0], [l_max, 128.0, 128.0], size=(n, 3))


# ---------------------------------------------------------------- CIEDE2000 values


def test_delta_e2000_matches_sharma_table() -> None:
    lab1, lab2 = torch.from_numpy(SHARMA[:, 1:4]), torch.from_numpy(SHARMA[:, 4:7])
    expected = SHARMA[:, 7]
    assert np.abs(delta_e2000(lab1, lab2).numpy() - expected).max() < 1e-4
    assert np.abs(delta_e2000(lab2, lab1).numpy() - expected).max() < 1e-4  # symmetric


def test_delta_e2000_sharma_hue_discontinuity_pairs_13_to_15() -> None:
    rows = SHARMA[12:15]
    value = delta_e2000(torch.from_numpy(rows[:, 1:4]), torch.from_numpy(rows[:, 4:7]))
    np.testing.assert_allclose(value.numpy(), [4.8045, 4.8045, 4.7461], atol=1e-4)


def test_delta_e2000_matches_colour_science_on_random_pairs() -> None:
    rng = np.random.default_rng(2005)
    lab1 = np.concatenate([_random_lab(rng, 4000), _random_lab(rng, 1000, l_max=400.0)])
    lab2 = np.concatenate([_random_lab(rng, 4000), _random_lab(rng, 1000, l_max=400.0)])
    lab2[:500] = lab1[:500] + rng.normal(scale=2.0, size=(500, 3))  # small differences too
    lab1[500:600, 1:] = 0.0  # achromatic
    expected = colour.difference.delta_E_CIE2000(lab1, lab2)
    ours = delta_e2000(torch.from_numpy(lab1), torch.from_numpy(lab2)).numpy()
    assert np.abs(ours - expected).max() < 1e-6


def test_delta_e2000_broadcasts_and_checks_shape() -> None:
    lab1 = torch.tensor([[50.0, 2.5, 0.0]], dtype=torch.float64)
    lab2 = torch.from_numpy(SHARMA[16:20, 4:7])
    np.testing.assert_allclose(delta_e2000(lab1, lab2).numpy(), SHARMA[16:20, 7], atol=1e-4)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        delta_e2000(torch.zeros(4, 2), torch.zeros(4, 2))


def test_delta_e2000_is_zero_for_identical_colours() -> None:
    lab = torch.from_numpy(_random_lab(np.random.default_rng(1), 100))
    assert delta_e2000(lab, lab).abs().max().item() == 0.0


# ---------------------------------------------------------------- CIEDE2000 gradients


def test_delta_e2000_gradcheck_float64() -> None:
    rng = np.random.default_rng(7)
    lab1 = torch.tensor(_random_lab(rng, 12), requires_grad=True)
    lab2 = torch.tensor(_random_lab(rng, 12), requires_grad=True)
    assert torch.autograd.gradcheck(delta_e2000, (lab1, lab2), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_delta_e2000_gradients_finite_on_edge_cases(dtype: torch.dtype) -> None:
    lab1, lab2 = _lab_pairs(dtype)
    delta_e2000(lab1, lab2).sum().backward()
    assert torch.isfinite(lab1.grad).all() and torch.isfinite(lab2.grad).all()


def test_delta_e2000_gradient_across_hue_wrap_is_continuous() -> None:
    # Two colours straddling hue 0°: the difference is tiny and so is its gradient.
    lab1 = torch.tensor([50.0, 10.0, -1e-3], dtype=torch.float64, requires_grad=True)
    lab2 = torch.tensor([50.0, 10.0, 1e-3], dtype=torch.float64)
    value = delta_e2000(lab1, lab2)
    value.backward()
    assert value.item() < 2e-3
    assert lab1.grad.abs().max().item() <= 1.0 + 1e-9


# ---------------------------------------------------------------- colour conversion


def test_rgb_to_xyz_to_lab_matches_colour_science() -> None:
    rng = np.random.default_rng(3)
    rgb = rng.uniform(0.0, 4.0, size=(5, 7, 3))  # above white as well
    rgb[0, 0] = 0.0
    rgb[0, 1] = 1e-4  # linear segment of the Lab function
    srgb = colour.RGB_COLOURSPACES["sRGB"]
    xyz_expected = colour.RGB_to_XYZ(rgb, srgb, illuminant=srgb.whitepoint)
    lab_expected = colour.XYZ_to_Lab(xyz_expected, illuminant=srgb.whitepoint)
    xyz = rgb_to_xyz(torch.from_numpy(rgb).permute(2, 0, 1))
    lab = xyz_to_lab(xyz)
    np.testing.assert_allclose(xyz.permute(1, 2, 0).numpy(), xyz_expected, atol=1e-12)
    np.testing.assert_allclose(lab.permute(1, 2, 0).numpy(), lab_expected, atol=1e-9)


def test_ntire_to_lab_is_gamma_then_lab() -> None:
    rng = np.random.default_rng(4)
    y = rng.uniform(0.0, 2.0, size=(4, 4, 3))
    expected = colour.XYZ_to_Lab(colour.sRGB_to_XYZ(y**2.24, apply_cctf_decoding=False))
    lab = ntire_to_lab(torch.from_numpy(y).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    np.testing.assert_allclose(lab, expected, atol=1e-9)
    white = ntire_to_lab(torch.ones(3, 1, 1, dtype=torch.float64)).flatten()
    np.testing.assert_allclose(white.numpy(), [100.0, 0.0, 0.0], atol=1e-2)
    black = ntire_to_lab(torch.full((3, 1, 1), -0.5, dtype=torch.float64)).flatten()
    assert black.tolist() == [0.0, 0.0, 0.0]  # negatives clamp to 0 = black


def test_ntire_to_lab_gradient_finite_at_zero_and_negative() -> None:
    y = torch.tensor([0.0, -0.1, 1e-6, 0.5, 3.0]).view(1, 1, 5).expand(3, 1, 5).clone()
    y.requires_grad_(True)
    ntire_to_lab(y).sum().backward()
    assert torch.isfinite(y.grad).all()


# ---------------------------------------------------------------- colour loss


def test_color_loss_equals_colour_science_mean() -> None:
    rng = np.random.default_rng(5)
    pred, target = rng.uniform(0.0, 1.5, size=(2, 2, 3, 6, 5))

    def to_lab(y: np.ndarray) -> np.ndarray:
        linear = np.moveaxis(y, 1, -1) ** 2.24
        return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(linear, apply_cctf_decoding=False))

    expected = colour.difference.delta_E_CIE2000(to_lab(pred), to_lab(target)).mean()
    ours = color_loss(torch.from_numpy(pred), torch.from_numpy(target)).item()
    assert ours == pytest.approx(expected, abs=1e-9)
    module = DeltaE2000Loss()(torch.from_numpy(pred), torch.from_numpy(target)).item()
    assert module == ours


def test_color_loss_gradients_finite_through_full_chain() -> None:
    target = torch.rand(2, 3, 8, 8)
    pred = target.clone()
    pred[0, :, :2] = 0.0  # black
    pred[0, :, 2:4] = 0.4  # grey (R = G = B)
    pred[1, :, :2] = -0.2  # negative, clamped to black
    pred[1, :, 2:4] *= 5.0  # far above white
    target[0, :, :1] = 0.0  # black in both
    target[1, :, 6:] = 0.7  # grey target
    pred.requires_grad_(True)
    loss = color_loss(pred, target)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_color_loss_zero_and_finite_gradient_for_identical_images() -> None:
    target = torch.rand(1, 3, 4, 4)
    pred = target.clone().requires_grad_(True)
    loss = color_loss(pred, target)
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(pred.grad).all()


def test_color_loss_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        color_loss(torch.rand(1, 4, 2, 2), torch.rand(1, 4, 2, 2))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        color_loss(torch.rand(1, 3, 2, 2), torch.rand(1, 3, 2, 3))


# ---------------------------------------------------------------- L1 and MS-SSIM


def test_l1_loss_known_value() -> None:
    pred = torch.zeros(1, 3, 2, 2)
    target = torch.tensor([0.0, 1.0, 2.0, 3.0]).view(1, 1, 2, 2).expand(1, 3, 2, 2)
    assert l1_loss(pred, target).item() == pytest.approx(1.5)


@pytest.mark.parametrize(("side", "window"), [(256, 11), (161, 11), (160, 9), (128, 7), (64, 3)])
def test_ms_ssim_window(side: int, window: int) -> None:
    assert ms_ssim_window(side) == window


def test_ms_ssim_window_rejects_tiny_images() -> None:
    with pytest.raises(ValueError, match="32"):
        ms_ssim_window(32)


def test_ms_ssim_loss_on_paper_crops() -> None:
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(8, 3, 128, 128, generator=generator)
    assert abs(ms_ssim_loss(target, target).item()) < 1e-6
    losses = []
    for noise in (0.02, 0.1, 0.3):
        noisy = target + noise * torch.randn(target.shape, generator=generator)
        losses.append(ms_ssim_loss(noisy.clamp(0, 1), target).item())
    assert 0.0 < losses[0] < losses[1] < losses[2] <= 1.0


def test_ms_ssim_loss_gradient_finite_even_when_anticorrelated() -> None:
    target = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    pred = (1.0 - target).requires_grad_(True)
    ms_ssim_loss(pred, target).backward()
    assert torch.isfinite(pred.grad).all()


# ---------------------------------------------------------------- adversarial


def test_generator_adv_loss_is_bce_against_real() -> None:
    logits = torch.tensor([0.0, 2.0, -3.0])
    expected = F.softplus(-logits).mean()
    assert generator_adv_loss(logits).item() == pytest.approx(expected.item())
    assert generator_adv_loss(torch.zeros(4)).item() == pytest.approx(math.log(2.0))


def test_discriminator_loss_hard_labels() -> None:
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.5, 0.0])
    expected = F.softplus(-real).mean() + F.softplus(fake).mean()
    assert discriminator_loss(real, fake).item() == pytest.approx(expected.item())


def test_soft_targets_ranges() -> None:
    logits = torch.zeros(20000)
    real = soft_targets(logits, real=True, generator=torch.Generator().manual_seed(0))
    fake = soft_targets(logits, real=False, generator=torch.Generator().manual_seed(0))
    assert real.min().item() >= 0.7 and real.max().item() < 1.2
    assert fake.min().item() >= 0.0 and fake.max().item() < 0.3
    assert real.mean().item() == pytest.approx(0.95, abs=0.01)
    assert fake.mean().item() == pytest.approx(0.15, abs=0.01)


def test_discriminator_loss_soft_labels_matches_bce_formula() -> None:
    real, fake = torch.tensor([0.5, 4.0, -1.0]), torch.tensor([-2.0, 1.0])
    loss = discriminator_loss(
        real, fake, soft_labels=True, generator=torch.Generator().manual_seed(3)
    )
    replay = torch.Generator().manual_seed(3)
    t_real = 0.7 + 0.5 * torch.rand(3, generator=replay)
    t_fake = 0.3 * torch.rand(2, generator=replay)
    # BCE with logits: softplus(x) − t·x, written out independently.
    expected = (F.softplus(real) - t_real * real).mean() + (F.softplus(fake) - t_fake * fake).mean()
    assert loss.item() == pytest.approx(expected.item(), abs=1e-6)


def test_bce_with_logits_accepts_targets_above_one() -> None:
    # Soft real labels up to 1.2: torch accepts them; the loss then keeps falling with the logit.
    logits = torch.tensor([0.0, 10.0, 100.0])
    loss = F.binary_cross_entropy_with_logits(logits, torch.full((3,), 1.2), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [math.log(2.0), -1.99995, -20.0], atol=1e-4)


# ---------------------------------------------------------------- stage losses


def test_stage1_loss_combines_parts() -> None:
    generator = torch.Generator().manual_seed(2)
    target = torch.rand(1, 3, 128, 128, generator=generator)
    pred = (target + 0.05 * torch.randn(target.shape, generator=generator)).requires_grad_(True)
    logits = torch.tensor([0.3, -0.7], requires_grad=True)
    total, parts = Stage1Loss()(pred, target, fake_logits=logits)
    assert set(parts) == {"l1", "ms_ssim", "adv"}
    assert parts["l1"].item() == pytest.approx((pred - target).abs().mean().item())
    assert parts["adv"].item() == pytest.approx(F.softplus(-logits).mean().item())
    expected = parts["l1"] + parts["ms_ssim"] + 1e-4 * parts["adv"]
    assert total.item() == pytest.approx(expected.item())
    total.backward()
    assert torch.isfinite(pred.grad).all() and logits.grad.abs().sum() > 0
    assert not any(part.requires_grad for part in parts.values())


def test_stage1_loss_weights_and_no_adversary() -> None:
    target = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(4))
    pred = target * 0.9
    total, parts = Stage1Loss(l1_weight=2.0, ms_ssim_weight=0.5)(pred, target)
    assert set(parts) == {"l1", "ms_ssim"}
    assert total.item() == pytest.approx(2.0 * parts["l1"].item() + 0.5 * parts["ms_ssim"].item())


def test_stage2_loss_combines_parts() -> None:
    target = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(5)) * 3.0
    pred = (target * 1.1).requires_grad_(True)
    total, parts = Stage2Loss(color_weight=0.5)(pred, target)
    assert parts["delta_e"].item() == pytest.approx(color_loss(pred, target).item())
    assert total.item() == pytest.approx(parts["l1"].item() + 0.5 * parts["delta_e"].item())
    total.backward()
    assert torch.isfinite(pred.grad).all()


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "1"])
def test_stage_loss_weights_are_checked(bad: object) -> None:
    with pytest.raises(ValueError, match="l1_weight"):
        Stage1Loss(l1_weight=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="color_weight"):
        Stage2Loss(color_weight=bad)  # type: ignore[arg-type]
