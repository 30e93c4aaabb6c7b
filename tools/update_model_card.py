"""Regenerate MODEL_CARD.md's validation tables for every weight preset with the project's commands.

For each validation set it scores both presets, ``identity`` and the classical operators with
``ldr2hdr evaluate`` and writes one table per set, built from the evaluation's summary.csv, between
the ``<!-- validation:start -->`` / ``<!-- validation:end -->`` markers of MODEL_CARD.md. The sets:

- each simulated camera (``ldr2hdr make-dataset`` on the held-out scenes of configs/val-scenes.txt);
- the real camera pairs (``--real-pairs``, NTIRE layout: one real 8-bit frame of a bracketed stack
  against the merge of the stack), scored as they are;
- with ``--photo-sets``: the real pairs' references (HDR photographs, not panoramas) shot again
  through each simulated camera.

    python tools/update_model_card.py                        # the packaged presets
    python tools/update_model_card.py --preset ntire=runs/preset-ntire/model.safetensors \
        --run ntire=runs/preset-ntire                       # also that run's validation curve
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import tempfile
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
PRESETS = ("photo", "ntire")
OPERATORS = ("linear", "akyuz", "landis", "masia", "masia17", "huo", "kovaleski")
SCORES = {
    "mu_psnr": "μ-PSNR",
    "psnr_l": "PSNR-L",
    "pu21_psnr": "PU21-PSNR",
    "pu21_ssim": "PU21-SSIM",
}
RATIOS = {
    "midtone_ratio": "mid-tone ratio",
    "reference_midtone_ratio": "reference's",
    "highlight_ratio": "p99.9 ratio",
}
SUMMARY_KEYS = (*SCORES, *RATIOS, "images")
Means = dict[str, dict[str, float]]


def named_path(text: str) -> tuple[str, str]:
    """argparse type: ``PRESET=PATH``."""
    name, sep, path = text.partition("=")
    if not sep or name not in PRESETS or not path:
        raise argparse.ArgumentTypeError(f"expected PRESET=PATH with PRESET in {PRESETS}: {text!r}")
    return name, path


def evaluate_set(
    data: Path, presets: dict[str, str], operators: list[str] | None, work: Path, reuse: bool
) -> Means:
    """Mean scores and median ratios per method on one set: the presets, then the rest.

    ``operators`` None scores only the presets (``identity`` too when given a list).
    """
    means: Means = {}
    for preset, weights in presets.items():
        report = work / f"report-{preset}"
        evaluate_into(data, "twostage", {"twostage": weights}, report, reuse)
        means[preset] = read_means(report / "summary.csv", SUMMARY_KEYS)["twostage"]
    if operators is not None:
        report = work / "report-operators"
        evaluate_into(data, ",".join(["identity", *operators]), {}, report, reuse)
        means.update(read_means(report / "summary.csv", SUMMARY_KEYS))
    return means


def evaluate_into(
    data: Path, methods: str, weights: dict[str, str], report: Path, reuse: bool
) -> None:
    """``ldr2hdr evaluate`` of ``methods`` on ``data`` into ``report`` (kept if ``reuse``)."""
    if reuse and (report / "summary.csv").is_file():
        print(f"reusing {report}")
        return
    evaluate(data, methods, weights, report)


def table(means: Means) -> str:
    """One row per method: images, the four scores, the three ratios."""
    labels = [label if key == "pu21_ssim" else f"{label} (dB)" for key, label in SCORES.items()]
    header = ["method", "images", *labels, *RATIOS.values()]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for name, row in means.items():
        label = f"twostage, preset `{name}`" if name in PRESETS else name
        scores = [f"{row[k]:.4f}" if k == "pu21_ssim" else f"{row[k]:.2f}" for k in SCORES]
        ratios = ["–" if math.isnan(row[k]) else f"{row[k]:.3f}" for k in RATIOS]
        lines.append(f"| {label} | {int(row['images'])} | " + " | ".join([*scores, *ratios]) + " |")
    return "\n".join(lines)


def margins(means: Means) -> str:
    """Each preset's margins over identity and over the best operator (by μ-PSNR) in the set."""
    operators = [name for name in means if name in OPERATORS]
    best = max(operators, key=lambda name: means[name]["mu_psnr"]) if operators else None
    header = "| margin | " + " | ".join(SCORES.values()) + " |"
    lines = [header, "|---" * (len(SCORES) + 1) + "|"]
    for preset in (name for name in means if name in PRESETS):
        for other in ("identity", best):
            if other is None:
                continue
            label = "identity" if other == "identity" else f"best operator ({other})"
            cells = [f"{means[preset][k] - means[other][k]:+.3f}" for k in SCORES]
            lines.append(f"| `{preset}` over {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def photo_references(real_pairs: Path, out: Path) -> Path:
    """The real pairs' references written as linear EXR files (HDR photographs to shoot again)."""
    import numpy as np

    from ldr2hdr.data.ntire import find_frames
    from ldr2hdr.io import read_ntire, write_hdr

    out.mkdir(parents=True, exist_ok=True)
    for frame in find_frames(real_pairs):
        linear = np.power(read_ntire(frame.path("gt")), np.float32(2.24))
        write_hdr(out / f"{frame.frame_id}.exr", linear, "exr", overwrite=True)
    return out


def sets(args: argparse.Namespace, work: Path) -> list[tuple[str, str, Path]]:
    """(title, how it was made, folder) of every validation set, made on the way."""
    result = []
    for index, (name, options) in enumerate(CAMERAS.items()):
        data = work / f"set{index}"
        command = make_set(args, options, data)
        result.append((f"held-out scenes, camera: {name}", f"`{command}`", data))
    if args.real_pairs is not None:
        shown = os.path.relpath(args.real_pairs, ROOT)
        how = f"`{shown}` as it is (real 8-bit frames, merged stacks as references)"
        result.append(("real camera pairs", how, args.real_pairs))
    if args.real_pairs is not None and args.photo_sets:
        photos = photo_references(args.real_pairs, work / "photo-references")
        for index, (name, options) in enumerate(CAMERAS.items()):
            data = work / f"photo-set{index}"
            photo_args = argparse.Namespace(**{**vars(args), "hdr_dir": photos, "scenes": None})
            command = make_set(photo_args, options, data).replace(str(photos), "REFERENCES")
            how = f"`{command}` (REFERENCES: the real pairs' references as linear EXR files)"
            result.append((f"real HDR photographs, camera: {name}", how, data))
    return result


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
    parser.add_argument("--preset", type=named_path, action="append", default=[])
    parser.add_argument("--run", type=named_path, action="append", default=[])
    parser.add_argument("--real-pairs", type=Path, default=Path("../shared/data/real-pairs"))
    parser.add_argument("--photo-sets", action="store_true")
    parser.add_argument("--operators", default=",".join(OPERATORS))
    parser.add_argument(
        "--only", choices=PRESETS, help="score this preset only (and leave the card alone)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep sets and reports already in --work"
    )
    add_set_arguments(parser, tempfile.gettempdir() + "/ldr2hdr-model-card")
    args = parser.parse_args()
    presets = {name: name for name in PRESETS} | dict(args.preset)
    if args.only:
        presets = {args.only: presets[args.only]}
    operators = [name for name in args.operators.split(",") if name]
    args.real_pairs = ROOT / args.real_pairs
    if not args.real_pairs.is_dir():
        print(f"no real pairs at {args.real_pairs}: skipping that set")
        args.real_pairs = None
    sections = []
    for index, (title, how, data) in enumerate(sets(args, args.work)):
        means = evaluate_set(data, presets, operators, args.work / f"reports{index}", args.reuse)
        sections.append(
            f"**{title[0].upper()}{title[1:]}.** Set: {how}\n\n{table(means)}\n\n{margins(means)}\n"
        )
    replace_between(
        CARD, "<!-- validation:start -->", "<!-- validation:end -->", "\n".join(sections)
    )
    for name, run_dir in args.run:
        marks = (f"<!-- curve:{name}:start -->", f"<!-- curve:{name}:end -->")
        replace_between(CARD, *marks, f"{validation_curve(Path(run_dir))}\n")


if __name__ == "__main__":
    main()
