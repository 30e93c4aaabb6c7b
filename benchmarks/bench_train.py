"""Training step time of the paper's recipe against its arithmetic floor (prints figures).

In one run, on one random batch already in memory:

- **floor**: the generator alone, forward and backward with an L1 loss on stage II's output (the
  arithmetic every step must do), in the faster of the two memory layouts;
- **full step**: the whole recipe (both stages, MS-SSIM, ΔE₀₀, the discriminator, three Adam
  updates) as ``Trainer.train_step`` runs it, in the default layout and channels-last;
- **parts**: forward + backward of each loss term and of the discriminator alone, so the gap
  between the step and the floor can be attributed;
- **data** (with ``--data-root``): seconds to simulate one batch of views from an HDR collection.

Prints seconds per step, steps/s, the step as a multiple of the floor, and the time the paper's
schedule would take (25 epochs × 7,551 patches of 128×128, batch 8, scaled by pixels).

    python benchmarks/bench_train.py --crop 64                    # the CPU recipe's crops
    python benchmarks/bench_train.py --crop 64 --threads 1 --data-root ../shared/data/hdr
    python benchmarks/bench_train.py --device cuda --precision bf16
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

import torch

from ldr2hdr.data import Sample
from ldr2hdr.losses import Stage1Loss, Stage2Loss
from ldr2hdr.models import Discriminator, create_model
from ldr2hdr.train import TrainConfig, Trainer
from ldr2hdr.train.config import PAPER_PATCHES_PER_EPOCH, DataConfig
from ldr2hdr.train.distributed import DistContext, resolve_device

PAPER_EPOCHS = 25
PAPER_CROP = 128
HIGHLIGHT_GAIN = 4.0  # the random references reach 4× the LDR white
LEVELS = 255
SECONDS_PER_HOUR = 3600
LAYOUTS = {"default": torch.contiguous_format, "channels-last": torch.channels_last}


def random_batch(batch: int, crop: int, generator: torch.Generator) -> Sample:
    """Random (ldr, ref8, hdr): ldr in [0, 1], hdr up to HIGHLIGHT_GAIN, ref8 = clipped hdr."""
    ldr = torch.rand(batch, 3, crop, crop, generator=generator)
    hdr = ldr * (1 + (HIGHLIGHT_GAIN - 1) * torch.rand(batch, 1, crop, crop, generator=generator))
    ref8 = torch.round(hdr.clamp(0, 1) * LEVELS) / LEVELS
    return Sample(ldr, ref8, hdr)


def timed(work: Callable[[], object], device: torch.device, args: argparse.Namespace) -> float:
    """Seconds per call of ``work`` after ``args.warmup`` untimed calls (the median of repeats)."""
    for _ in range(args.warmup):
        work()
    times = []
    for _ in range(args.steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        work()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def floor_step(batch: Sample, device: torch.device, layout: torch.memory_format) -> Callable:
    """Generator forward + backward with L1 on stage II (no optimiser, no other loss)."""
    model = create_model("twostage").to(device, memory_format=layout)
    ldr = batch.ldr.to(device).contiguous(memory_format=layout)
    hdr = batch.hdr.to(device)

    def work() -> None:
        model.zero_grad(set_to_none=True)
        torch.nn.functional.l1_loss(model(ldr).hdr, hdr).backward()

    return work


def full_step(batch: Sample, device: torch.device, args: argparse.Namespace, layout: str):
    base = TrainConfig()
    run = dataclasses.replace(
        base.run, precision=args.precision, channels_last=layout == "channels-last"
    )
    trainer = Trainer(dataclasses.replace(base, run=run), DistContext(0, 1, device))
    return lambda: trainer.train_step(batch)


def part_steps(batch: Sample, device: torch.device) -> dict[str, Callable]:
    """Forward + backward of each loss term and of the discriminator, on fixed inputs."""
    pred8 = batch.ref8.to(device).clone().mul_(0.9).requires_grad_(True)
    pred = batch.hdr.to(device).clone().mul_(0.9).requires_grad_(True)
    ref8, hdr = batch.ref8.to(device), batch.hdr.to(device)
    stage1, stage2 = Stage1Loss(), Stage2Loss()
    discriminator = Discriminator().to(device)

    def backward(value: torch.Tensor) -> None:
        value.backward()

    return {
        "stage I loss (L1 + MS-SSIM)": lambda: backward(stage1(pred8, ref8)[0]),
        "stage II loss (L1 + ΔE₀₀)": lambda: backward(stage2(pred, hdr)[0]),
        "discriminator fwd + bwd": lambda: backward(discriminator(pred8).mean()),
    }


def data_seconds(args: argparse.Namespace) -> float:
    """Seconds to simulate one batch of training views from ``args.data_root``."""
    from ldr2hdr.train.data import build_datasets

    config = DataConfig(source="hdr", root=args.data_root, crop=args.crop, val_fraction=0.0)
    train_set, _ = build_datasets(config, seed=0)
    train_set[0]  # loads the scenes
    start = time.perf_counter()
    for index in range(args.batch):
        train_set[index + 1]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--crop", type=int, default=PAPER_CROP, help="square crop side (px)")
    parser.add_argument("--batch", type=int, default=8, help="patches per step")
    parser.add_argument("--steps", type=int, default=5, help="timed repeats (median reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed repeats first")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    parser.add_argument("--data-root", help="an HDR collection: also time the data simulation")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    batch = random_batch(args.batch, args.crop, torch.Generator().manual_seed(0))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"{name}, {torch.get_num_threads()} threads, {args.precision}, "
        f"batch {args.batch}×{args.crop}²"
    )
    floors = {
        key: timed(floor_step(batch, device, fmt), device, args) for key, fmt in LAYOUTS.items()
    }
    floor = min(floors.values())
    for key, seconds in floors.items():
        print(f"  floor (generator fwd+bwd, L1), {key}: {seconds:.3f} s")
    paper_steps = (
        PAPER_EPOCHS * PAPER_PATCHES_PER_EPOCH * (PAPER_CROP / args.crop) ** 2 / args.batch
    )
    for layout in LAYOUTS:
        seconds = timed(full_step(batch, device, args, layout), device, args)
        hours = paper_steps * seconds / SECONDS_PER_HOUR
        print(
            f"  full step, {layout}: {seconds:.3f} s ({1 / seconds:.3f} steps/s) = "
            f"{seconds / floor:.2f}× the floor; paper schedule {hours:.1f} h"
        )
    for label, work in part_steps(batch, device).items():
        print(f"  part: {label}: {timed(work, device, args):.3f} s")
    if args.data_root:
        print(f"  data: one batch simulated in {data_seconds(args):.3f} s (one process)")


if __name__ == "__main__":
    main()
