"""Networks: the two-stage generator, its ablation variants, the discriminator, and a registry.

``create_model(name, **options)`` builds a generator by name (``twostage``, ``stage1``,
``stage2``; later modules register baselines). Every generator maps N×3×H×W LDR images in [0, 1]
to a :class:`ModelOutput` in the NTIRE domain (``linear ** (1/2.24)``, 1.0 = input white).
"""

from ldr2hdr.models import expandnet, fhdr, hdrcnn  # noqa: F401  (registers the baselines)
from ldr2hdr.models.base import Generator, ModelOutput
from ldr2hdr.models.discriminator import Discriminator
from ldr2hdr.models.registry import create_model, list_models, register_model
from ldr2hdr.models.twostage import (
    ResidualDenseAttentionBlock,
    SingleStage,
    SpatialAttention,
    StageNet,
    TwoStage,
)
from ldr2hdr.models.weights import load_weights, read_weights_metadata, save_weights

__all__ = [
    "Discriminator",
    "Generator",
    "ModelOutput",
    "ResidualDenseAttentionBlock",
    "SingleStage",
    "SpatialAttention",
    "StageNet",
    "TwoStage",
    "create_model",
    "list_models",
    "load_weights",
    "read_weights_metadata",
    "register_model",
    "save_weights",
]
