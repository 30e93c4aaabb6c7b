"""Gallery and study fixtures shared by the tests: a stand-in network, photo galleries, a server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from ldr2hdr.gallery import build_gallery

GAIN = 4.0  # the fake reconstruction: linear = GAIN * (pixel / 255) ** 2.2
SERVER_URL = re.compile(r"(participants|results): +(http://\S+)")


def fake_reconstruct(pixels: np.ndarray) -> np.ndarray:
    """A known stand-in for the network: uint8 sRGB → linear, 4× brighter than a 2.2 decode."""
    return (GAIN * (pixels.astype(np.float32) / 255) ** 2.2).astype(np.float32)


def noise_gallery(root: Path, names: list[str], shape: tuple[int, int], **options) -> Path:
    """``root/gallery`` built from random-noise photos ``root/photos/NAME.png`` (height, width
    ``shape``; photo ``i`` drawn from seed ``i``) with :func:`fake_reconstruct`."""
    (root / "photos").mkdir()
    for seed, name in enumerate(names):
        pixels = np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "photos" / f"{name}.png")
    photos = sorted((root / "photos").iterdir())
    build_gallery(photos, root / "gallery", fake_reconstruct, **options)
    return root / "gallery"


def start_study_server(gallery: Path, db: Path, pairs: int) -> tuple[subprocess.Popen, dict]:
    """``ldr2hdr study serve`` on any free port in a subprocess; its printed URLs by name
    (``participants``, ``results``)."""
    command = [sys.executable, "-m", "ldr2hdr", "study", "serve", str(gallery)]
    command += ["--port", "0", "--db", str(db), "--pairs", str(pairs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    urls = {}
    for line in process.stdout:
        match = SERVER_URL.match(line)
        if match:
            urls[match.group(1)] = match.group(2)
        if {"participants", "results"} <= urls.keys():
            return process, urls
    raise AssertionError(f"the server exited with {process.wait()} before printing its URLs")
