"""Train every model of the paper's Tables 1 and 2 on the same budget, score them, write the tables.

1. ``ldr2hdr train --config configs/reproduction.toml --model NAME --out RUNS/NAME`` for each
   model (resumed when RUNS/NAME/last.pt exists, so an interrupted run continues);
2. for each validation camera, ``ldr2hdr make-dataset`` on the held-out scenes and
   ``ldr2hdr evaluate`` of every trained model and the identity;
3. the tables and the paper's ordering claims, checked on the μ-PSNR and PSNR-L means,
   **replace** what lies between the ``<!-- reproduction:start -->`` /
   ``<!-- reproduction:end -->`` markers of docs/reproduction.md.

    python tools/reproduce_tables.py                    # train (or resume) and evaluate
    python tools/reproduce_tables.py --max-steps 23600  # another budget, every model alike
    python tools/reproduce_tables.py --skip-training    # evaluate the runs as they are
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from _evaluation import (
    CAMERAS,
    ROOT,
    add_set_arguments,
    evaluate,
    make_set,
    read_means,
    replace_between,
    run,
)

DOC = ROOT / "docs" / "reproduction.md"
MODELS = ("twostage", "stage1", "stage2", "fhdr", "expandnet", "hdrcnn")
CLAIMS = (  # (claim, methods that should score in decreasing order)
    ("Table 1: two-stage > FHDR > ExpandNet > HDRCNN", ("twostage", "fhdr", "expandnet", "hdrcnn")),
    ("Table 2: both stages > stage I alone", ("twostage", "stage1")),
    ("Table 2: both stages > stage II alone", ("twostage", "stage2")),
    ("Table 2: stage I alone > stage II alone", ("stage1", "stage2")),
)
SCORES = {"mu_psnr": "μ-PSNR", "psnr_l": "PSNR-L"}


def train(model: str, args: argparse.Namespace) -> Path:
    """Train (or resume) one model's run; return its exported weights."""
    out = args.runs / model
    command = ["ldr2hdr", "train", "--config", args.config, "--model", model, "--out", str(out)]
    command += ["--data-root", str(args.hdr_dir)]
    if args.max_steps is not None:
        command += ["--max-steps", str(args.max_steps)]
    if (out / "last.pt").exists():
        command.append("--resume")
    run([*command, "--no-progress"])
    return out / "model.safetensors"


def check_claims(means: dict[str, dict[str, float]]) -> str:
    """One Markdown line per claim and score: holds or not, with the numbers."""
    lines = []
    for claim, order in CLAIMS:
        for key, label in SCORES.items():
            values = [means[name][key] for name in order]
            holds = all(a > b for a, b in itertools.pairwise(values))
            numbers = ", ".join(f"{name} {means[name][key]:.2f}" for name in order)
            verdict = "holds" if holds else "**does not hold**"
            lines.append(f"- {claim}, {label}: {verdict} ({numbers})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=f"{__doc__.splitlines()[0]} Rewrites the tables of {DOC.relative_to(ROOT)}."
    )
    parser.add_argument("--config", default="configs/reproduction.toml")
    parser.add_argument("--runs", type=Path, default=Path("runs/reproduction"))
    parser.add_argument(
        "--max-steps",
        type=int,
        metavar="N",
        help="train every model for N steps (default: run.max_steps of --config)",
    )
    parser.add_argument("--skip-training", action="store_true")
    add_set_arguments(parser, "/tmp/ldr2hdr-reproduction")
    args = parser.parse_args()
    if args.skip_training:
        weights = {name: str(args.runs / name / "model.safetensors") for name in MODELS}
    else:
        weights = {name: str(train(name, args)) for name in MODELS}
    sections = []
    for index, (name, options) in enumerate(CAMERAS.items()):
        data, report = args.work / f"set{index}", args.work / f"report{index}"
        command = make_set(args, options, data)
        table = evaluate(data, ",".join([*MODELS, "identity"]), weights, report)
        claims = check_claims(read_means(report / "summary.csv", tuple(SCORES)))
        sections.append(f"**Camera: {name}.** Set: `{command}`\n\n{table}\n\n{claims}\n")
    marks = ("<!-- reproduction:start -->", "<!-- reproduction:end -->")
    replace_between(DOC, *marks, "\n".join(sections))


if __name__ == "__main__":
    main()
