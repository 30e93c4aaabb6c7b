"""Shared test fixtures: the optional ../shared folder, one thread, seeded random weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from ldr2hdr.models import create_model, save_weights

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """The ../shared folder next to the repository; skips the test where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (it ships only with the development machine)")
    return SHARED


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread for a module: fast on a shared 2-core machine, same in subprocesses."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def random_twostage(tmp_path_factory) -> Callable[[int], Path]:
    """``random_twostage(seed)``: a weights file of the two-stage network with the random initial
    weights that ``torch.manual_seed(seed)`` gives (NTIRE outputs up to ~5 on random photos);
    written once per seed and session, the global RNG left as it was."""
    made: dict[int, Path] = {}

    def weights(seed: int) -> Path:
        if seed not in made:
            folder = tmp_path_factory.mktemp(f"random-weights-{seed}")
            with torch.random.fork_rng():
                torch.manual_seed(seed)
                made[seed] = save_weights(create_model("twostage"), folder / "w.safetensors")
        return made[seed]

    return weights
