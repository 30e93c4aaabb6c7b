"""Small training fixtures shared by the training tests: scenes, tiny configs, TOML, batches."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from ldr2hdr.data import Sample
from ldr2hdr.io import write_hdr
from ldr2hdr.train import config_from_dict
from ldr2hdr.train.data import build_datasets
from ldr2hdr.train.distributed import DistContext

CPU = DistContext(rank=0, world_size=1, device=torch.device("cpu"))
CROP = 40  # MS-SSIM's smallest 5-scale window (3×3) needs > 32 px
SCENE_ROWS, SCENE_COLS = 48, 64


def write_scenes(folder: Path, count: int = 4, *, highlight: str = "sun") -> Path:
    """Small linear HDR scenes (coloured gradients) as .hdr files, each with a highlight:
    ``"sun"`` (a small spot up to 20× white) or ``"band"`` (a vertical band up to 8× white, so
    that every crop of a view holds highlights)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, cols = np.mgrid[0:SCENE_ROWS, 0:SCENE_COLS].astype(np.float32)
    for index in range(count):
        base = 0.05 + 0.6 * (cols / (SCENE_COLS - 1)) * (1 + index) / count
        image = np.stack([base, base * 0.8 + 0.1 * rows / (SCENE_ROWS - 1), base * 0.6], axis=-1)
        if highlight == "sun":
            bright = np.exp(-((rows - 12 - 5 * index) ** 2 + (cols - 40) ** 2) / 30.0) * 20.0
        else:
            bright = 8.0 * np.exp(-(((cols - 20 - 6 * index) / 10.0) ** 2))
        write_hdr(folder / f"scene{index}.hdr", (image + bright[..., None]).astype(np.float32))
    return folder


def merge(base: dict, extra: dict) -> dict:
    """``base`` updated by ``extra``, recursively for nested tables (neither is changed)."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        merged[key] = merge(merged.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def tiny_raw(root: Path, **tables: dict) -> dict:
    """A config dict for a few CPU steps on ``root``'s scenes, updated by ``tables``."""
    raw = {
        "optim": {"batch_size": 2, "epochs": 2},
        "data": {
            "source": "hdr",
            "root": str(root),
            "crop": CROP,
            "samples_per_epoch": 6,
            "val_fraction": 0.25,
            "val_size": CROP,
            "val_count": 1,
            "workers": 0,
        },
        "run": {
            "device": "cpu",
            "log_every": 1,
            "validate_every": 0,
            "checkpoint_every": 100,
            "sample_count": 1,
        },
    }
    return merge(raw, tables)


def tiny_config(root: Path, **tables: dict):
    return config_from_dict(tiny_raw(root, **tables))


def write_toml(path: Path, raw: dict) -> None:
    """Write tables of str/bool/int/float/list values (and nested tables) as TOML."""

    def value(item: object) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        return f'"{item}"' if isinstance(item, str) else repr(item)

    def table(name: str, entries: dict) -> str:
        lines = [f"[{name}]"]
        lines += [f"{k} = {value(v)}" for k, v in entries.items() if not isinstance(v, dict)]
        nested = [table(f"{name}.{k}", v) for k, v in entries.items() if isinstance(v, dict)]
        return "\n".join([*lines, *nested])

    text = "\n\n".join(table(name, entries) for name, entries in raw.items()) + "\n"
    path.write_text(text, encoding="utf-8")


def first_batch(config) -> Sample:
    """The first two training samples of ``config``'s data, stacked as a batch."""
    train_set, _ = build_datasets(config.data, seed=0)
    return Sample(*(torch.stack(parts) for parts in zip(train_set[0], train_set[1], strict=True)))
