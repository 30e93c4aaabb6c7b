"""The command line: help, the models listing, and one-line errors with exit status 2."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch

from ldr2hdr.cli import build_parser, main
from ldr2hdr.errors import DeviceError


def test_help_lists_subcommands(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "models" in capsys.readouterr().out


def test_models_lists_counts(capsys) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "834,476" in out and "555,655" in out and "278,821" in out


def test_user_error_is_one_line_without_traceback(tmp_path) -> None:
    missing = tmp_path / "absent.safetensors"
    result = subprocess.run(
        [sys.executable, "-m", "ldr2hdr", "models", "--weights", str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr and "absent.safetensors" in result.stderr


def test_every_subcommand_has_help() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():
        assert sub.description, f"subcommand {name} has no description"


@pytest.fixture
def no_gpu(monkeypatch):
    """A machine without CUDA or MPS, whatever this one has."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.mark.parametrize("device", ["cuda", "mps"])
@pytest.mark.parametrize(
    "argv",
    [
        ["convert", "PHOTO"],
        ["gallery", "FOLDER", "OUT"],
        ["evaluate", "FOLDER", "--methods", "twostage"],
    ],
)
def test_missing_device_is_one_line_exit_2(tmp_path, capsys, no_gpu, argv, device) -> None:
    from PIL import Image

    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    paths = {"PHOTO": tmp_path / "a.png", "FOLDER": tmp_path, "OUT": tmp_path / "out"}
    assert main([str(paths.get(a, a)) for a in argv] + ["--device", device]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--device {device}: " in err
    assert "use --device cpu or --device auto" in err


def test_missing_device_from_python_is_a_device_error(no_gpu) -> None:
    from ldr2hdr.inference import resolve_device
    from ldr2hdr.train import ConfigError
    from ldr2hdr.train.distributed import resolve_device as resolve_train_device

    with pytest.raises(DeviceError, match="device 'cuda': no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="device 'mps': Apple's Metal"):
        resolve_device("mps")
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ConfigError, match=r"run\.device = 'cuda:1': no CUDA GPU"):
        resolve_train_device("cuda:1")
    with pytest.raises(ConfigError, match=r"run\.device = 'mps'"):
        resolve_train_device("mps")


def test_train_data_root_overrides_the_config(tmp_path, monkeypatch, capsys) -> None:
    from ldr2hdr.train import load_config

    config_file = tmp_path / "c.toml"
    config_file.write_text('[data]\nsource = "hdr"\n')  # no data.root: --data-root supplies it
    monkeypatch.chdir(tmp_path)
    assert load_config(config_file, data_root="hdr").data.root == str(tmp_path / "hdr")
    assert main(["train", "--config", str(config_file), "--out", "run", "--data-root", "hdr"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"data.root = {str(tmp_path / 'hdr')!r}: not a folder" in err and "--data-root" in err


@pytest.mark.parametrize(("rank", "printed"), [(0, True), (1, False)])
def test_train_summary_only_on_rank_0(tmp_path, monkeypatch, capsys, rank, printed) -> None:
    import ldr2hdr.train as train_package
    from ldr2hdr.train import Progress, TrainResult

    context = SimpleNamespace(is_main=rank == 0)
    result = TrainResult(progress=Progress(), trainer=SimpleNamespace(context=context))
    monkeypatch.setattr(train_package, "train", lambda *args, **kwargs: result)
    config_file = tmp_path / "c.toml"
    config_file.write_text(f'[data]\nroot = "{tmp_path}"\n')
    assert main(["train", "--config", str(config_file), "--out", str(tmp_path / "run")]) == 0
    assert ("trained 0 steps" in capsys.readouterr().out) is printed


def test_closed_stdout_pipe_ends_quietly() -> None:
    """`ldr2hdr ... | head -1`: no BrokenPipeError traceback when the reader stops early."""
    import subprocess
    import sys

    script = (  # a subcommand printing far more than a pipe holds (64 KiB)
        "import sys\n"
        "import ldr2hdr.cli.models as models\n"
        "from ldr2hdr.cli import main\n"
        "models.run = lambda args: [print('x' * 1000) for _ in range(10_000)] and 0\n"
        "sys.exit(main(['models']))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout.readline() == b"x" * 1000 + b"\n"
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
