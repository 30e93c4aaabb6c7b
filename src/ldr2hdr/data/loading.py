"""A DataLoader set up for this package's datasets on a small CPU machine.

Every dataset here draws its randomness per sample from ``default_rng([seed, epoch, index])``, so
the batches depend on the seed and epoch, not on the number of workers; the shuffling order
comes from a seeded ``torch.Generator``. PyTorch makes each worker single-threaded, so
``workers`` processes keep that many cores busy. (Do not call ``cv2.setNumThreads`` in a forked
worker: it deadlocks when the parent had used OpenCV's thread pool.)
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

DEFAULT_WORKERS = 2


def make_loader(
    dataset: Dataset,
    *,
    batch_size: int,
    workers: int = DEFAULT_WORKERS,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader over ``dataset`` yielding batched :class:`~ldr2hdr.data.sample.Sample` s.

    Args:
        dataset: a map-style dataset of samples (e.g. NtireDataset, SyntheticHdrDataset); call
            its ``set_epoch`` before iterating each epoch.
        batch_size: samples per batch.
        workers: worker processes (0 loads in the main process).
        shuffle: visit the samples in a random order drawn from ``seed``.
        seed: the seed of the shuffling order.
        drop_last: drop a last, smaller batch.

    Returns:
        A DataLoader whose batches are ``Sample(ldr, ref8, hdr)`` of B×3×H×W float32 tensors.
    """
    if batch_size < 1 or workers < 0:
        raise ValueError(f"need batch_size >= 1 and workers >= 0, got {batch_size}, {workers}")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=workers,
        generator=generator,
        drop_last=drop_last,
        persistent_workers=False,
    )
