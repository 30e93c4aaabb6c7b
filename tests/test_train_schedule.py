"""Learning-rate schedules: known values, config checks, and the rate each step really used."""

from __future__ import annotations

import csv
import itertools
import math

import pytest
from _training_helpers import tiny_config, write_scenes

from ldr2hdr.train import ConfigError, train
from ldr2hdr.train.config import OptimConfig, config_from_dict
from ldr2hdr.train.schedule import learning_rate

LR, MIN_LR, START, TOTAL = 4e-4, 1e-5, 10, 30

pytestmark = pytest.mark.usefixtures("one_thread")


def cosine() -> OptimConfig:
    return OptimConfig(lr=LR, schedule="cosine", decay_start=START, min_lr=MIN_LR)


def test_constant_is_the_paper_rate_throughout() -> None:
    assert {learning_rate(OptimConfig(), step, TOTAL) for step in range(TOTAL + 5)} == {5e-4}


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (0, LR),
        (START - 1, LR),
        (START, LR),  # the decay starts at decay_start
        (START + 5, MIN_LR + (LR - MIN_LR) * (1 + math.cos(math.pi / 4)) / 2),
        (20, (LR + MIN_LR) / 2),  # half way
        (TOTAL, MIN_LR),
        (TOTAL + 7, MIN_LR),  # held beyond the end
    ],
)
def test_cosine_known_values(step, expected) -> None:
    assert learning_rate(cosine(), step, TOTAL) == pytest.approx(expected, rel=1e-12)


def test_cosine_falls_monotonically() -> None:
    rates = [learning_rate(cosine(), step, TOTAL) for step in range(TOTAL + 1)]
    assert all(b <= a for a, b in itertools.pairwise(rates))
    assert rates[START + 1] < LR


def test_negative_step_is_refused() -> None:
    with pytest.raises(ValueError, match="-1"):
        learning_rate(cosine(), -1, TOTAL)


@pytest.mark.parametrize(
    ("optim", "pattern"),
    [
        ({"schedule": "step"}, r"optim\.schedule = 'step': expected one of constant, cosine"),
        ({"min_lr": 1.0}, r"optim\.min_lr = 1\.0: must be in \[0, optim\.lr"),
        ({"decay_start": -3}, r"optim\.decay_start = -3: must be >= 0"),
    ],
)
def test_bad_schedule_values_are_named(optim, pattern) -> None:
    with pytest.raises(ConfigError, match=pattern):
        config_from_dict({"data": {"root": "somewhere"}, "optim": optim})


def logged_rates(run_dir) -> dict[int, float]:
    with (run_dir / "metrics.csv").open(newline="") as stream:
        rows = csv.DictReader(stream)
        return {int(r["step"]): float(r["value"]) for r in rows if r["tag"] == "train/lr"}


def test_resume_may_switch_to_a_decay_and_steps_use_it(tmp_path) -> None:
    scenes = write_scenes(tmp_path / "scenes", count=4)
    run_dir = tmp_path / "run"
    train(tiny_config(scenes, run={"max_steps": 2}), run_dir, progress_bar=False)
    decay = {"schedule": "cosine", "decay_start": 2, "min_lr": 0.0}
    config = tiny_config(scenes, optim=decay, run={"max_steps": 4})
    result = train(config, run_dir, resume=True, progress_bar=False)
    # Step 3 ran at the top of the cosine (t = 0), step 4 half way down (t = 1/2).
    assert logged_rates(run_dir) == pytest.approx({1: 5e-4, 2: 5e-4, 3: 5e-4, 4: 2.5e-4})
    rates = {g["lr"] for opt in result.trainer.optimizers.values() for g in opt.param_groups}
    assert rates == {2.5e-4}
