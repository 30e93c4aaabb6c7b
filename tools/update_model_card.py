"""Regenerate MODEL_CARD.md's validation tables with the project's own commands.

For each validation camera it runs ``ldr2hdr make-dataset`` on the held-out scenes
(configs/val-scenes.txt) and ``ldr2hdr evaluate`` on the result, then copies the evaluation's
table, unedited, between the ``<!-- validation:start -->`` / ``<!-- validation:end -->`` markers
of MODEL_CARD.md.

    python tools/update_model_card.py --weights src/ldr2hdr/weights/twostage.safetensors \
        --run runs/default-weights     # also the run's validation curve (<!-- curve:... -->)
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from _evaluation import (
    CAMERAS,
    ROOT,
    add_set_arguments,
    evaluate,
    make_set,
    read_means,
    replace_between,
)

CARD = ROOT / "MODEL_CARD.md"
OPERATORS = ("linear", "akyuz", "landis", "masia", "masia17", "huo", "kovaleski")
METHODS = ",".join(["twostage", "identity", *OPERATORS])
SCORES = {
    "mu_psnr": "μ-PSNR",
    "psnr_l": "PSNR-L",
    "pu21_psnr": "PU21-PSNR",
    "pu21_ssim": "PU21-SSIM",
}


def margins(means: dict[str, dict[str, float]]) -> str:
    """The model's margins over identity and over the best classical operator (by μ-PSNR)."""
    best = max(OPERATORS, key=lambda name: means[name]["mu_psnr"])
    header = "| margin of twostage over | " + " | ".join(SCORES.values()) + " |"
    lines = [header, "|---" * (len(SCORES) + 1) + "|"]
    for name in ("identity", best):
        label = "identity" if name == "identity" else f"best operator ({name})"
        cells = [f"{means['twostage'][k] - means[name][k]:+.3f}" for k in SCORES]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def validation_curve(run_dir: Path) -> str:
    """The run's validation μ-PSNR per step (from metrics.csv) as a two-row Markdown table."""
    with (run_dir / "metrics.csv").open(newline="") as stream:
        rows = [r for r in csv.DictReader(stream) if r["tag"] == "val/mu_psnr"]
    scores = {int(r["step"]): float(r["value"]) for r in rows}  # a re-validated step: the last
    steps = sorted(scores)
    return "\n".join(
        [
            "| step | " + " | ".join(f"{step:,}" for step in steps) + " |",
            "|---" * (len(steps) + 1) + "|",
            "| validation μ-PSNR (dB) | " + " | ".join(f"{scores[s]:.2f}" for s in steps) + " |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--run", type=Path, help="the training run: its validation curve too")
    add_set_arguments(parser, "/tmp/ldr2hdr-model-card")
    args = parser.parse_args()
    sections = []
    for index, (name, options) in enumerate(CAMERAS.items()):
        data = args.work / f"set{index}"
        command = make_set(args, options, data)
        report = args.work / f"report{index}"
        table = evaluate(data, METHODS, {"twostage": args.weights}, report)
        means = margins(read_means(report / "summary.csv", tuple(SCORES)))
        sections.append(f"**Camera: {name}.** Set: `{command}`\n\n{table}\n\n{means}\n")
    marks = ("<!-- validation:start -->", "<!-- validation:end -->")
    replace_between(CARD, *marks, "\n".join(sections))
    if args.run is not None:
        curve = validation_curve(args.run)
        replace_between(CARD, "<!-- curve:start -->", "<!-- curve:end -->", f"{curve}\n")


if __name__ == "__main__":
    main()
