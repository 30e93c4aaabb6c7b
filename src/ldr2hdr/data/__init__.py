"""Training and evaluation data: NTIRE 2021 frames and any HDR collection, as (ldr, ref8, hdr).

See ``docs/data.md``. Every dataset returns :class:`Sample` triples of float32 3×H×W tensors:
``ldr`` in [0, 1], ``hdr`` in the NTIRE domain (``linear**(1/2.24)``, 1.0 = the input's clipping
white) and ``ref8`` = ``hdr`` clipped and quantised to 8 bits.
"""

from __future__ import annotations

from ldr2hdr.data.camera import (
    CameraParams,
    CameraParamsError,
    ResponseCurve,
    SimulatedShot,
    auto_exposure,
    simulate_brackets,
    simulate_camera,
)
from ldr2hdr.data.loading import make_loader
from ldr2hdr.data.ntire import NtireDataset, NtireFrame, check_frame, find_frames, split_by_scene
from ldr2hdr.data.patches import prepare_patches
from ldr2hdr.data.sample import DatasetError, Sample, make_sample, quantise8
from ldr2hdr.data.synthetic import (
    HdrCache,
    MakeDatasetReport,
    SyntheticHdrDataset,
    find_hdr_files,
    make_dataset,
)
from ldr2hdr.data.views import equirect_to_perspective, random_crop, random_flip, random_view

__all__ = [
    "CameraParams",
    "CameraParamsError",
    "DatasetError",
    "HdrCache",
    "MakeDatasetReport",
    "NtireDataset",
    "NtireFrame",
    "ResponseCurve",
    "Sample",
    "SimulatedShot",
    "SyntheticHdrDataset",
    "auto_exposure",
    "check_frame",
    "equirect_to_perspective",
    "find_frames",
    "find_hdr_files",
    "make_dataset",
    "make_loader",
    "make_sample",
    "prepare_patches",
    "quantise8",
    "random_crop",
    "random_flip",
    "random_view",
    "simulate_brackets",
    "simulate_camera",
    "split_by_scene",
]
