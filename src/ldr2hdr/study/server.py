"""The study's web server (FastAPI, served by uvicorn).

Routes:

- ``GET /`` and ``GET /static/NAME``: the study page and its script and styles;
- ``POST /api/session``: the participant's trials (a new anonymous participant, kept in an
  HTTP-only cookie, when the request has none);
- ``GET /api/image/TRIAL/left|right``: a trial's images, by opaque id (no photo names);
- ``POST /api/vote``: ``{"trial", "preferred": "left"|"right", "rating_left", "rating_right"}``;
- ``GET /results?token=…`` (HTML) and ``GET /api/results?token=…`` (JSON): the summary.

Every error is JSON ``{"error": "..."}``: 400 malformed request, 403 no session or wrong token,
404 unknown trial or file, 409 replayed vote, 413 body over ``MAX_BODY_BYTES``, 429 a client
over its limits (:mod:`ldr2hdr.study.limits`), 503 database busy or failing (with
``Retry-After``), 500 anything else.
"""

from __future__ import annotations

import html
import random
import secrets
import socket
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from ldr2hdr.errors import Ldr2HdrError
from ldr2hdr.study.files import OutsideFolderError, StudyFolder, file_inside, load_study_folder
from ldr2hdr.study.limits import (
    DEFAULT_MAX_PARTICIPANTS_PER_CLIENT,
    DEFAULT_MAX_VOTES_PER_MINUTE,
    MAX_BODY_BYTES,
    BodyLimitMiddleware,
    ClientLimits,
    LimitExceededError,
)
from ldr2hdr.study.report import format_report, summarise, summary_json
from ldr2hdr.study.storage import (
    ID_BYTES,
    RATING_MAX,
    RATING_MIN,
    ReplayedVoteError,
    StudyStore,
    UnknownTrialError,
)

COOKIE_NAME = "ldr2hdr_participant"
COOKIE_MAX_AGE_S = 30 * 24 * 3600
MAX_ID_LENGTH = 64
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the results URL carries the token
    "Cache-Control": "no-store",
}
NO_SESSION = "no study session: open the study page first (with cookies enabled)"
BAD_TOKEN = "the results need the token printed when the server started (?token=...)"
RETRY_AFTER_S = 5
"""Seconds a client is asked to wait after a 503 (database busy)."""


class VoteRequest(BaseModel):
    """The body of ``POST /api/vote``; anything else (extra fields, "3" for 3) is refused."""

    model_config = ConfigDict(extra="forbid", strict=True)
    trial: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    preferred: Literal["left", "right"]
    rating_left: int = Field(ge=RATING_MIN, le=RATING_MAX)
    rating_right: int = Field(ge=RATING_MIN, le=RATING_MAX)


def _static_root() -> Path:
    return Path(str(resources.files("ldr2hdr.study") / "static")).resolve()


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _describe(error: dict) -> str:
    if error.get("type") == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'invalid')})"
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where or 'body'}: {error.get('msg', 'invalid')}"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = "; ".join(_describe(error) for error in exc.errors())
        return _error(400, f"malformed request: {details}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(UnknownTrialError)
    async def unknown_trial(_: Request, exc: UnknownTrialError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(OutsideFolderError)
    async def outside(_: Request, exc: OutsideFolderError) -> JSONResponse:
        return _error(404, "no such file")

    @app.exception_handler(ReplayedVoteError)
    async def replayed(_: Request, exc: ReplayedVoteError) -> JSONResponse:
        return _error(409, str(exc))

    @app.exception_handler(LimitExceededError)
    async def too_many(_: Request, exc: LimitExceededError) -> JSONResponse:
        return _error(429, str(exc), {"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(sqlite3.Error)
    async def database(_: Request, exc: sqlite3.Error) -> JSONResponse:
        message = f"the vote database is unavailable ({exc}); try again in {RETRY_AFTER_S} s"
        return _error(503, message, {"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        return _error(500, f"internal server error ({type(exc).__name__})")


def _trial_json(trial) -> dict:
    return {
        "id": trial.id,
        "left": f"/api/image/{trial.id}/left",
        "right": f"/api/image/{trial.id}/right",
        "voted": trial.voted,
    }


def create_app(
    study: StudyFolder,
    store: StudyStore,
    *,
    pairs: int,
    token: str,
    rng: random.Random | None = None,
    limits: ClientLimits | None = None,
) -> FastAPI:
    """The study web app over a checked gallery folder and an open vote store.

    Args:
        study: the gallery's images (see :func:`load_study_folder`).
        store: where participants, trials and votes are kept.
        pairs: trials per new participant (at most the number of photos).
        token: the secret the results pages require (``?token=``).
        rng: the source of photo choice and left/right order (default: ``SystemRandom``).
        limits: per-client limits on new participants and votes (default: ``ClientLimits()``).
    """
    app = FastAPI(title="ldr2hdr user study", docs_url=None, redoc_url=None, openapi_url=None)
    _add_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    _add_page_routes(app)
    _add_api_routes(app, study, store, pairs=pairs, rng=rng, limits=limits or ClientLimits())
    _add_results_routes(app, store, token=token)
    return app


def _add_page_routes(app: FastAPI) -> None:
    static_root = _static_root()

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(file_inside(static_root, "index.html"), media_type="text/html")

    @app.get("/static/{name:path}")
    def static(name: str) -> FileResponse:
        return FileResponse(file_inside(static_root, name))


def _add_api_routes(
    app: FastAPI,
    study: StudyFolder,
    store: StudyStore,
    *,
    pairs: int,
    rng: random.Random | None,
    limits: ClientLimits,
) -> None:
    def known_participant(request: Request) -> str | None:
        participant = request.cookies.get(COOKIE_NAME, "")
        return participant if participant and store.has_participant(participant) else None

    def participant_of(request: Request) -> str:
        participant = known_participant(request)
        if participant is None:
            raise HTTPException(403, NO_SESSION)
        return participant

    def client_of(request: Request) -> str:
        return request.client.host if request.client else ""

    @app.post("/api/session")
    def session(request: Request) -> JSONResponse:
        participant = known_participant(request)
        if participant is None:
            limits.new_participant(client_of(request))
            participant = store.new_participant(sorted(study.photos), pairs, rng=rng)
        trials = store.trials(participant)
        response = JSONResponse({"trials": [_trial_json(trial) for trial in trials]})
        response.set_cookie(
            COOKIE_NAME, participant, max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="strict"
        )
        return response

    @app.get("/api/image/{trial_id}/{side}")
    def image(request: Request, trial_id: str, side: Literal["left", "right"]) -> FileResponse:
        trial = store.trial(participant_of(request), trial_id)
        return FileResponse(study.file(trial.photo, trial.condition(side)))

    @app.post("/api/vote")
    def vote(request: Request, body: VoteRequest) -> JSONResponse:
        participant = participant_of(request)
        limits.vote(client_of(request))
        store.record_vote(
            participant,
            body.trial,
            preferred=body.preferred,
            rating_left=body.rating_left,
            rating_right=body.rating_right,
        )
        remaining = sum(not trial.voted for trial in store.trials(participant))
        return JSONResponse({"recorded": True, "remaining": remaining})


def _add_results_routes(app: FastAPI, store: StudyStore, *, token: str) -> None:
    def check_token(given: str) -> None:
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(403, BAD_TOKEN)

    @app.get("/api/results")
    def results_json(token: str = "") -> JSONResponse:
        check_token(token)
        return JSONResponse(summary_json(summarise(store.votes())))

    @app.get("/results")
    def results_page(token: str = "") -> HTMLResponse:
        check_token(token)
        report = html.escape(format_report(summarise(store.votes())))
        return HTMLResponse(_RESULTS_PAGE.format(report=report))


_RESULTS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ldr2hdr user study: results</title>
<link rel="stylesheet" href="/static/study.css"></head>
<body><main><h1>User study results</h1><pre id="report">{report}</pre></main></body></html>
"""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise Ldr2HdrError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def serve(
    folder: str | Path,
    *,
    db: str | Path,
    host: str,
    port: int,
    pairs: int,
    max_participants_per_client: int = DEFAULT_MAX_PARTICIPANTS_PER_CLIENT,
    max_votes_per_minute: int = DEFAULT_MAX_VOTES_PER_MINUTE,
) -> None:
    """Run the study server until interrupted; print its addresses and the results token.

    The folder is checked and the port bound before the database is opened, so a failed start
    leaves no database behind.
    """
    import uvicorn

    study = load_study_folder(folder)
    listener = bind(host, port)
    try:
        store = StudyStore(db)
    except Ldr2HdrError:
        listener.close()
        raise
    limits = ClientLimits(
        max_participants=max_participants_per_client, max_votes_per_minute=max_votes_per_minute
    )
    token = secrets.token_urlsafe(ID_BYTES)
    address = f"[{host}]" if ":" in host else host
    base = f"http://{address}:{listener.getsockname()[1]}"
    shown = min(pairs, len(study.photos))
    print(f"study: {len(study.photos)} photos, {shown} pairs per participant, votes in {db}")
    print(f"participants: {base}/")
    print(f"results:      {base}/results?token={token}", flush=True)
    try:
        app = create_app(study, store, pairs=pairs, token=token, limits=limits)
        uvicorn.Server(uvicorn.Config(app=app, log_level="warning")).run(sockets=[listener])
    finally:
        store.close()
        listener.close()
