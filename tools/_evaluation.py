"""Helpers shared by the scripts that write measured tables into the docs.

They only call the project's own commands (``ldr2hdr make-dataset``, ``ldr2hdr evaluate``), so a
table in the docs is what those commands printed, never typed by hand.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAMERAS = {  # name → make-dataset options
    "gamma 2.24, no JPEG": ["--curves", "gamma", "--jpeg-probability", "0"],
    "S-curve + JPEG (quality 70–95)": ["--curves", "s-curve", "--jpeg-probability", "1"],
}


def run(command: list[str]) -> None:
    """Echo and run a command from the repository root; fail loudly on a non-zero exit."""
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def add_set_arguments(parser: argparse.ArgumentParser, work: str) -> None:
    """Options of the validation sets: HDR folder, scene list, frame count, seed, size."""
    parser.add_argument("--hdr-dir", default="../shared/data/hdr", help="relative to the repo")
    parser.add_argument("--scenes", default="configs/val-scenes.txt")
    parser.add_argument("--count", type=int, default=32)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--size", default="256x256")
    parser.add_argument("--work", type=Path, default=Path(work), help="scratch folder")


def make_set(args: argparse.Namespace, options: list[str], out: Path) -> str:
    """Write one validation set with ``ldr2hdr make-dataset``; return its command line."""
    command = ["ldr2hdr", "make-dataset", str(args.hdr_dir), str(out)]
    command += ["--count", str(args.count), "--seed", str(args.seed), "--size", args.size]
    if args.scenes:
        command += ["--scenes", args.scenes]
    command += options
    if getattr(args, "reuse", False) and any(out.glob("*_gt.png")):
        print(f"reusing {out}")
    else:
        run([*command, "--overwrite"])
    return " ".join([*command[:3], "SET", *command[4:]])


def evaluate(data: Path, methods: str, weights: dict[str, str], report: Path) -> str:
    """Run ``ldr2hdr evaluate`` on the CPU; return the Markdown table of its report.md."""
    command = ["ldr2hdr", "evaluate", str(data), "--methods", methods, "--out", str(report)]
    for name, path in weights.items():
        command += ["--weights", f"{name}={path}"]
    run([*command, "--overwrite", "--device", "cpu"])
    table = re.search(r"^\| method .*?(?=\n\n)", (report / "report.md").read_text(), re.S | re.M)
    if table is None:
        raise SystemExit(f"{report / 'report.md'}: no score table found")
    return table.group(0)


def read_means(summary: Path, keys: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Mean scores (the columns ``keys``) per method from an evaluation's summary.csv."""
    with summary.open(newline="") as stream:
        return {row["method"]: {k: float(row[k]) for k in keys} for row in csv.DictReader(stream)}


def replace_between(path: Path, start: str, end: str, text: str) -> None:
    """Replace what lies between the ``start`` and ``end`` marker lines of ``path``."""
    content = path.read_text(encoding="utf-8")
    if start not in content or end not in content:
        raise SystemExit(f"{path}: markers {start} / {end} not found")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text}{end}{tail}", encoding="utf-8")
    print(f"updated {path}")
