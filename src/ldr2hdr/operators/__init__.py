"""Classical expansion operators (inverse tone mapping, no training), as weight-free baselines.

Every operator maps a display-referred LDR photo (float H×W×3 in [0, 1]) to linear HDR
(float32 H×W×3, ≥ 0) at its own scale; :func:`operator_ntire` rescales the result with
:func:`ntire_scale` (well-exposed pixels match the linearised input ``ldr ** 2.24`` in the
median) and encodes it in the NTIRE domain ``linear ** (1/2.24)``, so scores compare with the
networks'. Operators, formulas and citations: ``docs/evaluation.md``.

>>> list_operators()
['akyuz', 'huo', 'identity', 'kovaleski', 'landis', 'linear', 'masia', 'masia17']
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ldr2hdr.operators._common import check_ldr, ntire_scale, to_ntire
from ldr2hdr.operators.bilateral import cross_bilateral_grid
from ldr2hdr.operators.expansion import (
    akyuz,
    huo,
    identity,
    landis,
    linear,
    masia,
    masia17,
    masia17_gamma,
    masia_gamma,
)
from ldr2hdr.operators.kovaleski import kovaleski

Operator = Callable[[np.ndarray], np.ndarray]

_OPERATORS: dict[str, Callable[..., np.ndarray]] = {
    "identity": identity,
    "linear": linear,
    "akyuz": akyuz,
    "landis": landis,
    "masia": masia,
    "masia17": masia17,
    "huo": huo,
    "kovaleski": kovaleski,
}


def list_operators() -> list[str]:
    """The operator names, sorted."""
    return sorted(_OPERATORS)


def create_operator(name: str, **options: Any) -> Operator:
    """The operator ``name`` with keyword ``options`` bound: a function LDR → linear HDR.

    Args:
        name: one of :func:`list_operators`.
        **options: the operator's keyword options (e.g. ``gamma=1.0`` for ``akyuz``).

    Returns:
        A function taking float H×W×3 LDR in [0, 1] (display-referred) and returning float32
        H×W×3 linear HDR ≥ 0 at the operator's own scale.

    Raises:
        ValueError: unknown ``name`` (the message lists the known ones).
        TypeError: an option the operator does not take.
    """
    function = _OPERATORS.get(name) if isinstance(name, str) else None
    if function is None:
        raise ValueError(f"unknown operator {name!r}; operators: {', '.join(list_operators())}")
    try:
        inspect.signature(function).bind(None, **options)
    except TypeError as exc:
        raise TypeError(f"operator {name!r}: {exc} (options given: {options!r})") from None
    return functools.partial(function, **options)


def operator_ntire(name: str, ldr: np.ndarray, **options: Any) -> np.ndarray:
    """Run operator ``name`` on ``ldr`` and return its result in the NTIRE domain.

    Args:
        name: one of :func:`list_operators`.
        ldr: float H×W×3 in [0, 1], display-referred.
        **options: the operator's keyword options.

    Returns:
        float32 H×W×3, ``(s · linear) ** (1 / 2.24)`` with ``s`` from :func:`ntire_scale`: ≥ 0,
        relative (1.0 = the input's white), comparable with the networks' ``hdr`` output.
    """
    operator = create_operator(name, **options)
    checked = check_ldr(ldr)
    return to_ntire(checked, operator(checked))


__all__ = [
    "akyuz",
    "create_operator",
    "cross_bilateral_grid",
    "huo",
    "identity",
    "kovaleski",
    "landis",
    "linear",
    "list_operators",
    "masia",
    "masia17",
    "masia17_gamma",
    "masia_gamma",
    "ntire_scale",
    "operator_ntire",
    "to_ntire",
]
