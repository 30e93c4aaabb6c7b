"""Inference speed and memory of the two-stage network (prints figures; not a test).

For each image size and setting: seconds, megapixels/s, achieved GFLOP/s and peak memory, plus
the GFLOP/s of a plain 64→64 3×3 convolution in the default memory layout on the same device in
the same run (the reference the network's throughput is compared with). Each setting runs in a
fresh process so that its peak memory (CPU: peak RSS) is its own.

    python benchmarks/bench_inference.py                       # CPU, 1900×1060 and 6000×4000
    python benchmarks/bench_inference.py --sizes 1900x1060 --device cuda
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch

from ldr2hdr.inference import Reconstructor
from ldr2hdr.models import create_model, save_weights

KIB = 1024
GIGA = 1e9
MEGA = 1e6
REFERENCE_SIZE = 512


def conv_flops_per_pixel(model: torch.nn.Module) -> float:
    """FLOPs (2 × multiply-adds) per output pixel of a model made of stride-1 convolutions."""
    return sum(
        2.0 * m.out_channels * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        for m in model.modules()
        if isinstance(m, torch.nn.Conv2d)
    )


def reference_conv_gflops(device: torch.device, repeats: int = 3) -> float:
    """GFLOP/s of one 64→64 3×3 conv on a 512×512 map, default (NCHW) layout, fp32."""
    conv = torch.nn.Conv2d(64, 64, 3, padding=1).to(device)
    x = torch.rand(1, 64, REFERENCE_SIZE, REFERENCE_SIZE, device=device)
    with torch.inference_mode():
        conv(x)
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            conv(x)
        _sync(device)
    seconds = (time.perf_counter() - start) / repeats
    return 2 * 64 * 64 * 9 * REFERENCE_SIZE**2 / seconds / GIGA


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_one(setting: dict) -> dict:
    """Convert one random image with one setting; return its figures."""
    device = torch.device(setting["device"])
    width, height = setting["size"]
    rec = Reconstructor(
        setting["weights"], device=device, precision=setting["precision"], tile=setting["tile"]
    )
    if device.type == "cuda" and not setting["channels_last"]:
        rec.model = rec.model.to(memory_format=torch.contiguous_format)
    if setting["compile"]:
        rec.model = torch.compile(rec.model)
    image = np.random.default_rng(0).random((height, width, 3), dtype=np.float32)
    rec(image[:64, :64])  # warm-up (and compilation)
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    rec(image)
    _sync(device)
    seconds = time.perf_counter() - start
    pixels = width * height
    flops = conv_flops_per_pixel(rec.model) * pixels
    peak = (
        torch.cuda.max_memory_allocated()
        if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB
    )
    return {
        "seconds": seconds,
        "mpix_s": pixels / MEGA / seconds,
        "gflops": flops / GIGA / seconds,
        "peak_gib": peak / KIB**3,
        "tile": rec.tile,
    }


def settings(args: argparse.Namespace, weights: str) -> list[dict]:
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    if args.device == "cpu":
        combos = [("fp32", False, True)]
    else:
        combos = [
            (p, c, cl)
            for p in ("fp32", "bf16", "fp16")
            for c in (False, True)
            for cl in (False, True)
        ]
    return [
        {
            "device": args.device,
            "size": size,
            "precision": p,
            "compile": c,
            "channels_last": cl,
            "tile": args.tile,
            "weights": weights,
        }
        for size in sizes
        for p, c, cl in combos
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1900x1060,6000x4000", help="WxH,WxH,...")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tile", type=int, default=None, help="tile side (default: automatic)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return
    weights = "/tmp/ldr2hdr-bench-weights.safetensors"
    save_weights(create_model("twostage"), weights, overwrite=True)
    device = torch.device(args.device)
    ref = reference_conv_gflops(device)
    print(f"device: {args.device} ({torch.get_num_threads()} threads), torch {torch.__version__}")
    print(f"reference 64→64 3×3 conv, default layout, fp32: {ref:.1f} GFLOP/s")
    print(f"network: {conv_flops_per_pixel(create_model('twostage')) / MEGA:.3f} MFLOP per pixel")
    print("size        precision compile ch-last  tile   seconds  MP/s    GFLOP/s  ×ref  peak GiB")
    for s in settings(args, weights):
        out = subprocess.run(
            [sys.executable, __file__, "--one", json.dumps(s)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()[-1]
        r = json.loads(out)
        size = f"{s['size'][0]}x{s['size'][1]}"
        print(
            f"{size:<11} {s['precision']:<9} {s['compile']!s:<7} {s['channels_last']!s:<8} "
            f"{r['tile']:>5} {r['seconds']:>8.2f} {r['mpix_s']:>6.3f} {r['gflops']:>9.1f} "
            f"{r['gflops'] / ref:>5.2f} {r['peak_gib']:>8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
