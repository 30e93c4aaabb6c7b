"""Training: the paper's two-stage recipe (or any registered generator, see ``recipes``),
resumable, on one CPU or GPU or many GPUs with DistributedDataParallel. See
``docs/training.md``.

``train(load_config("configs/paper.toml"), "runs/paper")`` is what ``ldr2hdr train`` runs.
"""

from ldr2hdr.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ldr2hdr.train.config import (
    ConfigError,
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TrainConfig,
    config_from_dict,
    load_config,
    save_config,
)
from ldr2hdr.train.loop import StepResult, Trainer
from ldr2hdr.train.recipes import Recipe, SingleGeneratorRecipe, TwoStageRecipe, recipe_for
from ldr2hdr.train.runner import Progress, TrainResult, resume_config, train

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "Progress",
    "Recipe",
    "RunConfig",
    "SingleGeneratorRecipe",
    "StepResult",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "TwoStageRecipe",
    "config_from_dict",
    "load_checkpoint",
    "load_config",
    "recipe_for",
    "resume_config",
    "save_checkpoint",
    "save_config",
    "train",
]
