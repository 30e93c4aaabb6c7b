"""Shared test fixtures: the location of the optional ../shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

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
