"""The orchestrator: every method on every frame of an NTIRE-layout folder.

The top of :mod:`ldr2hdr.evaluation`: it resolves the methods (:mod:`.methods`) and scores
each frame (:mod:`.scoring`); the report (:mod:`.report`) is written from what it returns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from ldr2hdr.data.ntire import check_frame, find_frames
from ldr2hdr.evaluation.methods import resolve_methods
from ldr2hdr.evaluation.records import EvaluationError, Prediction, ScoreRecord
from ldr2hdr.evaluation.scoring import FrameError, score_frame


def evaluate(
    data_dir: str | os.PathLike,
    methods: Sequence[str],
    *,
    weights: Mapping[str, str | os.PathLike] | None = None,
    device: str = "auto",
    tile: int | None = None,
    limit: int | None = None,
    on_prediction: Callable[[Prediction], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_frame_error: Callable[[str, str], None] | None = None,
) -> list[ScoreRecord]:
    """Score every method on every frame of an NTIRE-layout folder.

    Args:
        data_dir: folder of frames (flat or nested): ``NNNN_medium.png`` (8-bit input) and
            ``NNNN_gt.png`` + ``NNNN_alignratio.npy`` (reference, NTIRE domain).
        methods: network and/or operator names (see :func:`~.methods.resolve_methods`).
        weights, device, tile: as for :func:`~.methods.resolve_methods`.
        limit: score only the first ``limit`` frames (sorted by id).
        on_prediction: called with each :class:`Prediction` (e.g. to keep crops for figures).
        progress: called with (frames done, frames in all) after each frame.
        on_frame_error: called with (frame id, reason) for a frame that cannot be scored (e.g.
            an all-black reference), which is then left out; None: such a frame raises
            EvaluationError.

    Returns:
        One :class:`ScoreRecord` per frame and method, frame-major in the given method order.

    Raises:
        DatasetError: no frame, or a frame with a missing or inconsistent file.
        EvaluationError, WeightsError: see :func:`~.methods.resolve_methods`.
    """
    if limit is not None and limit < 1:
        raise EvaluationError(f"limit must be ≥ 1, got {limit!r}")
    frames = find_frames(data_dir)[:limit]
    for frame in frames:
        check_frame(frame, inputs=("medium",))
    resolved = resolve_methods(methods, weights=weights, device=device, tile=tile)
    records = []
    for done, frame in enumerate(frames, start=1):
        try:
            records += score_frame(frame, resolved, on_prediction)
        except FrameError as exc:
            if on_frame_error is None:
                raise EvaluationError(f"frame {frame.frame_id}: {exc}") from exc
            on_frame_error(frame.frame_id, str(exc))
        if progress is not None:
            progress(done, len(frames))
    return records
