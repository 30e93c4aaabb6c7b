"""``ldr2hdr train``: train a generator from a TOML config (see docs/training.md)."""

from __future__ import annotations

import argparse
import math

from ldr2hdr.cli._types import add_threads_argument, set_threads

NAME = "train"
HELP = (
    "train the two-stage network (or any registered model) from a TOML config; "
    "resumable, CPU, one GPU or torchrun DDP"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config (configs/paper.toml is the paper's recipe); with --resume it may be "
        "left out to reuse the checkpoint's config",
    )
    parser.add_argument(
        "--out",
        metavar="RUN_DIR",
        required=True,
        help="folder for checkpoints, logs, samples and the exported model.safetensors",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run saved in RUN_DIR/last.pt"
    )
    parser.add_argument(
        "--max-steps",
        type=int,  # checked with the config, as run.max_steps
        metavar="N",
        help="stop after N steps in all (overrides run.max_steps; 0 = every epoch)",
    )
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="training data folder (overrides data.root): HDR images for data.source = 'hdr', "
        "NTIRE 2021 frames for 'ntire'; see docs/data.md",
    )
    parser.add_argument("--model", metavar="NAME", help="registered model (overrides model.name)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_threads_argument(parser)


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    """The options that override config keys, as dotted keys (checked with the config)."""
    given = {"run.max_steps": args.max_steps, "model.name": args.model, "data.root": args.data_root}
    return {key: value for key, value in given.items() if value is not None}


def run(args: argparse.Namespace) -> int:
    from ldr2hdr.train import ConfigError, load_config, resume_config, train

    if args.config is None and not args.resume:
        raise ConfigError("--config FILE is required (unless --resume reuses the saved config)")
    if args.config is not None:
        config = load_config(args.config, overrides=_overrides(args))
    else:
        config = resume_config(args.out, overrides=_overrides(args))
    set_threads(args.threads)
    result = train(config, args.out, resume=args.resume, progress_bar=not args.no_progress)
    if result.trainer is not None and not result.trainer.context.is_main:
        return 0  # under torchrun only rank 0 reports, as only it writes files
    progress = result.progress
    summary = f"trained {progress.step} steps"
    if progress.nonfinite_steps:
        summary += f" ({progress.nonfinite_steps} skipped: non-finite loss)"
    if math.isfinite(progress.best_mu_psnr):
        summary += (
            f"; best validation μ-PSNR {progress.best_mu_psnr:.2f} dB at step {progress.best_step}"
        )
    print(f"{summary}; weights: {args.out}/model.safetensors")
    return 0
