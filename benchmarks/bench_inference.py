"""Inference speed and memory of the two-stage network (prints figures; not a test).

Reference: a plain 64→64 3×3 convolution on a 512×512 map, fp32, timed after a warm-up in both
memory layouts (default NCHW and channels-last), best of several runs, measured before the rows
and again after them; the network's GFLOP/s (nominal FLOPs of the output pixels, so the tiles'
overlap counts against it) is reported against the fastest of these (×ref). ``overlap`` is the
pixels the network computed ÷ the image's pixels (weighted by FLOPs over the stages, which are
tiled one after the other, each with its own overlap).

Rows, each in a fresh process so that its peak memory (CPU: peak RSS) is its own:

- exact path (full resolution, tiled) for each ``--sizes`` entry; ``WxH:K`` stops after K tiles
  and extrapolates: seconds × (all core pixels / core pixels done), peak RSS + the part of the
  result array not yet written (marked ``*``);
- gain-map fast path (``work_megapixels="auto"``) for each ``--fast-sizes`` entry, with its speed-up
  over the exact row of the same size when there is one.

On the CPU the exact rows run each ``--backends`` entry (``auto`` is ONNX Runtime for fp32);
on a GPU they cover fp32/bf16/fp16 × torch.compile × channels-last.

    python benchmarks/bench_inference.py                  # CPU: 1900×1060, 12 MP and 24 MP
    python benchmarks/bench_inference.py --sizes 1900x1060:4 --fast-sizes '' --backends auto,torch
    python benchmarks/bench_inference.py --sizes 1900x1060 --fast-sizes '' --device cuda
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ldr2hdr.inference import Reconstructor
from ldr2hdr.models import create_model, save_weights

KIB = 1024
GIGA = 1e9
MEGA = 1e6
REFERENCE_SIZE = 512
REFERENCE_WARMUP = 3
REFERENCE_REPEATS = 5
FLOAT_BYTES = 4
WARMUP_SIDE = 64


class _StopRunError(Exception):
    """Raised from the progress callback to end a bounded exact run."""


def conv_flops_per_pixel(model: torch.nn.Module) -> float:
    """FLOPs (2 × multiply-adds) per output pixel of a model made of stride-1 convolutions."""
    return sum(
        2.0 * m.out_channels * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        for m in model.modules()
        if isinstance(m, torch.nn.Conv2d)
    )


def reference_conv_gflops(device: torch.device, channels_last: bool) -> float:
    """GFLOP/s of one 64→64 3×3 conv on a 512×512 map, fp32: best of runs after a warm-up."""
    layout = torch.channels_last if channels_last else torch.contiguous_format
    conv = torch.nn.Conv2d(64, 64, 3, padding=1).to(device, memory_format=layout)
    x = torch.rand(1, 64, REFERENCE_SIZE, REFERENCE_SIZE, device=device)
    x = x.contiguous(memory_format=layout)
    best = float("inf")
    with torch.inference_mode():
        for run in range(REFERENCE_WARMUP + REFERENCE_REPEATS):
            _sync(device)
            start = time.perf_counter()
            conv(x)
            _sync(device)
            if run >= REFERENCE_WARMUP:
                best = min(best, time.perf_counter() - start)
    return 2 * 64 * 64 * 9 * REFERENCE_SIZE**2 / best / GIGA


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _reconstructor(setting: dict) -> Reconstructor:
    device = torch.device(setting["device"])
    rec = Reconstructor(
        setting["weights"],
        device=device,
        precision=setting["precision"],
        tile=setting["tile"],
        work_megapixels=0 if setting["path"] == "exact" else "auto",
        backend=setting["backend"],
    )
    if device.type == "cuda" and not setting["channels_last"]:
        rec.model = rec.model.to(memory_format=torch.contiguous_format)
    if setting["compile"]:  # the stages are what the reconstructor runs
        rec.stages = [dataclasses.replace(s, module=torch.compile(s.module)) for s in rec.stages]
    return rec


def _stage_work(rec: Reconstructor, rows: int, cols: int) -> list[tuple[float, list]]:
    """(FLOPs per pixel, tiles) of each stage the network is tiled in, first to last."""
    flops = [conv_flops_per_pixel(stage.module) for stage in rec.stages]
    return list(zip(flops, rec.tile_grids(rows, cols), strict=True))


def _area(span: tuple[slice, slice]) -> int:
    return (span[0].stop - span[0].start) * (span[1].stop - span[1].start)


def _done_fraction(work: list[tuple[float, list]], pixels: int, tiles: int) -> float:
    """Share of the network's work (FLOPs of core pixels; ``work`` from :func:`_stage_work`
    for an input of ``pixels``) in the first ``tiles`` tiles of all stages (1.0: all)."""
    if not tiles or tiles >= sum(len(grid) for _, grid in work):
        return 1.0
    done, left = 0.0, tiles
    for flops, grid in work:
        done += flops * sum(_area(t.core) for t in grid[:left])
        left = max(0, left - len(grid))
    return done / (pixels * sum(flops for flops, _ in work))


def run_one(setting: dict) -> dict:
    """Convert one random image with one setting; return its figures."""
    device = torch.device(setting["device"])
    width, height = setting["size"]
    rec = _reconstructor(setting)
    image = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)  # a photo
    rec(image[:WARMUP_SIDE, :WARMUP_SIDE])  # warm-up (and compilation)
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    tiles, limit = 0, setting["max_tiles"]

    def progress(step: int) -> None:
        nonlocal tiles
        tiles += step
        if limit and tiles >= limit:
            raise _StopRunError

    start = time.perf_counter()
    with contextlib.suppress(_StopRunError):
        rec(image, progress=progress)
    _sync(device)
    seconds = time.perf_counter() - start
    rows, cols = rec.work_size(height, width)
    work = _stage_work(rec, rows, cols)
    done = _done_fraction(work, rows * cols, tiles if limit else 0)
    computed = sum(flops * sum(_area(t.window) for t in grid) for flops, grid in work)
    peak = (
        torch.cuda.max_memory_allocated()
        if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB
    )
    peak += (1 - done) * height * width * 3 * FLOAT_BYTES  # result not yet written (float32)
    seconds /= done
    pixels = width * height
    flops = conv_flops_per_pixel(rec.model) * pixels
    return {
        "seconds": seconds,
        "mpix_s": pixels / MEGA / seconds,
        "gflops": flops / GIGA / seconds,
        "peak_gib": peak / KIB**3,
        "tile": rec.tile,
        "backend": rec.backend,
        "overlap": computed / (rows * cols * sum(flops for flops, _ in work)),
        "plan": rec.describe(height, width),
        "extrapolated": done < 1.0,
    }


def _size(text: str) -> tuple[tuple[int, int], int]:
    """``WxH`` or ``WxH:K`` (stop after K tiles) → ((W, H), K or 0)."""
    size, _, tiles = text.partition(":")
    width, height = (int(v) for v in size.split("x"))
    return (width, height), int(tiles or 0)


def settings(args: argparse.Namespace, weights: str) -> list[dict]:
    """Every row to run: exact rows (all GPU combinations on a GPU), then fast-path rows."""
    combos = [("fp32", False, True)]
    if args.device != "cpu":
        combos = [
            (p, c, cl)
            for p in ("fp32", "bf16", "fp16")
            for c in (False, True)
            for cl in (False, True)
        ]
    backends = args.backends.split(",") if args.device == "cpu" else ["torch"]
    base = {"device": args.device, "tile": args.tile, "weights": weights}
    rows = [
        {
            **base,
            "path": "exact",
            "size": size,
            "max_tiles": tiles,
            "precision": p,
            "compile": c,
            "channels_last": cl,
            "backend": backend,
        }
        for size, tiles in map(_size, filter(None, args.sizes.split(",")))
        for backend in backends
        for p, c, cl in combos
    ]
    rows += [
        {
            **base,
            "path": "fast",
            "size": size,
            "max_tiles": 0,
            "precision": "fp32",
            "compile": False,
            "channels_last": True,
            "backend": "auto",
        }
        for size, _ in map(_size, filter(None, args.fast_sizes.split(",")))
    ]
    return rows


def _print_header(args: argparse.Namespace, refs: dict[str, float]) -> None:
    cpu = platform.processor() or platform.machine()
    if args.device == "cpu":
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print(
        f"device: {args.device} ({cpu}; {torch.get_num_threads()} threads), "
        f"torch {torch.__version__}"
    )
    print(
        "reference 64→64 3×3 conv, fp32, after warm-up: "
        + ", ".join(f"{name} {value:.1f} GFLOP/s" for name, value in refs.items())
    )
    print(
        f"network: {conv_flops_per_pixel(create_model('twostage')) / MEGA:.3f} MFLOP per pixel; "
        "×ref = network GFLOP/s ÷ the faster reference layout"
    )
    print(
        "size        path  backend     precision compile ch-last  tile overlap  seconds  MP/s  "
        "  GFLOP/s  ×ref  peak GiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="1900x1060,4000x3000,6000x4000", help="exact-path sizes WxH[:TILES],..."
    )
    parser.add_argument("--fast-sizes", default="4000x3000,6000x4000", help="fast-path WxH,...")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tile", type=int, default=None, help="tile side (default: automatic)")
    parser.add_argument("--backends", default="auto", help="CPU exact-path backends: auto,torch")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return
    weights = "/tmp/ldr2hdr-bench-weights.safetensors"
    save_weights(create_model("twostage"), weights, overwrite=True)
    device = torch.device(args.device)
    refs = {
        "NCHW": reference_conv_gflops(device, False),
        "channels-last": reference_conv_gflops(device, True),
    }
    _print_header(args, refs)
    results = [(s, _run_row(s)) for s in settings(args, weights)]
    after = {
        "NCHW": reference_conv_gflops(device, False),
        "channels-last": reference_conv_gflops(device, True),
    }
    print(
        "reference again, after the rows: "
        + ", ".join(f"{name} {value:.1f} GFLOP/s" for name, value in after.items())
    )
    best_ref = max(*refs.values(), *after.values())
    print(f"×ref against {best_ref:.1f} GFLOP/s, the fastest reference measured")
    _print_rows(results, best_ref)


def _run_row(s: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps(s)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[-1]
    result = json.loads(out)
    print(
        f"  ran {s['path']} {s['size'][0]}x{s['size'][1]} {result['backend']}: "
        f"{result['seconds']:.1f} s",
        flush=True,
    )
    return result


def _print_rows(results: list[tuple[dict, dict]], best_ref: float) -> None:
    exact_seconds = {}
    for s, r in results:
        size = f"{s['size'][0]}x{s['size'][1]}"
        star = "*" if r["extrapolated"] else " "
        exact = s["path"] == "exact"
        gflops = f"{r['gflops']:>9.1f}" if exact else f"{'-':>9}"  # FLOPs of the exact path only
        ratio = f"{r['gflops'] / best_ref:>5.2f}" if exact else f"{'-':>5}"
        print(
            f"{size:<11} {s['path']:<5} {r['backend']:<11} {s['precision']:<9} "
            f"{s['compile']!s:<7} {s['channels_last']!s:<8} {r['tile']:>5} {r['overlap']:>7.3f} "
            f"{r['seconds']:>8.2f}{star}"
            f"{r['mpix_s']:>6.3f} {gflops} {ratio} {r['peak_gib']:>8.2f}{star}",
            flush=True,
        )
        if s["path"] == "exact" and s["precision"] == "fp32" and s["backend"] == "auto":
            exact_seconds.setdefault(size, r["seconds"])
        if s["path"] == "fast":
            speedup = exact_seconds.get(size, float("nan")) / r["seconds"]
            print(f"    {r['plan']}; ×{speedup:.1f} faster than the exact path", flush=True)


if __name__ == "__main__":
    main()
