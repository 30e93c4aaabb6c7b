"""Data-loading throughput: training pairs per second through the DataLoader (prints; not a test).

Simulated pairs (random views + camera simulator) from a folder of HDR images, by default
``../shared/data/hdr`` next to the repository, or from generated panoramas when that is absent;
optionally also NTIRE-layout frames (e.g. the output of ``ldr2hdr make-dataset``) with random
crops. The decoded HDR images are preloaded into the cache before the workers fork.

    python benchmarks/bench_data.py
    python benchmarks/bench_data.py --size 128 --workers 0 2 --ntire-dir /tmp/x
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, RandomSampler

from ldr2hdr.data import NtireDataset, SyntheticHdrDataset
from ldr2hdr.io import write_hdr

SHARED_HDR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hdr"
GENERATED_PANORAMAS = 8
GENERATED_SHAPE = (512, 1024)


def generate_panoramas(folder: Path) -> Path:
    """Write a few smooth 1024×512 HDR panoramas (Radiance .hdr) for a run without shared data."""
    rng = np.random.default_rng(0)
    rows, columns = np.mgrid[0 : GENERATED_SHAPE[0], 0 : GENERATED_SHAPE[1]].astype(np.float32)
    for index in range(GENERATED_PANORAMAS):
        phase = rng.uniform(0, 6, size=3)
        bands = [np.sin(columns / 40 + p) + np.cos(rows / 25 - p) for p in phase]
        write_hdr(folder / f"pano{index}.hdr", np.exp(2.5 * np.stack(bands, axis=2)))
    return folder


def pairs_per_second(dataset, *, batch: int, batches: int, workers: int) -> float:
    """Pairs/s over ``batches`` batches after one warm-up batch (workers started, caches warm).

    The loader is :func:`make_loader`'s, except that indices are drawn with replacement, so that
    a small dataset (e.g. 20 NTIRE frames) still gives ``batches`` batches in one epoch.
    """
    sampler = RandomSampler(
        dataset,
        replacement=True,
        num_samples=batch * (batches + 1),
        generator=torch.Generator().manual_seed(0),
    )
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=workers)
    iterator = iter(loader)
    next(iterator)
    start = time.perf_counter()
    count = 0
    for _ in range(batches):
        count += next(iterator).ldr.shape[0]
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hdr-dir", type=Path, default=SHARED_HDR)
    parser.add_argument("--ntire-dir", type=Path, help="also time NTIRE frames (random crops)")
    parser.add_argument("--size", type=int, nargs="+", default=[128, 256], help="view sides (px)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        hdr_dir = args.hdr_dir if args.hdr_dir.is_dir() else generate_panoramas(Path(scratch))
        for side in args.size:
            length = args.batch * (args.batches + 1)
            dataset = SyntheticHdrDataset(hdr_dir, length=length, size=(side, side), seed=1)
            start = time.perf_counter()
            dataset.preload()
            preload = time.perf_counter() - start
            print(
                f"simulated {side}×{side} from {hdr_dir} ({len(dataset.files)} files, "
                f"{dataset.cache.nbytes / 2**20:.0f} MiB decoded in {preload:.1f} s)"
            )
            for workers in args.workers:
                rate = pairs_per_second(
                    dataset, batch=args.batch, batches=args.batches, workers=workers
                )
                print(f"  workers={workers}: {rate:.1f} pairs/s")
        if args.ntire_dir:
            for side in args.size:
                dataset = NtireDataset(args.ntire_dir, crop=side, seed=1)
                print(f"NTIRE {side}×{side} crops from {args.ntire_dir} ({len(dataset)} frames)")
                for workers in args.workers:
                    rate = pairs_per_second(
                        dataset, batch=args.batch, batches=args.batches, workers=workers
                    )
                    print(f"  workers={workers}: {rate:.1f} pairs/s")


if __name__ == "__main__":
    main()
