"""Single-process or DistributedDataParallel training: process group, device, sampler.

``torchrun --nproc_per_node N -m ldr2hdr train ...`` sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``; :func:`setup_distributed` then joins the
process group (NCCL on CUDA, gloo on CPU) and picks ``cuda:LOCAL_RANK``. Without those variables
training runs in one process. Only rank 0 logs, validates and writes files.

The discriminator's BatchNorm is left per process (not ``SyncBatchNorm``): each rank normalises
its own share of the batch, as a single GPU would with that batch, and DDP broadcasts rank 0's
running statistics (which training never reads: the discriminator is always in training mode).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Dataset, DistributedSampler

from ldr2hdr import runtime
from ldr2hdr.errors import DeviceError
from ldr2hdr.train.config import ConfigError

ENV_WORLD_SIZE = "WORLD_SIZE"
ENV_RANK = "RANK"
ENV_LOCAL_RANK = "LOCAL_RANK"


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: its rank, the number of processes and its device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Whether this process logs, validates and writes files (rank 0)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Whether a process group of more than one process is in use."""
        return self.world_size > 1


def run_device(name: str, *, local_rank: int = 0) -> torch.device:
    """``run.device`` → the device: :func:`ldr2hdr.runtime.resolve_device` (``auto`` → CUDA
    when available, else CPU; a bare ``cuda`` → ``cuda:local_rank``).

    Raises:
        ConfigError: CUDA or MPS was asked for but is not available on this machine.
    """
    try:
        return runtime.resolve_device(name, local_rank, auto_mps=False, option="run.device =")
    except DeviceError as exc:
        raise ConfigError(str(exc)) from exc


resolve_device = run_device
"""Deprecated alias of :func:`run_device` (general: :func:`ldr2hdr.runtime.resolve_device`)."""


def setup_distributed(device_name: str) -> DistContext:
    """Join the torchrun process group when launched by torchrun; else a one-process context."""
    world_size = int(os.environ.get(ENV_WORLD_SIZE, "1"))
    if world_size <= 1:
        return DistContext(rank=0, world_size=1, device=run_device(device_name))
    local_rank = int(os.environ.get(ENV_LOCAL_RANK, "0"))
    device = run_device(device_name, local_rank=local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    return DistContext(rank=dist.get_rank(), world_size=dist.get_world_size(), device=device)


def teardown_distributed(context: DistContext) -> None:
    """Leave the process group (no-op for a single process)."""
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()


def wrap_ddp(module: nn.Module, context: DistContext) -> nn.Module:
    """``DistributedDataParallel(module)`` when distributed, else ``module`` itself."""
    if not context.distributed:
        return module
    device_ids = [context.device.index] if context.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=device_ids)


def all_ranks_true(flag: bool, context: DistContext) -> bool:
    """Whether ``flag`` holds on every rank (an all-reduce of the minimum)."""
    if not context.distributed:
        return flag
    value = torch.tensor([1 if flag else 0], device=context.device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())


def barrier(context: DistContext) -> None:
    """Wait for every rank (no-op for a single process)."""
    if context.distributed:
        dist.barrier()


class ResumableSampler(DistributedSampler):
    """A :class:`DistributedSampler` (shuffled per epoch from ``seed + epoch``) that can start
    part-way through an epoch, so a resumed run sees exactly the batches it has not yet seen.

    Call :meth:`set_epoch` then :meth:`skip` (samples of this rank to leave out) before iterating.
    """

    def __init__(self, dataset: Dataset, *, context: DistContext, seed: int) -> None:
        super().__init__(
            dataset,
            num_replicas=context.world_size,
            rank=context.rank,
            shuffle=True,
            seed=seed,
            drop_last=True,
        )
        self.start = 0

    def skip(self, count: int) -> None:
        """Leave out the first ``count`` indices of this rank in the current epoch."""
        if not 0 <= count <= self.num_samples:
            raise ValueError(f"cannot skip {count} of {self.num_samples} samples")
        self.start = count

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.start :])

    def __len__(self) -> int:
        return self.num_samples - self.start
