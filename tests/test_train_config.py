"""The whole training config is checked when it loads (camera, model, options, initial weights,
crop), and overrides (Python or the CLI's --max-steps, --model, --data-root) are checked the same
way as values written in the file, and saved with the run's config."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from _training_helpers import tiny_raw, write_scenes, write_toml

from ldr2hdr import runtime
from ldr2hdr.cli import main
from ldr2hdr.train import ConfigError, config_checks, config_from_dict, load_config, train
from ldr2hdr.train.config import apply_overrides

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    return write_scenes(tmp_path_factory.mktemp("scenes"), count=2)


def toml(tmp_path: Path, raw: dict, name: str = "c.toml") -> Path:
    path = tmp_path / name
    write_toml(path, raw)
    return path


def load_error(path: Path, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, **kwargs)
    return str(info.value)


@pytest.mark.parametrize(
    ("camera", "expected"),
    [
        ({"curves": ["gama"]}, "data.camera.curves = ['gama']: unknown curve 'gama'; choose from"),
        ({"clip_range": [0.3, 0.1]}, "data.camera.clip_range = [0.3, 0.1]: must be"),
        ({"jpeg_probability": 2.0}, "data.camera.jpeg_probability = 2.0: must be in [0, 1]"),
        ({"shot_noise": [0.0, 0.1]}, "data.camera.shot_noise = [0.0, 0.1]: must be (0, 0)"),
        ({"curves": "gamma"}, "[data.camera].curves = 'gamma': expected a list of str"),
        ({"iso": 100}, "[data.camera]: unknown key(s) 'iso'"),
    ],
)
def test_bad_camera_value_fails_at_load(tmp_path, scenes, camera, expected) -> None:
    path = toml(tmp_path, tiny_raw(scenes, data={"camera": camera}))
    message = load_error(path)
    assert message.startswith(f"{path}: ") and expected in message


def test_camera_is_checked_even_for_ntire_data(tmp_path, scenes) -> None:
    raw = tiny_raw(scenes, data={"source": "ntire", "camera": {"curves": []}})
    assert "data.camera.curves = []" in load_error(toml(tmp_path, raw))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"options": {"widht": 3}}, "model.options.widht = 3: model 'twostage' has no option"),
        ({"name": "expandnet", "options": {"x": 1}}, "model.options.x = 1: model 'expandnet'"),
        ({"name": "fhdr", "options": {"iterations": 0}}, "model.options.iterations = 0: "),
        ({"options": {"detach": False}}, "model.options.detach = False: set model.end_to_end"),
        ({"name": "twostg"}, "model.name = 'twostg': unknown model; registered models:"),
        ({"name": "stage1", "end_to_end": True}, "model.end_to_end = true needs"),
        ({"init": "phot"}, "model.init = 'phot': unknown weights preset"),
        ({"init": "missing.safetensors"}, "model.init = 'missing.safetensors': "),
        ({"name": "stage2", "init": "photo"}, "weights are for architecture 'twostage', not"),
    ],
)
def test_bad_model_fails_at_load(tmp_path, scenes, model, expected) -> None:
    message = load_error(toml(tmp_path, tiny_raw(scenes, model=model)))
    assert expected in message and "\n" not in message


def test_model_options_are_checked_without_building_weights(scenes) -> None:
    # The constructor runs on the meta device: no memory, no random numbers drawn.
    state = torch.random.get_rng_state()
    config = config_from_dict(tiny_raw(scenes, model={"options": {"identity_init": True}}))
    assert config.model.options == {"identity_init": True}
    assert torch.equal(state, torch.random.get_rng_state())


def test_crop_too_small_for_the_model_fails_at_load(tmp_path, scenes) -> None:
    raw = tiny_raw(scenes, data={"crop": 20, "val_size": 20})
    message = load_error(toml(tmp_path, raw))
    assert "data.crop = 20: the twostage recipe's MS-SSIM loss needs at least 33" in message
    small = toml(tmp_path, tiny_raw(scenes, model={"name": "stage2"}, data={"crop": 20}), "s.toml")
    assert load_config(small).data.crop == 20  # other models need 1 pixel
    assert "data.crop = 20" in load_error(small, overrides={"model.name": "twostage"})


def test_precisions_come_from_the_runtime() -> None:
    assert config_checks.PRECISIONS is runtime.PRECISIONS
    with pytest.raises(ConfigError, match=r"run\.precision = 'fp8': expected one of fp32, bf16"):
        config_from_dict({"data": {"root": "x"}, "run": {"precision": "fp8"}})


def test_override_fails_like_the_same_value_in_the_file(tmp_path, scenes) -> None:
    path = toml(tmp_path, tiny_raw(scenes, run={"max_steps": -5}))
    from_file = load_error(path)
    assert from_file == f"{path}: run.max_steps = -5: must be >= 0"
    write_toml(path, tiny_raw(scenes))
    assert load_error(path, overrides={"run.max_steps": -5}) == from_file
    camera = {"data.camera.curves": ["gama"]}
    assert "data.camera.curves = ['gama']: unknown curve" in load_error(path, overrides=camera)


def test_overrides_set_nested_keys_and_leave_the_raw_config_alone(scenes) -> None:
    raw = tiny_raw(scenes)
    changed = apply_overrides(
        raw,
        {
            "run.max_steps": 7,
            "model.options.identity_init": True,
            "data.camera.curves": ["gamma"],
            "data.root": Path("elsewhere"),
        },
    )
    assert "max_steps" not in raw["run"] and "model" not in raw and "camera" not in raw["data"]
    assert changed["run"]["max_steps"] == 7 and changed["data"]["root"] == "elsewhere"
    assert changed["model"] == {"options": {"identity_init": True}}
    assert changed["data"]["camera"] == {"curves": ["gamma"]}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("train.max_steps", "override 'train.max_steps': unknown key; expected TABLE.KEY"),
        ("run.max_step", "override 'run.max_step': unknown key; [run] keys: seed,"),
        ("run", "override 'run': unknown key"),
        ("data.camera.iso", "override 'data.camera.iso': unknown key; [data.camera] keys:"),
        ("run.max_steps.x", "override 'run.max_steps.x': unknown key; no such table"),
    ],
)
def test_unknown_dotted_key_is_rejected(tmp_path, scenes, key, expected) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(tiny_raw(scenes), {key: 1})
    assert str(info.value).startswith(expected)
    assert load_error(toml(tmp_path, tiny_raw(scenes)), overrides={key: 1}).startswith(expected)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--max-steps", "-5"], "run.max_steps = -5: must be >= 0"),
        (["--model", "nosuch"], "model.name = 'nosuch': unknown model"),
        (["--model", "twostage"], "data.crop = 20: the twostage recipe"),
    ],
)
def test_cli_override_with_a_bad_value_is_one_line_and_creates_nothing(
    tmp_path, capsys, scenes, option, expected
) -> None:
    raw = tiny_raw(scenes, model={"name": "stage2"}, data={"crop": 20, "val_size": 20})
    path = toml(tmp_path, raw)
    out = tmp_path / "run"
    assert main(["train", "--config", str(path), "--out", str(out), *option]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: {expected}" in err
    assert not out.exists()


def test_overrides_are_saved_with_the_run_and_on_resume(tmp_path, capsys, scenes) -> None:
    raw = tiny_raw(scenes, model={"name": "stage2"}, data={"samples_per_epoch": 2})
    raw["data"]["root"] = "nowhere"  # --data-root supplies it
    path = toml(tmp_path, raw)
    out = tmp_path / "run"
    command = ["train", "--out", str(out), "--no-progress"]
    first = ["--config", str(path), "--data-root", str(scenes), "--max-steps", "1"]
    assert main([*command, *first]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["run"]["max_steps"] == 1 and saved["data"]["root"] == str(scenes.resolve())
    assert main([*command, "--resume", "--max-steps", "2"]) == 0  # the checkpoint's config
    assert "trained 2 steps" in capsys.readouterr().out
    saved = json.loads((out / "config.json").read_text())
    assert saved["run"]["max_steps"] == 2 and saved["model"]["name"] == "stage2"
    assert main([*command, "--resume", "--max-steps", "-1"]) == 2
    assert f"{out / 'last.pt'}: run.max_steps = -1: must be >= 0" in capsys.readouterr().err


def test_train_rechecks_a_config_changed_in_python(tmp_path, scenes) -> None:
    config = config_from_dict(tiny_raw(scenes))
    bad = dataclasses.replace(config, data=dataclasses.replace(config.data, crop=20))
    with pytest.raises(ConfigError, match=r"data\.crop = 20"):
        train(bad, tmp_path / "run", progress_bar=False)
    assert not (tmp_path / "run").exists()
