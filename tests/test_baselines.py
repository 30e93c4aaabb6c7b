"""The deep baselines (ExpandNet, HDRCNN, FHDR): parameter counts from their layer lists, any
size, the blend and padding helpers, receptive radii, training steps, weights round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _training_helpers import CPU, first_batch, write_scenes, write_toml
from _training_helpers import tiny_raw as shared_tiny_raw
from torch.nn import functional as F

from ldr2hdr.cli import main
from ldr2hdr.models import ModelOutput, create_model, load_weights, save_weights
from ldr2hdr.models.hdrcnn import blend, highlight_mask, pad_to_multiple, reflect_pad
from ldr2hdr.train import Trainer, config_from_dict

CROP = 32
BASELINES = ("expandnet", "fhdr", "hdrcnn")

# Parameter counts from the layer lists (conv: k·k·in·out + out biases; BN: 2 per channel).
EXPECTED_PARAMETERS = {
    # local 3→64→128: 1,792 + 73,856 = 75,648; dilated 3→64 + 3 × 64→64: 1,792 + 3 × 36,928 =
    # 112,576; global 3→64 + 5 × 64→64 (3×3) + 4×4 64→64: 1,792 + 184,640 + 65,600 = 252,032;
    # fusion 1×1 256→64 + 1×1 64→3: 16,448 + 195 = 16,643. Sum: 456,899.
    "expandnet": 456_899,
    # extraction 3→64 (3×3) + 64→64: 1,792 + 36,928; feedback: 1×1 128→64 8,256, three dense
    # blocks of (1×1 128→64 8,256 + dilated 3×3 no bias 9·32·(64 + 96 + 128 + 160) = 129,024 +
    # 1×1 192→64 no bias 12,288) = 3 × 149,568 = 448,704, 3×3 64→64 36,928 → 493,888;
    # reconstruction 64→64 + 64→3 (3×3): 36,928 + 1,731. Sum: 571,267.
    "fhdr": 571_267,
    # VGG16 convs 9·(3·64 + 64·64 + 64·128 + 128·128 + 128·256 + 2·256·256 + 256·512 +
    # 5·512·512) + biases (2·64 + 2·128 + 3·256 + 6·512) = 14,710,464 + 4,224 = 14,714,688;
    # bottleneck 3×3 512→512 + BN: 2,359,808 + 1,024; transposed 4×4 convs + BN: 512→512 twice
    # 2 × 4,195,840, 512→256 2,097,920, 256→128 524,672, 128→64 131,264; 1×1 skip fusions 2C→C:
    # 2 × 524,800 + 131,328 + 32,896 + 8,256; head 1×1 64→3 + BN 195 + 6; input fusion 6→3 21.
    # Sum: 29,443,358.
    "hdrcnn": 29_443_358,
}


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def models() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {name: create_model(name) for name in BASELINES}


@pytest.mark.parametrize("name", BASELINES)
def test_parameter_count_is_the_layer_lists(models, name: str) -> None:
    assert count(models[name]) == EXPECTED_PARAMETERS[name]


@pytest.mark.parametrize("name", BASELINES)
def test_odd_sizes_keep_their_size_and_are_nonnegative(models, name: str) -> None:
    model = models[name].eval()
    x = torch.rand(1, 3, 37, 53)
    with torch.no_grad():
        out = model(x)
    assert isinstance(out, ModelOutput) and out.ldr is None
    assert out.hdr.shape == x.shape
    assert torch.isfinite(out.hdr).all() and out.hdr.min() >= 0


def test_fhdr_iterations_option() -> None:
    assert create_model("fhdr", iterations=2).receptive_radius == 54
    with pytest.raises(ValueError, match="iterations must be >= 1, got 0"):
        create_model("fhdr", iterations=0)
    with pytest.raises(TypeError, match=r"got 2\.0"):
        create_model("fhdr", iterations=2.0)


@pytest.mark.parametrize(("iterations", "radius"), [(1, 29), (2, 54)])
def test_fhdr_receptive_radius_is_exact(iterations: int, radius: int) -> None:
    """A change at one pixel moves outputs exactly ``4 + 25·k`` pixels away, not further.

    Both images go through as one float32 batch (a float64 run of the 117-pixel square takes
    seconds more); pixels outside the reach see identical inputs, so their outputs are identical.
    """
    torch.manual_seed(1)
    model = create_model("fhdr", iterations=iterations)
    assert model.receptive_radius == radius
    size, centre = 2 * radius + 9, radius + 4
    model = model.double()  # in float32 the farthest change can round away (AVX-512 CPUs)
    x = torch.rand(1, 3, size, size, dtype=torch.float64).mul(0.5).add(0.25).repeat(2, 1, 1, 1)
    x[1, :, centre, centre] += 0.3
    with torch.no_grad():
        out = model(x).hdr
    changed = (out[0] - out[1]).abs().amax(dim=0) > 0
    rows, cols = torch.nonzero(changed, as_tuple=True)
    assert int((rows - centre).abs().max()) == radius
    assert int((cols - centre).abs().max()) == radius


def test_expandnet_is_global(models) -> None:
    """One corner pixel changes the output at the opposite corner (through the global branch)."""
    model = models["expandnet"].eval()
    assert model.receptive_radius is None and models["hdrcnn"].receptive_radius is None
    x = torch.rand(1, 3, 64, 64)
    y = x.clone()
    y[..., :4, :4] = 1.0 - y[..., :4, :4]
    with torch.no_grad():
        difference = (model(x).hdr - model(y).hdr)[..., -1, -1].abs().max()
    assert difference > 0


def test_highlight_mask_and_blend_known_values() -> None:
    ldr = torch.tensor([0.5, 0.95, 0.975, 1.0]).view(1, 1, 1, 4).expand(1, 3, 1, 4).clone()
    ldr[:, 1:, :, :] *= 0.5  # the mask looks at the brightest channel (red here)
    alpha = highlight_mask(ldr)
    assert torch.allclose(alpha.flatten(), torch.tensor([0.0, 0.0, 0.5, 1.0]), atol=1e-6)
    log_radiance = torch.full_like(ldr, np.log(8.0))  # linear 8 → NTIRE 8 ** (1/2.24)
    out = blend(ldr, log_radiance)
    expected_red = torch.tensor([0.5, 0.95, 0.5 * 0.975 + 0.5 * 8 ** (1 / 2.24), 8 ** (1 / 2.24)])
    assert torch.allclose(out[0, 0, 0], expected_red, atol=1e-6)


def test_hdrcnn_keeps_unsaturated_pixels_exactly(models) -> None:
    model = models["hdrcnn"].eval()
    x = torch.rand(1, 3, 21, 45) * 0.9
    x[..., 5:12, 10:30] = 1.0
    with torch.no_grad():
        out = model(x).hdr
    keep = highlight_mask(x) == 0
    assert torch.equal(out[keep.expand_as(x)], x[keep.expand_as(x)])
    assert not torch.equal(out[..., 5:12, 10:30], x[..., 5:12, 10:30])


def test_reflect_pad_matches_torch_and_extends_it() -> None:
    x = torch.arange(12.0).view(1, 1, 3, 4)
    expected = F.pad(x, (3, 1, 2, 2), mode="reflect")
    assert torch.equal(reflect_pad(x, top=2, bottom=2, left=3, right=1), expected)
    row = torch.tensor([[[[0.0, 1.0, 2.0]]]])  # pads longer than the side keep reflecting
    wide = reflect_pad(row, top=0, bottom=0, left=5, right=4)
    assert wide.flatten().tolist() == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2]
    single = reflect_pad(torch.ones(1, 1, 1, 1) * 7, top=1, bottom=2, left=0, right=3)
    assert single.shape == (1, 1, 4, 4) and torch.all(single == 7)
    padded, offset = pad_to_multiple(torch.rand(1, 3, 37, 53), 32)
    assert padded.shape == (1, 3, 64, 64) and offset == (13, 5)


# --- training -------------------------------------------------------------------------------


def tiny_raw(root: Path, name: str) -> dict:
    return shared_tiny_raw(
        root,
        model={"name": name},
        optim={"epochs": 1, "lr": 2e-4},
        data={
            "crop": CROP,
            "samples_per_epoch": 4,
            "val_size": CROP,
            "camera": {"clip_range": [0.15, 0.3]},  # every view has highlights for HDRCNN
        },
    )


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    return write_scenes(tmp_path_factory.mktemp("scenes"), highlight="band")


@pytest.mark.parametrize("name", BASELINES)
def test_training_steps_lower_the_loss_and_move_every_weight(scenes, name: str) -> None:
    config = config_from_dict(tiny_raw(scenes, name))
    trainer = Trainer(config, CPU)
    assert set(trainer.optimizers) == {"generator"} and trainer.discriminator is None
    batch = first_batch(config)
    before = {k: p.detach().clone() for k, p in trainer.model.named_parameters()}
    losses = []
    for _ in range(3):
        result = trainer.train_step(batch)
        assert not result.skipped
        losses.append(result.scalars["loss/generator"])
    unchanged = [k for k, p in trainer.model.named_parameters() if torch.equal(before[k], p)]
    assert unchanged == []
    assert losses[-1] < losses[0], losses


def test_cli_trains_a_baseline_by_name(scenes, tmp_path, capsys) -> None:
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, tiny_raw(scenes, "twostage"))
    out = tmp_path / "run"
    command = ["train", "--config", str(config_path), "--out", str(out), "--no-progress"]
    assert main([*command, "--model", "expandnet", "--max-steps", "2"]) == 0  # overrides twostage
    assert "trained 2 steps" in capsys.readouterr().out
    assert load_weights(out / "model.safetensors").arch_name == "expandnet"


# --- weights --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BASELINES)
def test_weights_round_trip(tmp_path, name: str) -> None:
    torch.manual_seed(3)
    model = create_model(name)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        model(x)  # train mode: moves any BatchNorm running statistics off their defaults
    model.eval()
    path = save_weights(model, tmp_path / f"{name}.safetensors")
    loaded = load_weights(path).eval()
    assert loaded.arch_name == name
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key].to(value.dtype), value), key
    with torch.no_grad():
        assert torch.equal(loaded(x).hdr, model(x).hdr)
