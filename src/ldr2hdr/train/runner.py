"""The training run: epochs of steps, logging, validation, checkpoints, export, resume.

``RUN_DIR`` receives ``config.json`` (the resolved config), ``last.pt`` (full checkpoint, every
``checkpoint_every`` steps and at the end), ``best.pt`` (full checkpoint at the best validation
μ-PSNR), ``model.safetensors`` (the generator only, for inference: the best-validated weights,
or the last ones when nothing is validated), ``metrics.csv``, ``events/`` and ``samples/``.

A resumed run (``resume=True``) restores everything in ``last.pt``, including the RNG states and
the position in the epoch (datasets draw each sample from ``(seed, epoch, index)`` and the
sampler shuffles from ``seed + epoch``), so it reaches the same weights as an uninterrupted run.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from ldr2hdr.models import save_weights
from ldr2hdr.train.checkpoint import (
    BEST_NAME,
    LAST_NAME,
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from ldr2hdr.train.config import (
    ConfigError,
    TrainConfig,
    config_differences,
    config_from_dict,
    resolve_paths,
    save_config,
)
from ldr2hdr.train.data import build_datasets
from ldr2hdr.train.distributed import (
    DistContext,
    ResumableSampler,
    barrier,
    setup_distributed,
    teardown_distributed,
)
from ldr2hdr.train.logging import RunLogger
from ldr2hdr.train.loop import StepResult, Trainer
from ldr2hdr.train.schedule import learning_rate
from ldr2hdr.train.validation import validate

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


@dataclass
class Progress:
    """Where the run stands (saved in every checkpoint)."""

    step: int = 0
    epoch: int = 0
    batches_done: int = 0
    nonfinite_steps: int = 0
    best_mu_psnr: float = -math.inf
    best_step: int = -1


@dataclass
class TrainResult:
    """What :func:`train` returns: the final progress, validation history and the trainer."""

    progress: Progress
    history: list[dict[str, float]] = field(default_factory=list)
    trainer: Trainer | None = None


class _Meter:
    """Means of the step scalars since the last log."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, result: StepResult) -> None:
        if result.skipped:
            return
        self.count += 1
        for name, value in result.scalars.items():
            self.sums[name] = self.sums.get(name, 0.0) + value

    def pop(self) -> dict[str, float]:
        means = {name: total / self.count for name, total in self.sums.items()}
        self.sums, self.count = {}, 0
        return means


def resume_config(
    run_dir: str | Path, overrides: Mapping[str, object] | None = None
) -> TrainConfig:
    """The config saved in ``RUN_DIR/last.pt`` (to resume without naming the config file), with
    ``overrides`` (dotted keys, :func:`~ldr2hdr.train.config.apply_overrides`) applied before it
    is checked; relative paths among them are resolved against the working directory."""
    path = Path(run_dir) / LAST_NAME
    raw = load_checkpoint(path)["config"]
    return resolve_paths(config_from_dict(raw, source=str(path), overrides=overrides))


class _Run:
    """State and helpers of one :func:`train` call (one process)."""

    def __init__(self, config: TrainConfig, run_dir: Path, context: DistContext) -> None:
        self.config, self.run_dir, self.context = config, run_dir, context
        self.train_set, self.val_set = build_datasets(config.data, seed=config.run.seed)
        self.trainer = Trainer(config, context)
        self.progress = Progress()
        self.history: list[dict[str, float]] = []
        batch = config.optim.batch_size
        if batch % context.world_size:
            raise ConfigError(
                f"optim.batch_size = {batch} does not split over {context.world_size} processes"
            )
        self.rank_batch = batch // context.world_size
        self.sampler = ResumableSampler(self.train_set, context=context, seed=config.run.seed)
        self.steps_per_epoch = self.sampler.num_samples // self.rank_batch
        if self.steps_per_epoch == 0:
            raise ConfigError(
                f"an epoch of {len(self.train_set)} samples holds no whole batch of {batch}"
            )
        total = config.optim.epochs * self.steps_per_epoch
        self.total_steps = min(total, config.run.max_steps) if config.run.max_steps else total
        self.loader_rng = torch.Generator().manual_seed(config.run.seed)

    def restore(self, checkpoint: dict) -> None:
        self.trainer.load_state_dict(checkpoint["trainer"])
        self.progress = Progress(**checkpoint["progress"])
        self.history = list(checkpoint["history"])
        restore_rng_state(checkpoint["rng"])

    def loader(self) -> DataLoader:
        """The rest of the current epoch's batches for this rank."""
        if hasattr(self.train_set, "set_epoch"):
            self.train_set.set_epoch(self.progress.epoch)
        self.sampler.set_epoch(self.progress.epoch)
        self.sampler.skip(self.progress.batches_done * self.rank_batch)
        workers = self.config.data.workers
        if workers and hasattr(self.train_set, "preload"):
            self.train_set.preload()
        return DataLoader(
            self.train_set,
            batch_size=self.rank_batch,
            sampler=self.sampler,
            num_workers=workers,
            generator=self.loader_rng,
            drop_last=True,
            pin_memory=self.context.device.type == "cuda",
        )

    def advance(self, result: StepResult) -> None:
        progress = self.progress
        progress.step += 1
        progress.batches_done += 1
        if progress.batches_done == self.steps_per_epoch:
            progress.epoch += 1
            progress.batches_done = 0
        if result.skipped:
            progress.nonfinite_steps += 1

    def checkpoint_payload(self) -> dict:
        return {
            "trainer": self.trainer.state_dict(),
            "progress": asdict(self.progress),
            "history": self.history,
            "rng": capture_rng_state(),
            "config": self.config.to_dict(),
        }

    def export(self, extra: dict[str, str]) -> None:
        metadata = {
            "step": str(self.progress.step),
            "train_config": json.dumps(self.config.to_dict(), sort_keys=True),
            **extra,
        }
        save_weights(
            self.trainer.model, self.run_dir / WEIGHTS_NAME, overwrite=True, extra_metadata=metadata
        )

    def validate(self, logger: RunLogger) -> dict[str, float]:
        """Score the model (rank 0), log, keep the best checkpoint and weights; sync ranks."""
        scores: dict[str, float] = {}
        if self.context.is_main and self.val_set is not None:
            result = validate(
                self.trainer.model,
                self.val_set,
                device=self.context.device,
                sample_count=self.config.run.sample_count,
                autocast_dtype=self.trainer.autocast_dtype,
            )
            scores = {f"val/{name}": value for name, value in result.scores.items()}
            scores["val/input_mu_psnr"] = result.input_mu_psnr
            scores["val/nonfinite_outputs"] = float(result.nonfinite)
            logger.scalars(self.progress.step, scores)
            grid = result.grid()
            if grid is not None:
                logger.sample_grid(self.progress.step, grid)
            self.history.append({"step": float(self.progress.step), **scores})
            self._keep_best(scores["val/mu_psnr"])
        barrier(self.context)
        return scores

    def _keep_best(self, mu_psnr: float) -> None:
        if not mu_psnr > self.progress.best_mu_psnr:
            return
        self.progress.best_mu_psnr = mu_psnr
        self.progress.best_step = self.progress.step
        save_checkpoint(self.run_dir / BEST_NAME, self.checkpoint_payload())
        if self.config.run.export == "best":
            self.export({"val_mu_psnr": f"{mu_psnr:.4f}"})

    def save_last(self) -> None:
        if self.context.is_main:
            save_checkpoint(self.run_dir / LAST_NAME, self.checkpoint_payload())
            if self.config.run.export == "last" or self.progress.best_step < 0:
                self.export({})
        barrier(self.context)


def _open_run(config: TrainConfig, run_dir: Path, *, resume: bool, context: DistContext) -> _Run:
    last = run_dir / LAST_NAME
    checkpoint = None
    if resume:
        checkpoint = load_checkpoint(last)
        saved = config_from_dict(checkpoint["config"], source=str(last))
        changed = config_differences(saved, config)
        if changed:
            raise ConfigError(
                f"{last}: the config differs from the checkpoint's in {', '.join(changed)} "
                "(only run-length, logging, device and data-location keys may change on resume)"
            )
    elif last.exists():
        raise ConfigError(
            f"{run_dir} already holds a run ({LAST_NAME}): pass --resume to continue it, or "
            "choose another folder"
        )
    run = _Run(config, run_dir, context)
    if checkpoint is not None:
        run.restore(checkpoint)
    return run


def _due(step: int, every: int) -> bool:
    return every > 0 and step % every == 0


def _log_interval(
    run: _Run, logger: RunLogger, meter: _Meter, started: tuple[float, int]
) -> dict[str, float]:
    seconds, first_step = started
    steps = run.progress.step - first_step
    rate = steps / max(time.perf_counter() - seconds, 1e-9)
    values = meter.pop()
    values.update(
        {
            "train/steps_per_s": rate,
            "train/patches_per_s": rate * run.config.optim.batch_size,
            "train/epoch": run.progress.epoch + run.progress.batches_done / run.steps_per_epoch,
            "train/nonfinite_steps": float(run.progress.nonfinite_steps),
            "train/lr": learning_rate(run.config.optim, run.progress.step - 1, run.total_steps),
        }
    )
    logger.scalars(run.progress.step, values)
    return values


def _postfix(values: dict[str, float]) -> dict[str, str]:
    """The main losses (``loss/stage1`` …, not their parts) for the progress bar."""
    return {
        name.removeprefix("loss/"): f"{value:.4g}"
        for name, value in values.items()
        if name.startswith("loss/") and "_" not in name
    }


def _train_steps(run: _Run, logger: RunLogger, bar: tqdm) -> None:
    """Run steps until ``total_steps``, logging, validating and checkpointing on schedule."""
    meter, every = _Meter(), run.config.run
    started = (time.perf_counter(), run.progress.step)
    while run.progress.step < run.total_steps:
        for batch in run.loader():
            lr = learning_rate(run.config.optim, run.progress.step, run.total_steps)
            run.trainer.set_learning_rate(lr)
            result = run.trainer.train_step(batch)
            run.advance(result)
            meter.add(result)
            bar.update(1)
            step = run.progress.step
            if result.skipped:
                bar.write(f"step {step}: non-finite loss or gradient, step skipped")
            if _due(step, every.log_every):
                bar.set_postfix(_postfix(_log_interval(run, logger, meter, started)))
            if _due(step, every.validate_every) and step < run.total_steps:
                run.validate(logger)
            if _due(step, every.checkpoint_every) and step < run.total_steps:
                run.save_last()
            if step >= run.total_steps:
                break


def _run_in_context(
    config: TrainConfig, run_dir: Path, *, resume: bool, progress_bar: bool, context: DistContext
) -> TrainResult:
    if context.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
    barrier(context)
    run = _open_run(config, run_dir, resume=resume, context=context)
    if context.is_main:
        save_config(config, run_dir / CONFIG_NAME)
    logger = RunLogger(
        run_dir, enabled=context.is_main, resume_step=run.progress.step if resume else None
    )
    bar = tqdm(
        total=run.total_steps,
        initial=run.progress.step,
        unit="step",
        desc="train",
        disable=not (context.is_main and progress_bar),
        dynamic_ncols=True,
    )
    try:
        _train_steps(run, logger, bar)
        if run.val_set is not None:
            run.validate(logger)
        run.save_last()
    finally:
        bar.close()
        logger.close()
    return TrainResult(progress=run.progress, history=run.history, trainer=run.trainer)


def train(
    config: TrainConfig, run_dir: str | Path, *, resume: bool = False, progress_bar: bool = True
) -> TrainResult:
    """Train as ``config`` says, writing checkpoints, logs and weights to ``run_dir``.

    Launched by ``torchrun`` (``WORLD_SIZE`` > 1) this joins the process group and trains with
    DistributedDataParallel; only rank 0 writes files.

    Args:
        config: the resolved configuration (:func:`~ldr2hdr.train.config.load_config`).
        run_dir: the run's folder (created if needed). A fresh run refuses a folder that
            already holds ``last.pt``.
        resume: continue from ``run_dir/last.pt``; ``config`` may differ from the checkpoint's
            only in run-length, logging, device and data-location keys.
        progress_bar: show a tqdm bar (rank 0) with steps/s and the ETA.

    Returns:
        A :class:`TrainResult` (the final progress, the validation history, the trainer).

    Raises:
        ConfigError: a bad config, a resume that changes the recipe, or a fresh run in a used
            folder. DatasetError: unusable data. CheckpointError: an unreadable checkpoint.
    """
    # A config built or changed in Python (dataclasses.replace) has skipped config_from_dict.
    config_from_dict(config.to_dict())
    context = setup_distributed(config.run.device)
    try:
        return _run_in_context(
            config, Path(run_dir), resume=resume, progress_bar=progress_bar, context=context
        )
    finally:
        teardown_distributed(context)
