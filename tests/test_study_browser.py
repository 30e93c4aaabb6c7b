"""End to end in headless Chromium: vote through a short study, check the report; the gallery.

Needs Debian's Chromium at /usr/bin/chromium (``.ci/run`` installs it) and the Python
``playwright`` package, which drives it (never its own browser download); skips otherwise.
"""

from __future__ import annotations

import re
import signal
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from _gallery_helpers import noise_gallery, start_study_server

from ldr2hdr.cli import main

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAIRS = 3
TIMEOUT_MS = 20_000

if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
pytest.importorskip("fastapi", reason="the study server needs the 'study' extra (fastapi)")


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    names = [f"photo{seed}" for seed in range(PAIRS)]
    return noise_gallery(tmp_path_factory.mktemp("browser"), names, (48, 64))


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def study_server(gallery, tmp_path):
    """``ldr2hdr study serve`` in a subprocess: (participant URL, results URL, database)."""
    db = tmp_path / "study.sqlite"
    process, urls = start_study_server(gallery, db, pairs=PAIRS)
    yield urls["participants"], urls["results"], db
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    process.stdout.close()


def _vote_through(page, ratings: dict[str, int]) -> None:
    """Rate A and B as given, prefer A (by clicking its image on the first pair), for all pairs."""
    for number in range(1, PAIRS + 1):
        sync_api.expect(page.locator("#progress")).to_have_text(f"Pair {number} of {PAIRS}")
        for side in ("left", "right"):
            page.wait_for_function(f"document.getElementById('image-{side}').naturalWidth > 0")
        submit = page.locator("#submit")
        sync_api.expect(submit).to_be_disabled()
        page.check(f"#rating-left-{ratings['left']}")
        page.check(f"#rating-right-{ratings['right']}")
        sync_api.expect(submit).to_be_disabled()  # no preference yet
        if number == 1:
            page.click("#side-left .choose")
        else:
            page.check("#prefer-left")
        sync_api.expect(page.locator("#side-left")).to_have_class(re.compile("chosen"))
        submit.click()
    sync_api.expect(page.locator("#done")).to_be_visible()


def test_vote_through_a_short_study(browser, study_server, capsys) -> None:
    participant_url, results_url, db = study_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(participant_url)
    _vote_through(page, {"left": 4, "right": 2})
    page.reload()  # the cookie brings the participant back to a finished study
    sync_api.expect(page.locator("#progress")).to_have_text(f"All {PAIRS} pairs done.")

    with sqlite3.connect(db) as connection:
        lefts = [row[0] for row in connection.execute("SELECT left_condition FROM trials")]
    reconstruction = [4 if left == "reconstruction" else 2 for left in lefts]
    preferred = sum(left == "reconstruction" for left in lefts)
    expected_mos = {
        "LDR input": f"{np.mean([6 - r for r in reconstruction]):.2f}",
        "reconstruction": f"{np.mean(reconstruction):.2f}",
    }
    page.goto(results_url)
    report = page.locator("#report").inner_text()
    assert f"1 participants, {PAIRS} votes on {PAIRS} photos" in report
    assert f"preferred the reconstruction: {preferred} of {PAIRS} votes" in report
    for condition, mos in expected_mos.items():
        assert re.search(rf"{condition} +{PAIRS} +{mos}", report), report
    page.goto(results_url.split("?")[0])
    assert "token printed" in page.locator("body").inner_text()
    context.close()

    assert main(["study", "report", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == report.strip()


def test_gallery_page_from_file_url(browser, gallery) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 4000})
    page.goto((gallery / "index.html").as_uri())
    # The Ultra HDR and luminance images are loading="lazy": they may arrive after "load".
    page.wait_for_function("[...document.images].every(image => image.complete)")
    widths = page.evaluate("[...document.images].map(image => image.naturalWidth)")
    assert len(widths) == 1 + 4 * PAIRS and all(width > 0 for width in widths)
    slider = page.locator(".compare input[type=range]").first
    slider.fill("20")
    after = page.locator(".compare .after").first
    assert after.evaluate("image => image.style.clipPath") == "inset(0px 0px 0px 20%)"
    page.close()
