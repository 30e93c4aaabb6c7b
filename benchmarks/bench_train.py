"""Training throughput of the paper's recipe (prints figures; not a test).

Times full training steps (both stages, the discriminator, three Adam updates) on random
batches already in memory, so data loading is left out, and prints patches/s and the time the
paper's schedule would take: 25 epochs × 7,551 patches of 128×128, batch 8.

    python benchmarks/bench_train.py                      # CPU, 128×128, batch 8
    python benchmarks/bench_train.py --crop 64 --threads 1
    python benchmarks/bench_train.py --device cuda --precision bf16 --channels-last
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from ldr2hdr.data import Sample
from ldr2hdr.train import TrainConfig, Trainer
from ldr2hdr.train.config import PAPER_PATCHES_PER_EPOCH
from ldr2hdr.train.distributed import DistContext, resolve_device

PAPER_EPOCHS = 25
PAPER_CROP = 128
HIGHLIGHT_GAIN = 4.0  # the random references reach 4× the LDR white
LEVELS = 255
SECONDS_PER_HOUR = 3600


def random_batch(batch: int, crop: int, generator: torch.Generator) -> Sample:
    """Random (ldr, ref8, hdr): ldr in [0, 1], hdr up to HIGHLIGHT_GAIN, ref8 = clipped hdr."""
    ldr = torch.rand(batch, 3, crop, crop, generator=generator)
    hdr = ldr * (1 + (HIGHLIGHT_GAIN - 1) * torch.rand(batch, 1, crop, crop, generator=generator))
    ref8 = torch.round(hdr.clamp(0, 1) * LEVELS) / LEVELS
    return Sample(ldr, ref8, hdr)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(args: argparse.Namespace) -> tuple[float, torch.device]:
    """Seconds per training step after ``args.warmup`` untimed steps."""
    base = TrainConfig()
    config = dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, name=args.model),
        run=dataclasses.replace(
            base.run, precision=args.precision, channels_last=args.channels_last
        ),
    )
    device = resolve_device(args.device)
    trainer = Trainer(config, DistContext(rank=0, world_size=1, device=device))
    batch = random_batch(args.batch, args.crop, torch.Generator().manual_seed(0))
    for _ in range(args.warmup):
        trainer.train_step(batch)
    _sync(device)
    start = time.perf_counter()
    for _ in range(args.steps):
        trainer.train_step(batch)
    _sync(device)
    return (time.perf_counter() - start) / args.steps, device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--model", default="twostage", help="registered model name")
    parser.add_argument("--crop", type=int, default=PAPER_CROP, help="square crop side (px)")
    parser.add_argument("--batch", type=int, default=8, help="patches per step")
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    parser.add_argument("--channels-last", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    seconds, device = measure(args)
    patches_per_s = args.batch / seconds
    paper_patch_ratio = (PAPER_CROP / args.crop) ** 2  # a paper patch costs this many crops
    paper_seconds = PAPER_EPOCHS * PAPER_PATCHES_PER_EPOCH * paper_patch_ratio / patches_per_s
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"{name} ({torch.get_num_threads()} threads), {args.model}, {args.precision}"
        f"{', channels-last' if args.channels_last else ''}: {args.batch}×{args.crop}² per step"
    )
    print(f"  {seconds:.3f} s/step, {patches_per_s:.2f} patches/s of {args.crop}×{args.crop}")
    print(
        f"  paper schedule (25 epochs × {PAPER_PATCHES_PER_EPOCH:,} patches of 128×128, scaled "
        f"by pixels): {paper_seconds / SECONDS_PER_HOUR:.1f} h"
    )


if __name__ == "__main__":
    main()
