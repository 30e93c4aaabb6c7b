"""Shared test fixtures: the location of the optional ../shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """The ../shared folder next to the repository; skips the test where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (it ships only with the development machine)")
    return SHARED
