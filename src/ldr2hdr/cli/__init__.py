"""The ``ldr2hdr`` command line: one program, one subcommand per job.

Each subcommand lives in its own module of this package and exposes ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Errors caused by the user (bad files, bad
options) derive from :class:`ldr2hdr.errors.Ldr2HdrError`; they are printed as one line on
stderr, without a traceback, and the exit status is 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ldr2hdr._version import __version__
from ldr2hdr.errors import Ldr2HdrError, PixelLimitError, TargetExistsError

SUBCOMMAND_MODULES = (
    "convert",
    "export_onnx",
    "models",
    "make_dataset",
    "prepare_patches",
    "train",
    "evaluate",
    "gallery",
    "study",
)
EXIT_USER_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a process killed by it


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every subcommand attached."""
    parser = argparse.ArgumentParser(
        prog="ldr2hdr",
        description="Reconstruct HDR images from single 8-bit photos (Sharif et al., NTIRE 2021).",
    )
    parser.add_argument("--version", action="version", version=f"ldr2hdr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in SUBCOMMAND_MODULES:
        module = importlib.import_module(f"ldr2hdr.cli.{module_name}")
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(handler=module.run)
    return parser


def cli_message(exc: Exception, args: argparse.Namespace) -> str:
    """The error's message with the command-line option that addresses it, where one exists."""
    message = str(exc)
    if isinstance(exc, TargetExistsError):
        has_flag = hasattr(args, "overwrite")
        return message + ("; pass --overwrite to replace it" if has_flag else "; remove it first")
    if isinstance(exc, PixelLimitError) and hasattr(args, "max_pixels"):
        return message + "; pass --max-pixels to raise the limit"
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except Ldr2HdrError as exc:
        print(f"ldr2hdr {args.command}: error: {cli_message(exc, args)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"ldr2hdr {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (`ldr2hdr ... | head`)
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit-time flush cannot raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
