"""The command line: help, the models listing, and one-line errors with exit status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ldr2hdr.cli import build_parser, main


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
