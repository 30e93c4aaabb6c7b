"""The two-stage network: exact layout (test vector), counts, sizes, gradients, registry."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from ldr2hdr.models import Discriminator, ModelOutput, create_model, list_models

EXPECTED_PARAMETERS = {"twostage": 834_476, "stage1": 555_655, "stage2": 278_821}
DISCRIMINATOR_PARAMETERS = 4_689_601  # "about 4.69 M" in the spec
EXPECTED_RADIUS = {"twostage": 17, "stage1": 11, "stage2": 6}


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMETERS))
def test_parameter_counts_are_the_papers(name: str) -> None:
    assert count(create_model(name)) == EXPECTED_PARAMETERS[name]


def test_stage_counts_inside_twostage() -> None:
    model = create_model("twostage")
    assert count(model.stage1) == 555_655
    assert count(model.stage2) == 278_821
    assert count(model.stage1.blocks[0]) == 276_834


def test_discriminator_count_and_output() -> None:
    disc = Discriminator()
    assert count(disc) == DISCRIMINATOR_PARAMETERS
    image = torch.rand(2, 3, 64, 48)
    probs = disc(image)
    assert probs.shape == (2,)
    assert torch.all((probs > 0) & (probs < 1))
    assert torch.allclose(probs, torch.sigmoid(disc.logits(image)))


def test_conditional_discriminator_needs_condition() -> None:
    disc = Discriminator(conditional=True)
    image = torch.rand(1, 3, 32, 32)
    assert disc(image, image).shape == (1,)
    with pytest.raises(ValueError, match="needs a condition"):
        disc(image)
    with pytest.raises(ValueError, match="takes no"):
        Discriminator()(image, image)


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("size", [(37, 53), (1, 1), (16, 9)])
def test_every_model_any_size_nonnegative(name: str, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    model = create_model(name)
    x = torch.rand(2, 3, *size)
    with torch.no_grad():
        out = model(x)
    assert isinstance(out, ModelOutput)
    assert out.hdr.shape == x.shape
    assert out.hdr.min() >= 0
    if out.ldr is not None:
        assert out.ldr.shape == x.shape and out.ldr.min() >= 0


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(ValueError, match="twostage"):
        create_model("nope")


def _map_testvector_key(key: str) -> str:
    """`weights.s1.blocks.0.att.weight` → `stage1.blocks.0.attention.att.weight`."""
    key = key.removeprefix("weights.")
    key = key.replace("s1.", "stage1.", 1) if key.startswith("s1.") else key
    key = key.replace("s2.", "stage2.", 1) if key.startswith("s2.") else key
    key = key.replace(".att.", ".attention.att.").replace(".conv.", ".attention.conv.")
    return key


def test_reproduces_independent_test_vector(shared_dir) -> None:
    vector = load_file(shared_dir / "spec" / "twostage-testvector.safetensors")
    weights = {_map_testvector_key(k): v for k, v in vector.items() if k.startswith("weights.")}
    model = create_model("twostage").double()
    model.load_state_dict(weights, strict=True)
    with torch.no_grad():
        out = model(vector["input"])
    assert torch.allclose(out.ldr, vector["stage1_output"], rtol=0, atol=1e-10)
    assert torch.allclose(out.hdr, vector["stage2_output"], rtol=0, atol=1e-10)
    assert not torch.equal(out.hdr, out.ldr), "stage II must change stage I's output"


@pytest.mark.parametrize("name", sorted(EXPECTED_RADIUS))
def test_receptive_radius_is_exact(name: str) -> None:
    """A change at one pixel moves outputs exactly ``receptive_radius`` pixels away, not further."""
    torch.manual_seed(1)
    model = create_model(name).double()
    radius = model.receptive_radius
    assert radius == EXPECTED_RADIUS[name]
    size, centre = 2 * radius + 9, radius + 4
    x = torch.rand(1, 3, size, size, dtype=torch.float64) * 0.5 + 0.25
    y = x.clone()
    y[..., centre, centre] += 0.3
    with torch.no_grad():
        changed = (model(x).hdr - model(y).hdr).abs().amax(dim=1)[0] > 0
    rows, cols = torch.nonzero(changed, as_tuple=True)
    assert int((rows - centre).abs().max()) == radius
    assert int((cols - centre).abs().max()) == radius


def _grads_of(module: torch.nn.Module) -> list[torch.Tensor | None]:
    return [p.grad for p in module.parameters()]


def test_gradients_reach_every_parameter_of_each_stage_from_its_own_loss() -> None:
    torch.manual_seed(2)
    model = create_model("twostage")
    x = torch.rand(2, 3, 24, 24)
    out = model(x)
    out.ldr.sub(torch.rand_like(x)).abs().mean().backward(retain_graph=True)
    assert all(g is not None and g.abs().sum() > 0 for g in _grads_of(model.stage1))
    assert all(g is None for g in _grads_of(model.stage2))
    model.zero_grad(set_to_none=True)
    out.hdr.sub(torch.rand_like(x) * 2).abs().mean().backward()
    assert all(g is not None and g.abs().sum() > 0 for g in _grads_of(model.stage2))
    assert all(g is None for g in _grads_of(model.stage1)), "detach keeps stage I out"


def test_end_to_end_option_lets_stage2_loss_reach_stage1() -> None:
    model = create_model("twostage", detach=False)
    out = model(torch.rand(1, 3, 16, 16))
    out.hdr.sum().backward()
    assert all(g is not None and g.abs().sum() > 0 for g in _grads_of(model.stage1))


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMETERS))
def test_identity_init_returns_the_input_and_still_learns(name: str) -> None:
    model = create_model(name, identity_init=True)
    assert count(model) == EXPECTED_PARAMETERS[name]
    x = torch.rand(2, 3, 15, 21)
    out = model(x)
    assert torch.equal(out.hdr, x)
    outputs = [out.hdr] if out.ldr is None else [out.hdr, out.ldr]
    sum(o.sub(torch.rand_like(x)).abs().mean() for o in outputs).backward()
    out_convs = [m.out for m in model.modules() if hasattr(m, "out")]
    assert out_convs and all(conv.weight.grad.abs().sum() > 0 for conv in out_convs)
