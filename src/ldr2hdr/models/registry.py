"""A small name → constructor registry for generators (LDR → HDR models).

Models register with :func:`register_model`; :func:`create_model` builds one by name and records
the name and options on the instance (``model.arch_name``, ``model.arch_options``) so weights files
can say which architecture they belong to.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

ModelFactory = Callable[..., nn.Module]

_REGISTRY: dict[str, ModelFactory] = {}


def register_model(name: str) -> Callable[[ModelFactory], ModelFactory]:
    """Decorator: register ``factory`` under ``name`` (lower-case, unique)."""

    def decorator(factory: ModelFactory) -> ModelFactory:
        if name in _REGISTRY:
            raise ValueError(f"model name {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return decorator


def list_models() -> list[str]:
    """Return the registered model names, sorted."""
    return sorted(_REGISTRY)


def model_option_names(name: str) -> list[str] | None:
    """The keyword options model ``name`` takes, in order; None when it takes any (``**kwargs``).

    Raises:
        ValueError: ``name`` is not registered (the message lists the names that are).
    """
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(list_models())}")
    parameters = inspect.signature(factory).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in parameters if p.kind in kinds]


def check_model_options(name: str, options: dict[str, Any]) -> None:
    """Raise ValueError unless ``name`` is registered and takes the keyword ``options``."""
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(list_models())}")
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise ValueError(f"options {options!r} do not fit model {name!r}: {exc}") from exc


def create_model(name: str, **options: Any) -> nn.Module:
    """Build the model registered as ``name`` with keyword ``options``.

    Every model maps a batch of LDR images (N×3×H×W, float, [0, 1]) to a
    :class:`~ldr2hdr.models.ModelOutput` whose ``hdr`` field is in the NTIRE domain.

    Raises:
        ValueError: ``name`` is not registered (the message lists the names that are).
    """
    if not isinstance(name, str):
        raise TypeError(f"model name must be a string, got {type(name).__name__}: {name!r}")
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(list_models())}")
    model = factory(**options)
    model.arch_name = name
    model.arch_options = dict(options)
    return model
