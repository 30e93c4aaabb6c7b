"""What one client may ask of the study server: body size, new participants, votes.

A client is the peer's IP address. Behind a reverse proxy every request comes from the proxy's
address, so raise the limits there (``--max-participants-per-client``,
``--max-votes-per-minute``). Counts are kept in memory and start afresh when the server
restarts; the database holds only what the limits let through.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from ldr2hdr.errors import Ldr2HdrError

MAX_BODY_BYTES = 16 * 1024
"""Largest request body accepted (a vote is about 100 bytes); larger ones get 413 unread."""
DEFAULT_MAX_PARTICIPANTS_PER_CLIENT = 20
"""New participants (sessions without a cookie) one client may create."""
DEFAULT_MAX_VOTES_PER_MINUTE = 60
"""Votes one client may send in any 60 seconds."""
WINDOW_S = 60.0
_PAYLOAD_METHODS = frozenset({"POST", "PUT", "PATCH"})


class LimitExceededError(Ldr2HdrError):
    """A client went over one of its limits; ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ClientLimits:
    """Per-client counters of new participants (for good) and votes (per minute)."""

    def __init__(
        self,
        *,
        max_participants: int = DEFAULT_MAX_PARTICIPANTS_PER_CLIENT,
        max_votes_per_minute: int = DEFAULT_MAX_VOTES_PER_MINUTE,
    ) -> None:
        for name, value in (
            ("max_participants", max_participants),
            ("max_votes_per_minute", max_votes_per_minute),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.max_participants = max_participants
        self.max_votes_per_minute = max_votes_per_minute
        self._participants: dict[str, int] = defaultdict(int)
        self._votes: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def new_participant(self, client: str) -> None:
        """Count a new participant of ``client``; LimitExceededError past the limit."""
        with self._lock:
            if self._participants[client] >= self.max_participants:
                raise LimitExceededError(
                    f"this address already started {self.max_participants} study sessions "
                    "(the server's limit per client)",
                    retry_after_s=int(WINDOW_S),
                )
            self._participants[client] += 1

    def vote(self, client: str, now: float | None = None) -> None:
        """Count a vote of ``client``; LimitExceededError past the rate limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._votes[client]
            while recent and recent[0] <= now - WINDOW_S:
                recent.popleft()
            if len(recent) >= self.max_votes_per_minute:
                wait = int(recent[0] + WINDOW_S - now) + 1
                raise LimitExceededError(
                    f"more than {self.max_votes_per_minute} votes a minute from this address; "
                    f"try again in {wait} s",
                    retry_after_s=wait,
                )
            recent.append(now)


class BodyLimitMiddleware:
    """ASGI middleware: a body over ``max_bytes`` gets 413, refused from its Content-Length
    before any byte is read, or as soon as a chunked body goes over (bodies are buffered)."""

    def __init__(self, app, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _PAYLOAD_METHODS:
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", ())).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        messages, seen = [], 0
        while True:  # buffer the body (at most max_bytes) so nothing larger reaches the app
            message = await receive()
            messages.append(message)
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                await _send_413(send, self.max_bytes)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _too_large(max_bytes: int) -> str:
    return f"the request body is larger than {max_bytes} bytes"


async def _send_413(send, max_bytes: int) -> None:
    from fastapi.responses import JSONResponse

    response = JSONResponse({"error": _too_large(max_bytes)}, status_code=413)
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
