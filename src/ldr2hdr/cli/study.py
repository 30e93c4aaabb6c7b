"""``ldr2hdr study``: the paper's blind user study as a small web app, and its report.

``study serve GALLERY_DIR`` shows each participant random input/reconstruction pairs and stores
the votes in SQLite; ``study report`` prints MOS per condition with 95 % confidence intervals.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from ldr2hdr.cli._types import int_at_least, positive_int
from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.study.limits import DEFAULT_MAX_PARTICIPANTS_PER_CLIENT, DEFAULT_MAX_VOTES_PER_MINUTE

NAME = "study"
HELP = "run the blind user study web app (serve) or summarise its votes (report)"
DEFAULT_DB = Path("study.sqlite")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_PAIRS = 10
MAX_PORT = 65535


def _port(text: str) -> int:
    port = int_at_least(0)(text)
    if port > MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is 0–{MAX_PORT}, got {text!r}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="study_action", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="start the study web server on a gallery folder",
        description="Start the study web server. GALLERY_DIR is the output of `ldr2hdr gallery`.",
    )
    serve.add_argument("gallery_dir", type=Path, metavar="GALLERY_DIR")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"default: {DEFAULT_HOST}")
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"default: {DEFAULT_PORT}; 0: any free"
    )
    serve.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"default: {DEFAULT_DB}")
    serve.add_argument(
        "--pairs",
        type=positive_int,
        default=DEFAULT_PAIRS,
        help=f"pairs per participant (default: {DEFAULT_PAIRS}; at most the number of photos)",
    )
    serve.add_argument(
        "--max-participants-per-client",
        type=positive_int,
        default=DEFAULT_MAX_PARTICIPANTS_PER_CLIENT,
        metavar="N",
        help="new participants one address may start (default: "
        f"{DEFAULT_MAX_PARTICIPANTS_PER_CLIENT}; raise it behind a proxy or for a shared lab)",
    )
    serve.add_argument(
        "--max-votes-per-minute",
        type=positive_int,
        default=DEFAULT_MAX_VOTES_PER_MINUTE,
        metavar="N",
        help=f"votes one address may send a minute (default: {DEFAULT_MAX_VOTES_PER_MINUTE})",
    )
    serve.set_defaults(study_handler=_serve)
    report = actions.add_parser(
        "report",
        help="print MOS per condition with 95%% confidence intervals and the preference rate",
    )
    report.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"default: {DEFAULT_DB}")
    report.add_argument("--csv", type=Path, help="also write every vote to this CSV file")
    report.add_argument("--overwrite", action="store_true", help="replace an existing CSV file")
    report.set_defaults(study_handler=_report)


def _serve(args: argparse.Namespace) -> int:
    try:
        from ldr2hdr.study.server import serve
    except ImportError as exc:
        raise Ldr2HdrError(
            f"the study server needs FastAPI and uvicorn ({exc}); "
            "install them with: pip install 'ldr2hdr[study]'"
        ) from exc

    # Ctrl-C is how the server is meant to stop; every vote is already committed.
    with contextlib.suppress(KeyboardInterrupt):
        serve(
            args.gallery_dir,
            db=args.db,
            host=args.host,
            port=args.port,
            pairs=args.pairs,
            max_participants_per_client=args.max_participants_per_client,
            max_votes_per_minute=args.max_votes_per_minute,
        )
    print(f"study server stopped; the votes are in {args.db}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from ldr2hdr.study.report import format_report, summarise, write_csv
    from ldr2hdr.study.storage import read_votes

    votes = read_votes(args.db)
    print(format_report(summarise(votes)))
    if args.csv is not None:
        write_csv(args.csv, votes, overwrite=args.overwrite)
        print(f"votes written to {args.csv}")
    return 0


def run(args: argparse.Namespace) -> int:
    return args.study_handler(args)
