"""Regenerate MODEL_CARD.md's validation tables with the project's own commands.

For each validation camera it runs ``ldr2hdr make-dataset`` on the held-out scenes
(configs/val-scenes.txt) and ``ldr2hdr evaluate`` on the result, then copies the evaluation's
table, unedited, between the ``<!-- validation:start -->`` / ``<!-- validation:end -->`` markers
of MODEL_CARD.md.

    python tools/update_model_card.py --weights src/ldr2hdr/weights/twostage.safetensors
"""

from __future__ import annotations

import argparse

from _evaluation import CAMERAS, ROOT, add_set_arguments, evaluate, make_set, replace_between

CARD = ROOT / "MODEL_CARD.md"
METHODS = "twostage,identity,linear,akyuz,landis,masia,masia17,huo,kovaleski"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    add_set_arguments(parser, "/tmp/ldr2hdr-model-card")
    args = parser.parse_args()
    sections = []
    for index, (name, options) in enumerate(CAMERAS.items()):
        data = args.work / f"set{index}"
        command = make_set(args, options, data)
        table = evaluate(data, METHODS, {"twostage": args.weights}, args.work / f"report{index}")
        sections.append(f"**Camera: {name}.** Set: `{command}`\n\n{table}\n")
    marks = ("<!-- validation:start -->", "<!-- validation:end -->")
    replace_between(CARD, *marks, "\n".join(sections))


if __name__ == "__main__":
    main()
