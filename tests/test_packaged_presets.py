"""The packaged weight presets: sha256, metadata, architecture, a fixed output (catches changes)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pytest

from ldr2hdr.inference import Reconstructor, default_weights_path
from ldr2hdr.models import load_weights, read_weights_metadata
from ldr2hdr.models.presets import list_presets, preset_path


@dataclass(frozen=True)
class Expected:
    """A preset's sha256 (as in MODEL_CARD.md) and its network output (NTIRE domain) for the
    synthetic image below, computed once when the preset was packaged."""

    sha256: str
    output_sum: float
    pixels: dict[tuple[int, int], list[float]]


EXPECTED = {
    "photo": Expected(
        "4ae50197470a05ff8cfdf5fd1074dfb33c54b3b7f4b016cc6bfa9d2864fdf2b3",
        1289.82666015625,
        {
            (10, 15): [1.176037073135376, 1.1479498147964478, 1.1218781471252441],
            (0, 0): [0.07519173622131348, 0.08889960497617722, 0.4443241357803345],
            (23, 31): [0.9898192286491394, 0.9531047940254211, 0.2520076036453247],
        },
    ),
    "ntire": Expected(
        "63d4bd45d94c709d2a4cda68de32dcbcfe8e2c057cc181b72b373f81c1fdf8e2",
        1282.478515625,
        {
            (10, 15): [1.3375370502471924, 1.3108606338500977, 1.2935559749603271],
            (0, 0): [0.018076948821544647, 0.03389665484428406, 0.4572523534297943],
            (23, 31): [0.9964272975921631, 0.9517344236373901, 0.22714781761169434],
        },
    ),
}


def _synthetic_image(height: int = 24, width: int = 32) -> np.ndarray:
    """Ramps and a sine pattern with a clipped white block (no random numbers)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack(
        [xx / (width - 1), yy / (height - 1), 0.5 + 0.5 * np.sin(xx / 3) * np.cos(yy / 4)], -1
    ).astype(np.float32)
    image[8:14, 10:20] = 1.0
    return image


def test_every_preset_is_tested() -> None:
    assert sorted(EXPECTED) == sorted(list_presets())
    assert default_weights_path() == preset_path("photo")


@pytest.mark.parametrize("preset", list_presets())
def test_packaged_file_and_metadata(preset: str) -> None:
    path = preset_path(preset)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == EXPECTED[preset].sha256
    meta = read_weights_metadata(path)
    assert meta["arch"] == "twostage" and meta["output_domain"] == "ntire"
    model = load_weights(path)
    assert sum(p.numel() for p in model.parameters()) == 834_476
    assert path.stat().st_size < 4 * 1024 * 1024


@pytest.mark.parametrize("preset", list_presets())
def test_fixed_input_gives_fixed_output(preset: str) -> None:
    y = Reconstructor(preset, device="cpu", tile=0).predict_ntire(_synthetic_image())
    assert float(y.sum()) == pytest.approx(EXPECTED[preset].output_sum, rel=1e-5)
    for (row, col), values in EXPECTED[preset].pixels.items():
        np.testing.assert_allclose(y[row, col], values, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("preset", list_presets())
def test_clipped_white_is_expanded_above_white(preset: str) -> None:
    """The trained network puts the clipped block above the input's white (1.0)."""
    y = Reconstructor(preset, device="cpu", tile=0).predict_ntire(_synthetic_image())
    assert y[8:14, 10:20].mean() > 1.0
