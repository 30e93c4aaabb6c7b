"""The docs and the command line in step.

Every ``--option`` that README.md or docs/*.md writes after ``ldr2hdr COMMAND`` (in a code block,
an inline code span, or the README's command table) must appear in that command's ``--help``;
every subcommand of ``ldr2hdr --help`` must appear in the README.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from ldr2hdr.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"\bldr2hdr[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
SHELL_SEPARATOR = re.compile(r"&&|\|\||;| \| ")
FENCE = "```"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """Each command's parser, keyed "convert", "study", "study serve", ..."""
    parsers = {}
    for name, parser in _subcommands(build_parser()).items():
        parsers[name] = parser
        if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            parsers.update({f"{name} {a}": p for a, p in _subcommands(parser).items()})
    return parsers


def _help_options() -> dict[str, set[str]]:
    """The ``--options`` in each command's ``--help``."""
    return {name: set(OPTION.findall(p.format_help())) for name, p in _parsers().items()}


COMMAND_NAMES = set(_subcommands(build_parser()))


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of what may hold a command: code-block lines with their indented
    continuation lines joined, inline code spans, and the first cell of table rows."""
    found: list[tuple[int, str]] = []
    in_block = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(FENCE):
            in_block = not in_block
            continue
        if in_block:
            code = line.split(" # ", 1)[0].rstrip()
            continuation = line[:1].isspace() or (found and found[-1][1].endswith("\\"))
            if continuation and found:
                found[-1] = (found[-1][0], found[-1][1].rstrip("\\") + " " + code.strip())
            else:
                found.append((number, code))
            continue
        spans = re.findall(r"`([^`]+)`", line.replace("\\|", "|"))
        found += [(number, span) for span in spans]
        if line.startswith("| `"):  # a command table's row: `convert INPUT... [...]`
            found += [(number, f"ldr2hdr {s}") for s in spans if s.split()[0] in COMMAND_NAMES]
    return found


def _documented_uses(path: Path) -> list[tuple[str, str, set[str]]]:
    """(where, command, options written after it) for every ``ldr2hdr COMMAND`` in a page."""
    uses = []
    for number, line in _logical_lines(path.read_text(encoding="utf-8")):
        for part in SHELL_SEPARATOR.split(line):
            match = COMMAND.search(part)
            if match is None:
                continue
            name, action = match.groups()
            command = f"{name} {action}" if name == "study" and action else name
            uses.append(
                (f"{path.name}:{number}", command, set(OPTION.findall(part[match.end() :])))
            )
    return uses


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_documented_options_exist(page: Path) -> None:
    options = _help_options()
    problems = []
    for where, command, written in _documented_uses(page):
        if command not in options:
            problems.append(f"{where}: no command 'ldr2hdr {command}'")
            continue
        problems += [
            f"{where}: ldr2hdr {command} has no option {option}"
            for option in sorted(written - options[command])
        ]
    assert not problems, "\n".join(problems)


def test_every_command_is_in_the_readme() -> None:
    documented = {command for _, command, _ in _documented_uses(README)}
    missing = sorted(set(_help_options()) - documented - {"study"})
    assert not missing, f"README.md never shows: {', '.join(missing)}"


def test_synopses_list_every_option() -> None:
    """A synopsis (a code block of ``ldr2hdr COMMAND ... [--option ...]``) lists every option."""
    parsers = _parsers()
    problems = []
    for page in PAGES[1:]:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```\n(ldr2hdr [a-z].*?)\n```", text, re.M | re.S):
            for synopsis in re.split(r"\n(?=ldr2hdr )", block):
                if "[--" not in synopsis:
                    continue
                name, action = COMMAND.match(synopsis).groups()
                command = f"{name} {action}" if name == "study" and action else name
                written = set(re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", synopsis))
                problems += [
                    f"{page.name}: ldr2hdr {command}'s synopsis lacks {option.option_strings[-1]}"
                    for option in parsers[command]._actions
                    if option.option_strings
                    and "--help" not in option.option_strings
                    and not written & set(option.option_strings)
                ]
    assert not problems, "\n".join(problems)


def test_the_checker_finds_commands_and_options(tmp_path: Path) -> None:
    uses = {command: written for _, command, written in _documented_uses(README)}
    assert {"--format", "--preview"} <= uses["convert"]
    assert "study serve" in uses and "study report" in uses
    assert {"--config", "--data-root", "--resume"} <= uses["train"]
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\nldr2hdr convert a.jpg \\\n  --bogus  # --ignored\n```\n`ldr2hdr gallery --x`\n"
    )
    assert _documented_uses(page) == [
        ("page.md:2", "convert", {"--bogus"}),
        ("page.md:5", "gallery", {"--x"}),
    ]


def test_every_docs_page_is_indexed_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [p.name for p in PAGES[1:] if f"(docs/{p.name})" not in readme]
    assert not missing, f"README.md's Docs list lacks: {', '.join(missing)}"
