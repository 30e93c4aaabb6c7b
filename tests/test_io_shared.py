"""Every image in the shared data folder reads (skips when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import OpenEXR
import pytest

from ldr2hdr.io import read_hdr, read_ldr

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HDR_SUFFIXES = {".hdr", ".exr", ".pfm"}
LDR_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}
DWAB_FOLDER = "blender-studiolights-world"

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"{SHARED_DATA} is absent")


def files_under(folder: str, suffixes: set[str]) -> list[Path]:
    return sorted(p for p in (SHARED_DATA / folder).rglob("*") if p.suffix.lower() in suffixes)


def test_every_hdr_file_reads_as_finite_non_negative_linear_rgb():
    paths = files_under("hdr", HDR_SUFFIXES)
    assert paths, "no HDR files found"
    for path in paths:
        image = read_hdr(path)
        assert image.dtype == np.float32 and image.ndim == 3 and image.shape[2] == 3, path
        assert np.isfinite(image).all() and image.min() >= 0, path
        assert image.max() > 1.0, f"{path}: an HDR scene should exceed its diffuse white"


def test_every_ldr_photo_reads_in_the_unit_range():
    paths = files_under("ldr-photos", LDR_SUFFIXES)
    assert paths, "no LDR photos found"
    for path in paths:
        image = read_ldr(path)
        assert image.dtype == np.float32 and image.shape[2] == 3, path
        assert image.min() >= 0.0 and image.max() <= 1.0, path
        assert {image.shape[0], image.shape[1]} == {512, 768}, path


def test_rgbe_files_match_opencv():
    path = files_under("hdr", {".hdr"})[0]
    expected = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[..., ::-1]
    np.testing.assert_array_equal(read_hdr(path), expected)


def test_lossy_dwab_exr_negatives_are_clamped():
    paths = files_under(f"hdr/{DWAB_FOLDER}", {".exr"})
    if not paths:
        pytest.skip("no DWAB EXR files")
    with OpenEXR.File(str(paths[0])) as exr:
        raw = exr.channels()["RGB"].pixels.astype(np.float32)
    assert raw.min() < 0  # the lossy codec's small undershoots
    np.testing.assert_array_equal(read_hdr(paths[0]), np.maximum(raw, 0))
