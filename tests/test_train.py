"""Training: config checks, the step (loss falls, every network learns, end to end, non-finite
skip), bit-exact resume (after --max-steps and after SIGKILL), 2-process DDP, the CLI."""

from __future__ import annotations

import copy
import csv
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from _training_helpers import (
    CPU,
    first_batch,
    merge,
    tiny_config,
    tiny_raw,
    write_scenes,
    write_toml,
)

from ldr2hdr.cli import main
from ldr2hdr.data import Sample
from ldr2hdr.metrics import mu_psnr
from ldr2hdr.models import ModelOutput, load_weights, read_weights_metadata
from ldr2hdr.train import (
    CheckpointError,
    ConfigError,
    Trainer,
    config_from_dict,
    load_checkpoint,
    load_config,
    train,
)
from ldr2hdr.train.checkpoint import capture_rng_state, restore_rng_state
from ldr2hdr.train.data import build_datasets, spread_indices, validation_count
from ldr2hdr.train.validation import validate

STRAIGHT_STEPS, KILL_AFTER = 5, 2


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    return write_scenes(tmp_path_factory.mktemp("scenes"))


def parameters(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {
        f"{net}.{name}": p.detach().clone()
        for net, module in trainer.networks().items()
        for name, p in module.named_parameters()
    }


def assert_same_state(a, b, where: str = "state") -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_state(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_state(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


# --- config ---------------------------------------------------------------------------------


def test_unknown_key_is_quoted(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[optim]\nlr = 1e-3\nlearning_rate = 5\n[data]\nroot = "x"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml.*\[optim\].*'learning_rate'"):
        load_config(path)


@pytest.mark.parametrize(
    ("tables", "pattern"),
    [
        ({"optimizer": {}}, r"unknown table\(s\) 'optimizer'"),
        ({"optim": {"batch_size": "8"}}, r"optim\]\.batch_size = '8': expected int"),
        ({"optim": {"betas": [0.9]}}, r"betas = \[0\.9\]: expected a list of 2"),
        ({"optim": {"lr": -1.0}}, r"optim\.lr = -1\.0: must be > 0"),
        ({"run": {"precision": "fp8"}}, r"run\.precision = 'fp8': expected one of"),
        ({"loss": {"adversarial": 1}}, r"adversarial = 1: expected bool"),
        ({"data": {"root": ""}}, r"data\.root is empty"),
    ],
)
def test_bad_values_are_named(tables, pattern) -> None:
    raw = merge({"data": {"root": "somewhere"}}, tables)
    with pytest.raises(ConfigError, match=pattern):
        config_from_dict(raw)


def test_bad_toml_and_camera_keys(tmp_path, scenes) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[optim\nlr = 1")
    with pytest.raises(ConfigError, match=r"broken\.toml: not a valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"\[data\.camera\]: unknown key\(s\) 'iso'"):
        tiny_config(scenes, data={"camera": {"iso": 100}})  # checked when the config loads


def test_paper_config_is_the_paper_recipe() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "paper.toml")
    assert (config.optim.lr, config.optim.betas) == (5e-4, (0.9, 0.99))
    assert (config.optim.batch_size, config.optim.epochs, config.data.crop) == (8, 25, 128)
    assert config.optim.schedule == "constant"


SHIPPED_CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED_CONFIGS, ids=lambda path: path.name)
def test_every_shipped_config_loads(path) -> None:
    config = load_config(path)
    assert config.data.root and config.optim.batch_size >= 1
    assert config.loss.adversarial_weight == 1e-4 and not config.model.end_to_end


def test_validation_split_spreads_over_the_scenes() -> None:
    assert validation_count(47, 0.1) == 5 and validation_count(3, 0.01) == 1
    assert validation_count(10, 0.0) == 0
    assert spread_indices(10, 2) == [2, 7] and spread_indices(47, 5) == [4, 14, 23, 32, 42]


class Identity(torch.nn.Module):
    """A "model" returning its input as the HDR estimate (and as stage I's output)."""

    def forward(self, x: torch.Tensor) -> ModelOutput:
        return ModelOutput(hdr=x, ldr=x)


def test_validation_scores_and_grid(scenes) -> None:
    config = tiny_config(scenes, data={"val_fraction": 0.5, "val_count": 3, "val_size": 36})
    _, val_set = build_datasets(config.data, seed=0)
    result = validate(Identity(), val_set, device=torch.device("cpu"), sample_count=2)
    expected = [
        mu_psnr(s.ldr.permute(1, 2, 0).numpy(), s.hdr.permute(1, 2, 0).numpy())
        for s in (val_set[i] for i in range(3))
    ]
    assert result.scores["mu_psnr"] == pytest.approx(np.mean(expected), rel=1e-9)
    assert result.input_mu_psnr == pytest.approx(np.mean(expected), rel=1e-9)
    # 2 rows × 4 tiles (input, stage I, stage II, reference) of 36 px with 2-px gaps.
    assert result.grid().shape == (2 * 36 + 2, 4 * 36 + 3 * 2, 3)


# --- the step -------------------------------------------------------------------------------


def test_loss_falls_and_every_network_learns(scenes) -> None:
    # On one fixed batch of two crops the paper's 5e-4 overshoots; 2e-4 descends steadily.
    config = tiny_config(scenes, optim={"lr": 2e-4})
    trainer = Trainer(config, CPU)
    assert set(trainer.optimizers) == {"stage1", "stage2", "discriminator"}
    before = parameters(trainer)
    batch = first_batch(config)
    losses = []
    for _ in range(6):
        result = trainer.train_step(batch)
        assert not result.skipped
        losses.append(result.scalars)
    after = parameters(trainer)
    unchanged = [name for name in before if torch.equal(before[name], after[name])]
    assert unchanged == []
    for name in ("loss/stage1", "loss/stage2"):
        assert losses[-1][name] < 0.8 * losses[0][name], name


def test_end_to_end_sends_stage2_gradient_into_stage1(scenes) -> None:
    batch = first_batch(tiny_config(scenes))
    trained = {}
    for end_to_end in (False, True):
        config = tiny_config(scenes, model={"end_to_end": end_to_end}, loss={"adversarial": False})
        trainer = Trainer(config, CPU)
        trainer.train_step(batch)
        trained[end_to_end] = parameters(trainer)
    # Stage II sees the same input either way; stage I's update differs only end to end.
    for name, value in trained[False].items():
        same = torch.equal(value, trained[True][name])
        assert same == name.startswith("stage2."), name


def test_model_init_starts_from_weights(scenes, tmp_path) -> None:
    from ldr2hdr.models import load_weights, save_weights
    from ldr2hdr.models.presets import preset_path

    photo = load_weights(preset_path("photo"))
    trainer = Trainer(tiny_config(scenes, model={"init": "photo"}), CPU)
    for name, value in photo.state_dict().items():
        assert torch.equal(trainer.model.state_dict()[name], value), name
    stage2 = Trainer(tiny_config(scenes, model={"name": "stage2"}), CPU).model
    save_weights(stage2, tmp_path / "stage2.safetensors")
    with pytest.raises(ConfigError, match=r"model.init = .*not 'twostage'"):
        Trainer(tiny_config(scenes, model={"init": str(tmp_path / "stage2.safetensors")}), CPU)
    with pytest.raises(ConfigError, match=r"model\.init = 'phot': unknown weights preset"):
        Trainer(tiny_config(scenes, model={"init": "phot"}), CPU)


def test_ablation_model_trains_one_generator(scenes) -> None:
    trainer = Trainer(tiny_config(scenes, model={"name": "stage2"}), CPU)
    assert set(trainer.optimizers) == {"generator"} and trainer.discriminator is None
    result = trainer.train_step(first_batch(tiny_config(scenes)))
    assert set(result.scalars) == {"loss/generator", "loss/l1", "loss/delta_e"}
    parts = result.scalars["loss/l1"] + result.scalars["loss/delta_e"]
    assert result.scalars["loss/generator"] == pytest.approx(parts, rel=1e-6)
    with pytest.raises(ConfigError, match="end_to_end = true needs"):
        Trainer(tiny_config(scenes, model={"name": "stage1", "end_to_end": True}), CPU)


def test_nonfinite_loss_skips_the_step(scenes) -> None:
    config = tiny_config(scenes)
    trainer = Trainer(config, CPU)
    good = first_batch(config)
    bad = Sample(good.ldr, good.ref8, good.hdr.clone())
    bad.hdr[0, :, 3, 3] = float("nan")
    state = copy.deepcopy(trainer.state_dict())
    result = trainer.train_step(bad)
    assert result.skipped and np.isnan(result.scalars["loss/stage2"])
    assert_same_state(state, trainer.state_dict())  # weights, BatchNorm buffers, optimisers
    assert all(p.grad is None for p in trainer.model.parameters())
    assert not trainer.train_step(good).skipped


# --- checkpoints and resume -----------------------------------------------------------------


def test_checkpoint_errors_and_rng_round_trip(tmp_path) -> None:
    garbage = tmp_path / "last.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"last\.pt: unreadable checkpoint"):
        load_checkpoint(garbage)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "absent.pt")
    state = capture_rng_state()
    draws = (torch.rand(3), np.random.rand(3), __import__("random").random())
    restore_rng_state(state)
    assert torch.equal(torch.rand(3), draws[0]) and np.array_equal(np.random.rand(3), draws[1])
    assert __import__("random").random() == draws[2]


def train_rows(run_dir: Path) -> list[tuple[str, str, str]]:
    with (run_dir / "metrics.csv").open(newline="") as stream:
        return [
            (r["step"], r["tag"], r["value"])
            for r in csv.DictReader(stream)
            if r["tag"].startswith("loss/")
        ]


@pytest.fixture(scope="module")
def straight_run(scenes, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("straight")
    config = tiny_config(scenes, run={"max_steps": STRAIGHT_STEPS})
    result = train(config, run_dir, progress_bar=False)
    return result, run_dir


def test_resume_is_bit_exact(scenes, straight_run, tmp_path) -> None:
    straight, straight_dir = straight_run
    train(tiny_config(scenes, run={"max_steps": KILL_AFTER}), tmp_path, progress_bar=False)
    with pytest.raises(ConfigError, match="already holds a run"):
        train(tiny_config(scenes), tmp_path, progress_bar=False)
    with pytest.raises(ConfigError, match=r"differs from the checkpoint's in optim\.lr"):
        train(tiny_config(scenes, optim={"lr": 1e-3}), tmp_path, resume=True)
    config = tiny_config(scenes, run={"max_steps": STRAIGHT_STEPS})
    resumed = train(config, tmp_path, resume=True, progress_bar=False)
    assert resumed.progress.step == straight.progress.step == STRAIGHT_STEPS
    assert resumed.progress.epoch == 1  # 3 steps per epoch: the run crossed an epoch boundary
    assert_same_state(straight.trainer.state_dict(), resumed.trainer.state_dict())
    assert train_rows(tmp_path) == train_rows(straight_dir)  # no duplicated rows after resume


def test_sigkill_then_resume_is_bit_exact(scenes, straight_run, tmp_path) -> None:
    config_path = tmp_path / "tiny.toml"
    raw = tiny_raw(scenes, run={"max_steps": STRAIGHT_STEPS, "checkpoint_every": 1})
    write_toml(config_path, raw)
    run_dir = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = ["train", "--config", str(config_path), "--out", str(run_dir), "--no-progress"]
    process = subprocess.Popen(
        [sys.executable, "-m", "ldr2hdr", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not (run_dir / "last.pt").exists() and process.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = load_checkpoint(run_dir / "last.pt")["progress"]["step"]
    assert 1 <= killed_at < STRAIGHT_STEPS, process.stderr.read().decode()
    resumed = train(load_config(config_path), run_dir, resume=True, progress_bar=False)
    assert_same_state(straight_run[0].trainer.state_dict(), resumed.trainer.state_dict())


# --- distributed ----------------------------------------------------------------------------


def _ddp_worker(rank: int, world: int, port: int, raw: dict, run_dir: str, out_dir: str) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    result = train(config_from_dict(raw), run_dir, progress_bar=False)
    torch.save(parameters(result.trainer), Path(out_dir) / f"rank{rank}.pt")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_process_ddp_keeps_ranks_identical(scenes, tmp_path) -> None:
    raw = tiny_raw(scenes, optim={"batch_size": 4}, run={"max_steps": 2})
    run_dir = tmp_path / "run"
    mp.spawn(_ddp_worker, args=(2, free_port(), raw, str(run_dir), str(tmp_path)), nprocs=2)
    rank0, rank1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert_same_state(rank0, rank1)
    initial = parameters(Trainer(config_from_dict(raw), CPU))
    assert all(not torch.equal(initial[name], rank0[name]) for name in initial)
    assert (run_dir / "last.pt").is_file() and (run_dir / "model.safetensors").is_file()


# --- command line ---------------------------------------------------------------------------


def test_cli_trains_and_exports_small_weights(scenes, tmp_path, capsys) -> None:
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, tiny_raw(scenes, data={"samples_per_epoch": 4}))
    out = tmp_path / "run"
    command = ["train", "--config", str(config_path), "--out", str(out), "--no-progress"]
    assert main([*command, "--max-steps", "3"]) == 0
    assert "trained 3 steps" in capsys.readouterr().out
    weights = out / "model.safetensors"
    assert weights.stat().st_size < 4 * 2**20
    assert load_weights(weights).arch_name == "twostage"
    assert len(list((out / "samples").glob("step_*.png"))) == 1
    if importlib.util.find_spec("tensorboardX") is not None:
        assert list((out / "events").glob("events.out.tfevents.*"))
    assert main(["train", "--config", str(config_path), "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err


@pytest.mark.parametrize("export", ["best", "last"])
def test_exported_weights_follow_run_export(scenes, tmp_path, export) -> None:
    run = {"max_steps": 3, "validate_every": 1, "export": export}
    result = train(tiny_config(scenes, run=run), tmp_path, progress_bar=False)
    path = tmp_path / "model.safetensors"
    step = read_weights_metadata(path)["step"]
    assert step == (str(result.progress.best_step) if export == "best" else "3")
    if export == "last":
        exported = load_weights(path).state_dict()
        for name, tensor in result.trainer.model.state_dict().items():
            assert torch.equal(exported[name], tensor), name


def test_cli_threads_option(scenes, tmp_path, capsys) -> None:
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, tiny_raw(scenes, data={"samples_per_epoch": 2}))
    command = ["train", "--config", str(config_path), "--no-progress", "--max-steps", "1"]
    assert main([*command, "--out", str(tmp_path / "a"), "--threads", "2"]) == 0
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)  # back to the module's one thread
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--out", str(tmp_path / "b"), "--threads", "0"])
    assert exit_info.value.code == 2
    assert "expected an integer >= 1, got '0'" in capsys.readouterr().err
