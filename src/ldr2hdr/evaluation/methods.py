"""Method specs: names of networks and expansion operators turned into :class:`Method` objects.

A *method* is a registered network (:mod:`ldr2hdr.models`; it needs a weights file or, for
``twostage``, a packaged preset: ``twostage=ntire``; without one ``twostage`` takes the default
preset) or an expansion operator (:mod:`ldr2hdr.operators`, rescaled to the NTIRE domain by
``ntire_scale``). A network name may carry the working resolution of the gain-map fast path:
``twostage@1/4`` (a quarter of each image's pixels), ``twostage@0.1mp`` (0.1 megapixels); a bare
name is the exact path.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ldr2hdr.errors import WeightsError
from ldr2hdr.evaluation.records import EvaluationError, Method
from ldr2hdr.inference import Reconstructor
from ldr2hdr.inference.gainmap import WorkSpec
from ldr2hdr.models import list_models, read_weights_metadata
from ldr2hdr.models.presets import resolve_weights
from ldr2hdr.operators import list_operators, operator_ntire

DEFAULT_NETWORK = "twostage"
"""The one network that may go without weights (it takes the packaged default preset)."""
WORK_SEPARATOR = "@"
"""Between a network's name and its working resolution: ``twostage@1/4``."""


def _network(
    name: str,
    weights: str | os.PathLike | None,
    *,
    load: Callable[[Path], Reconstructor],
    work: WorkSpec | None = None,
    label: str | None = None,
) -> Method:
    if weights is None and name != DEFAULT_NETWORK:
        raise WeightsError(
            f"method {name!r} is a network and needs weights: pass --weights {name}=FILE"
        )
    weights = resolve_weights(weights)
    arch = read_weights_metadata(weights)["arch"]
    if arch != name:
        raise WeightsError(f"{weights}: weights are for {arch!r}, not for method {name!r}")
    reconstructor = load(weights)
    count = sum(p.numel() for p in reconstructor.model.parameters())

    def predict(ldr: np.ndarray) -> np.ndarray:
        megapixels = 0.0 if work is None else work.megapixels(*ldr.shape[:2])
        return reconstructor.predict_ntire(ldr, work_megapixels=megapixels)

    return Method(label or name, count, predict)


def _parse_work(spec: str) -> WorkSpec:
    try:
        return WorkSpec.parse(spec)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from None


def _operator(name: str) -> Method:
    def predict(ldr: np.ndarray) -> np.ndarray:
        return operator_ntire(name, ldr)

    return Method(name, 0, predict)


def _check_names(
    methods: Sequence[str], weights: Mapping[str, object], networks: set[str]
) -> list[str]:
    """The network or operator part of each name (before ``@``), once the list is checked."""
    if isinstance(methods, str):
        raise TypeError(f"methods must be a sequence of names, not the string {methods!r}")
    if not methods:
        raise EvaluationError("no method given")
    repeated = sorted({name for name in methods if list(methods).count(name) > 1})
    if repeated:
        raise EvaluationError(f"methods repeated: {repeated}")
    bases = [name.partition(WORK_SEPARATOR)[0] for name in methods]
    stray = sorted(set(weights).difference(base for base in bases if base in networks))
    if stray:
        raise EvaluationError(f"--weights given for {stray}, which are not networks being scored")
    return bases


def resolve_methods(
    methods: Sequence[str],
    *,
    weights: Mapping[str, str | os.PathLike] | None = None,
    device: str = "auto",
    tile: int | None = None,
) -> list[Method]:
    """Turn method names into :class:`Method` objects (loading networks' weights).

    Args:
        methods: registered network names and/or operator names, no repeats; a network name
            may end in ``@P/Q`` (fast path at that fraction of each image's pixels) or
            ``@Nmp`` (fast path at N megapixels), e.g. ``twostage@1/4``.
        weights: network name → weights file; ``twostage`` without an entry takes the packaged
            default weights.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps`` for the networks (operators run on NumPy).
        tile: the networks' tile side (None: from free memory; 0: no tiling).

    Raises:
        TypeError: ``methods`` is one string instead of a sequence of names.
        EvaluationError: empty or repeated names, an unknown name, or weights for a name that
            is not a listed network.
        WeightsError: a network without weights, or weights made for another architecture.
    """
    networks, operators = set(list_models()), set(list_operators())
    bases = _check_names(methods, weights or {}, networks)
    weights = dict(weights or {})

    @functools.cache
    def load(path: Path) -> Reconstructor:  # one per weights file: `twostage`, `twostage@1/4`
        return Reconstructor(path, device=device, tile=tile, work_megapixels=0)

    resolved = []
    for name, base in zip(methods, bases, strict=True):
        if base in networks:
            _, sep, spec = name.partition(WORK_SEPARATOR)
            work = _parse_work(spec) if sep else None
            resolved.append(_network(base, weights.get(base), load=load, work=work, label=name))
        elif name in operators:
            resolved.append(_operator(name))
        else:
            raise EvaluationError(
                f"unknown method {name!r}; networks: {', '.join(sorted(networks))}; "
                f"operators: {', '.join(sorted(operators))}"
            )
    return resolved
