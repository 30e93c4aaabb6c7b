"""The user-study server over HTTP: the vote flow, every rejection, durability, the report."""

from __future__ import annotations

import csv
import http.client
import json
import math
import os
import random
import re
import signal
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from _gallery_helpers import noise_gallery, start_study_server

pytest.importorskip("fastapi", reason="the study server needs the 'study' extra (fastapi)")
uvicorn = pytest.importorskip("uvicorn", reason="the study server needs the 'study' extra")

from ldr2hdr.cli import main  # noqa: E402
from ldr2hdr.errors import Ldr2HdrError  # noqa: E402
from ldr2hdr.gallery import read_manifest  # noqa: E402
from ldr2hdr.study import read_votes, summarise, t_quantile_975, wilson_interval  # noqa: E402
from ldr2hdr.study.files import load_study_folder  # noqa: E402
from ldr2hdr.study.limits import ClientLimits  # noqa: E402
from ldr2hdr.study.server import bind, create_app  # noqa: E402
from ldr2hdr.study.storage import StudyStore, Vote  # noqa: E402

TOKEN = "test-token"
PHOTOS = ("alpha", "beta", "gamma")
START_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    """A gallery of three small photos (a known stand-in for the network, no weights)."""
    return noise_gallery(tmp_path_factory.mktemp("study"), list(PHOTOS), (12, 16), box=None)


class Client:
    """A minimal HTTP client that keeps the session cookie and sends paths verbatim."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, body: object = None, *, raw: bytes | None = None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = raw
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(content) if is_json else content

    def session(self) -> list[dict]:
        status, content = self.request("POST", "/api/session")
        assert status == 200
        return content["trials"]


class LiveServer:
    """The app on a real uvicorn server in a thread, on a free port."""

    def __init__(self, gallery: Path, db: Path, *, pairs: int, seed: int = 0, **options) -> None:
        self.db = db
        self.store = StudyStore(db)
        app = create_app(
            load_study_folder(gallery),
            self.store,
            pairs=pairs,
            token=TOKEN,
            rng=random.Random(seed),
            **options,
        )
        self.socket = bind("127.0.0.1", 0)
        self.port = self.socket.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, args=([self.socket],), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def client(self) -> Client:
        return Client(self.port)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()
        self.store.close()
        self.socket.close()


@pytest.fixture
def server(gallery, tmp_path):
    live = LiveServer(gallery, tmp_path / "study.sqlite", pairs=3)
    yield live
    live.stop()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, to show that a rejected request changed nothing."""
    with sqlite3.connect(db) as connection:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}"))
            for table in ("participants", "trials", "votes")
        }


def image_files(gallery: Path) -> dict[bytes, tuple[str, str]]:
    """Image bytes → (photo, condition), to tell which image the server sent."""
    files = {}
    for entry in read_manifest(gallery).entries:
        files[(gallery / entry.input).read_bytes()] = (entry.name, "input")
        files[(gallery / entry.preview).read_bytes()] = (entry.name, "reconstruction")
    return files


def test_vote_flow_resolves_sides_to_conditions(server, gallery) -> None:
    client = server.client()
    trials = client.session()
    assert len(trials) == 3 and not any(trial["voted"] for trial in trials)
    known = image_files(gallery)
    photos = set()
    for number, trial in enumerate(trials, start=1):
        shown = {}
        for side in ("left", "right"):
            status, content = client.request("GET", trial[side])
            assert status == 200
            shown[side] = known[content]
        assert shown["left"][0] == shown["right"][0]  # one photo per pair
        assert {shown["left"][1], shown["right"][1]} == {"input", "reconstruction"}
        photos.add(shown["left"][0])
        recon_side = "left" if shown["left"][1] == "reconstruction" else "right"
        other = "right" if recon_side == "left" else "left"
        vote = {"trial": trial["id"], "preferred": recon_side}
        vote |= {f"rating_{recon_side}": 5, f"rating_{other}": number}
        assert client.request("POST", "/api/vote", vote) == (
            200,
            {"recorded": True, "remaining": 3 - number},
        )
    assert photos == set(PHOTOS)  # 3 pairs from 3 photos: each photo once
    votes = read_votes(server.db)
    assert sorted((v.preferred, v.rating_reconstruction, v.rating_input) for v in votes) == [
        ("reconstruction", 5, 1),
        ("reconstruction", 5, 2),
        ("reconstruction", 5, 3),
    ]
    assert all(trial["voted"] for trial in client.session())  # the cookie resumes the session


def test_participants_are_anonymous_and_photos_balanced(gallery, tmp_path) -> None:
    live = LiveServer(gallery, tmp_path / "s.sqlite", pairs=2, seed=1)
    try:
        clients = [live.client() for _ in range(3)]
        trials = [client.session() for client in clients]
    finally:
        live.stop()
    cookies = {client.cookie for client in clients}
    assert len(cookies) == 3 and all(re.fullmatch(r"\w+=[\w-]{22}", c) for c in cookies)
    with sqlite3.connect(tmp_path / "s.sqlite") as connection:
        counts = dict(connection.execute("SELECT photo, COUNT(*) FROM trials GROUP BY photo"))
        lefts = {row[0] for row in connection.execute("SELECT left_condition FROM trials")}
    assert counts == dict.fromkeys(PHOTOS, 2)  # 6 trials over 3 photos: 2 each
    assert lefts == {"input", "reconstruction"}
    assert [len(t) for t in trials] == [2, 2, 2]


def _vote(shown: dict, /, **changes) -> dict:
    return {
        "trial": shown["id"],
        "preferred": "left",
        "rating_left": 4,
        "rating_right": 2,
    } | changes


MALFORMED = {
    "rating 0": {"rating_left": 0},
    "rating 6": {"rating_right": 6},
    "rating as text": {"rating_left": "4"},
    "rating as float": {"rating_left": 3.5},
    "rating as bool": {"rating_left": True},
    "preferred neither side": {"preferred": "middle"},
    "trial not text": {"trial": 12},
    "trial too long": {"trial": "x" * 65},
    "extra field": {"photo": "alpha"},
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_votes_are_rejected_without_change(server, case) -> None:
    client = server.client()
    trial = client.session()[0]
    before = snapshot(server.db)
    status, content = client.request("POST", "/api/vote", _vote(trial, **MALFORMED[case]))
    assert status == 400 and content["error"].startswith("malformed request: ")
    assert snapshot(server.db) == before


@pytest.mark.parametrize(
    "raw", [b"", b"{not json", b"[1, 2]", b'"text"', b'{"trial": "x"}', b"\xff\xfe"]
)
def test_malformed_bodies_are_rejected_without_change(server, raw) -> None:
    client = server.client()
    client.session()
    before = snapshot(server.db)
    status, content = client.request("POST", "/api/vote", raw=raw)
    assert status == 400 and "malformed request" in content["error"]
    assert snapshot(server.db) == before


def test_unknown_foreign_and_replayed_votes_are_rejected(server) -> None:
    alice, bob = server.client(), server.client()
    alice_trial, bob_trial = alice.session()[0], bob.session()[0]
    assert alice.request("POST", "/api/vote", _vote(alice_trial))[0] == 200
    before = snapshot(server.db)
    unknown = _vote(alice_trial, trial="AAAAAAAAAAAAAAAAAAAAAA")
    status, content = alice.request("POST", "/api/vote", unknown)
    assert (status, content["error"]) == (
        404,
        "unknown trial 'AAAAAAAAAAAAAAAAAAAAAA' for this participant",
    )
    assert alice.request("POST", "/api/vote", _vote(bob_trial))[0] == 404  # not hers
    status, content = alice.request("POST", "/api/vote", _vote(alice_trial, rating_left=1))
    assert status == 409 and "already has a vote" in content["error"]
    assert snapshot(server.db) == before
    assert (
        read_votes(server.db)[0].rating_input + read_votes(server.db)[0].rating_reconstruction == 6
    )


def test_requests_without_a_session_are_rejected(server) -> None:
    trial = server.client().session()[0]
    before = snapshot(server.db)
    stranger = server.client()
    status, content = stranger.request("POST", "/api/vote", _vote(trial))
    assert status == 403 and "open the study page first" in content["error"]
    stranger.cookie = "ldr2hdr_participant=madeUpParticipantId000"
    assert stranger.request("POST", "/api/vote", _vote(trial))[0] == 403
    assert stranger.request("GET", trial["left"])[0] == 403
    assert snapshot(server.db) == before


def test_images_only_for_their_participant(server) -> None:
    alice, bob = server.client(), server.client()
    trial = alice.session()[0]
    bob.session()
    assert alice.request("GET", trial["left"])[0] == 200
    assert bob.request("GET", trial["left"])[0] == 404
    assert alice.request("GET", f"/api/image/{trial['id']}/middle")[0] == 400


TRAVERSALS = [
    "/static/../server.py",
    "/static/../../../../../../etc/passwd",
    "/static/%2e%2e/server.py",
    "/static/..%2fserver.py",
    "/static/%2e%2e%2f%2e%2e%2fgallery%2fbuild.py",
    "/static/..%5cserver.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/study.js%00.png",
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/api/image/../../../../etc/passwd",
    "/gallery.json",
    "/images/alpha_input.jpg",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_file_outside_the_study_folder(server, path) -> None:
    client = server.client()
    client.session()
    status, content = client.request("GET", path)
    assert 400 <= status < 500 and isinstance(content, dict) and "error" in content
    assert client.request("GET", "/static/study.js")[0] == 200


def test_symlinks_out_of_the_folder_are_not_followed(gallery, tmp_path) -> None:
    copy = tmp_path / "gallery"
    copy.mkdir()
    (copy / "gallery.json").write_bytes((gallery / "gallery.json").read_bytes())
    (copy / "images").mkdir()
    for image in (gallery / "images").iterdir():
        (copy / "images" / image.name).write_bytes(image.read_bytes())
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"SECRET")
    live = LiveServer(copy, tmp_path / "s.sqlite", pairs=3)
    try:
        for image in (copy / "images").glob("*_preview.jpg"):  # swapped after start-up
            image.unlink()
            image.symlink_to(secret)
        client = live.client()
        statuses = []
        for trial in client.session():
            for side in ("left", "right"):
                status, content = client.request("GET", trial[side])
                statuses.append(status)
                assert content != b"SECRET"
        assert sorted(statuses) == [200] * 3 + [404] * 3  # every reconstruction is refused
    finally:
        live.stop()
    with pytest.raises(Ldr2HdrError, match="is not a file inside"):
        load_study_folder(copy)  # refused at start-up, too


def test_results_need_the_token(server) -> None:
    client = server.client()
    trial = client.session()[0]
    client.request("POST", "/api/vote", _vote(trial, rating_left=3, rating_right=5))
    for query in ("", "?token=", "?token=wrong", "?token=test-token-and-more"):
        status, content = client.request("GET", f"/api/results{query}")
        assert status == 403 and "token printed" in content["error"]
        assert client.request("GET", f"/results{query}")[0] == 403
    status, content = client.request("GET", f"/api/results?token={TOKEN}")
    assert status == 200 and content["votes"] == 1 and content["participants"] == 1
    assert sorted(score["mos"] for score in content["scores"]) == [3.0, 5.0]
    assert all(score["low"] is None for score in content["scores"])  # one rating: no interval
    status, page = client.request("GET", f"/results?token={TOKEN}")
    assert status == 200 and b"1 votes on 1 photos" in page


def test_votes_survive_kill_9(gallery, tmp_path) -> None:
    db = tmp_path / "study.sqlite"
    process, urls = start_study_server(gallery, db, pairs=2)
    try:
        assert urls["participants"].startswith("http://127.0.0.1:")
        client = Client(urlsplit(urls["participants"]).port)
        trial = client.session()[0]
        assert (
            client.request("POST", "/api/vote", _vote(trial, rating_left=2, rating_right=4))[0]
            == 200
        )
    finally:
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL
        process.stdout.close()
    (vote,) = read_votes(db)
    left, right = ("input", "reconstruction")[:: 1 if vote.left_condition == "input" else -1]
    assert {left: 2, right: 4} == {
        "input": vote.rating_input,
        "reconstruction": vote.rating_reconstruction,
    }
    assert vote.preferred == left  # "left" was preferred


def test_t_quantiles_against_the_t_density() -> None:
    """Integrate Student's t density from 0 to each quantile: it must hold 47.5 % of the mass."""
    for df in [*range(1, 31), 31, 45, 100, 1000]:
        q = t_quantile_975(df)
        x = np.linspace(0.0, q, 200_001)
        log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
        density = np.exp(log_c) * (1 + x**2 / df) ** (-(df + 1) / 2)
        mass = np.sum((density[1:] + density[:-1]) / 2 * np.diff(x))
        assert mass == pytest.approx(0.475, abs=2e-6), df
    with pytest.raises(ValueError, match="got 0"):
        t_quantile_975(0)


def test_wilson_interval_solves_its_quadratic() -> None:
    z = 1.959963984540054
    for successes, total in [(8, 10), (0, 5), (5, 5), (37, 52)]:
        p_hat = successes / total
        for p in wilson_interval(successes, total):
            assert (p_hat - p) ** 2 == pytest.approx(z**2 * p * (1 - p) / total, abs=1e-12)
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)


def _votes(ratings_input, ratings_reconstruction, preferred) -> list[Vote]:
    return [
        Vote(f"p{i % 2}", f"photo{i}", "input", pref, a, b, f"2026-01-0{i + 1}")
        for i, (a, b, pref) in enumerate(
            zip(ratings_input, ratings_reconstruction, preferred, strict=True)
        )
    ]


def test_summary_numbers() -> None:
    votes = _votes([1, 1, 2, 1], [3, 4, 5, 4], ["reconstruction"] * 3 + ["input"])
    summary = summarise(votes)
    low, high = 1.25 - 3.182446 * 0.5 / 2, 1.25 + 3.182446 * 0.5 / 2  # s = 0.5, df = 3
    assert (summary.scores[0].mos, summary.scores[0].low, summary.scores[0].high) == pytest.approx(
        (1.25, low, high)
    )
    s = math.sqrt(((3 - 4) ** 2 + 0 + 1 + 0) / 3)
    assert summary.scores[1].mos == 4 and summary.scores[1].high == pytest.approx(
        4 + 3.182446 * s / 2
    )
    assert (summary.participants, summary.photos, summary.votes) == (2, 4, 4)
    assert summary.preferred_reconstruction == 3


def test_report_cli_prints_table_and_writes_csv(gallery, tmp_path, capsys) -> None:
    db = tmp_path / "study.sqlite"
    store = StudyStore(db)
    participant = store.new_participant(list(PHOTOS), 3, rng=random.Random(0))
    for trial, (left, right) in zip(
        store.trials(participant), [(4, 1), (5, 2), (4, 1)], strict=True
    ):
        recon_left = trial.left_condition == "reconstruction"
        store.record_vote(
            participant,
            trial.id,
            preferred="left" if recon_left else "right",
            rating_left=left if recon_left else right,
            rating_right=right if recon_left else left,
        )
    store.close()
    out_csv = tmp_path / "votes.csv"
    assert main(["study", "report", "--db", str(db), "--csv", str(out_csv)]) == 0
    text = capsys.readouterr().out
    half_input = 4.302653 * math.sqrt(1 / 3) / math.sqrt(3)  # ratings 1, 2, 1: s = 0.577
    assert (
        f"LDR input              3  1.33  [{4 / 3 - half_input:.2f}, {4 / 3 + half_input:.2f}]"
        in text
    )
    assert "reconstruction         3  4.33" in text
    assert "3 of 3 votes = 100.0 %" in text
    rows = list(csv.DictReader(out_csv.open()))
    assert sorted(row["rating_reconstruction"] for row in rows) == ["4", "4", "5"]
    assert {row["preferred"] for row in rows} == {"reconstruction"}
    assert main(["study", "report", "--db", str(db), "--csv", str(out_csv)]) == 2  # no overwrite


def test_cli_errors_are_clear(tmp_path, capsys) -> None:
    assert main(["study", "report", "--db", str(tmp_path / "missing.sqlite")]) == 2
    assert "no such study database" in capsys.readouterr().err
    assert not (tmp_path / "missing.sqlite").exists()
    assert main(["study", "serve", str(tmp_path), "--db", str(tmp_path / "s.sqlite")]) == 2
    assert "build one first with: ldr2hdr gallery" in capsys.readouterr().err


def test_a_huge_body_is_refused_before_it_is_read(server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("POST", "/api/vote")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(200 * 2**20))  # announced, never sent
        connection.endheaders()
        response = connection.getresponse()
        status, content = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert status == 413 and "larger than" in content["error"]


def test_a_chunked_body_over_the_cap_is_refused(server) -> None:
    chunks = (b"x" * 4096 for _ in range(100))  # 400 KB, no Content-Length
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", "/api/vote", body=chunks, encode_chunked=True)
        response = connection.getresponse()
        status, content = response.status, json.loads(response.read())
    except (BrokenPipeError, ConnectionResetError):  # the server may answer and close first
        status, content = 413, {"error": "larger than"}
    finally:
        connection.close()
    assert status == 413 and "larger than" in content["error"]


def test_one_client_cannot_create_unlimited_participants(gallery, tmp_path) -> None:
    live = LiveServer(
        gallery, tmp_path / "s.sqlite", pairs=2, limits=ClientLimits(max_participants=2)
    )
    try:
        for _ in range(2):
            live.client().session()
        status, content = live.client().request("POST", "/api/session")
        assert status == 429 and "2 study sessions" in content["error"]
        assert len(snapshot(live.db)["participants"]) == 2
    finally:
        live.stop()


def test_votes_are_rate_limited_per_client(gallery, tmp_path) -> None:
    live = LiveServer(
        gallery, tmp_path / "s.sqlite", pairs=3, limits=ClientLimits(max_votes_per_minute=1)
    )
    try:
        client = live.client()
        first, second = client.session()[:2]
        vote = {"preferred": "left", "rating_left": 3, "rating_right": 4}
        assert client.request("POST", "/api/vote", {"trial": first["id"], **vote})[0] == 200
        status, content = client.request("POST", "/api/vote", {"trial": second["id"], **vote})
        assert status == 429 and "votes a minute" in content["error"]
        assert len(snapshot(live.db)["votes"]) == 1
    finally:
        live.stop()


def test_a_locked_database_is_a_json_503(server) -> None:
    locker = sqlite3.connect(server.db, timeout=0)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        status, content = server.client().request("POST", "/api/session")
    finally:
        locker.rollback()
        locker.close()
    assert status == 503 and "try again" in content["error"]


def test_report_opens_a_foreign_database_read_only(tmp_path, capsys) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()
    assert main(["study", "report", "--db", str(other)]) == 2
    assert "not a study database" in capsys.readouterr().err
    assert other.read_bytes() == before and not other.with_name("other.sqlite-wal").exists()
    with sqlite3.connect(other) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_failed_start_leaves_no_database(gallery, tmp_path, capsys) -> None:
    busy = bind("127.0.0.1", 0)
    try:
        port = str(busy.getsockname()[1])
        db = tmp_path / "never.sqlite"
        assert main(["study", "serve", str(gallery), "--port", port, "--db", str(db)]) == 2
    finally:
        busy.close()
    assert "cannot listen" in capsys.readouterr().err and not db.exists()
