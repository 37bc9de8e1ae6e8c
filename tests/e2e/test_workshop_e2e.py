"""The workshop app end to end: a real server, driven in headless Chromium with Playwright.

The test starts the app as ``run.py workshop`` would (:mod:`sim.apps.workshop.launch`) on a
free port, then plays a trainer's session: move a lever and see the result change,
flip the horizon, play a game of two teams and two rounds with its debrief, reload
the page (the game stays), and export the session. Screenshots of every screen go
to ``reports/screenshots/workshop-*.png`` (gitignored) and to the test's temporary
folder.

The browser is Debian's ``/usr/bin/chromium`` (no browser download); the test is
skipped, saying why, where it is missing. The browser may only talk to the app:
any other request is blocked and fails the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.apps.workshop import launch

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "reports" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
WIDTH = 1600
SLOW = 150_000  # ms: a generous ceiling for one simulation on a loaded machine

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is not installed, so the workshop app is not driven in a "
    "browser (install it with `apt-get install chromium`, or run `make test` as root)",
)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is not installed "
    "(`pip install -e '.[dev]'`)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free local port; always stopped, with its worker processes."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("workshop") / "app.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(launch.streamlit_command("127.0.0.1", port),
                                env=launch.app_environment(), cwd=launch.ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the workshop app did not start:\n"
                            + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        yield url
    finally:
        # The app and the simulation's worker processes share the app's process group.
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture
def browser_page(server: str) -> Iterator[tuple[object, list[str]]]:
    """A page in headless Chromium that may only reach the app; the list of blocked URLs."""
    blocked: list[str] = []

    def only_the_app(route: object) -> None:
        request_url = route.request.url  # type: ignore[attr-defined]
        if request_url.startswith((server, "data:", "blob:", "file:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(request_url)
            route.abort()  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": 1000},
                                          accept_downloads=True)
            context.route("**/*", only_the_app)
            page = context.new_page()
            page.set_default_timeout(SLOW)
            yield page, blocked
        finally:
            browser.close()


def idle(page) -> None:
    """Wait until the app has finished its run (Streamlit's running indicator is gone)."""
    page.wait_for_timeout(400)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="hidden", timeout=SLOW)
    page.wait_for_timeout(300)


def screenshot(page, name: str, folder: Path, height: int = 2200) -> Path:
    """The whole app at a tall viewport (its main area scrolls inside the page)."""
    page.set_viewport_size({"width": WIDTH, "height": height})
    page.wait_for_timeout(1200)  # charts re-layout to the new size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"workshop-{name}.png"
    page.screenshot(path=str(path))
    shutil.copy(path, folder / path.name)
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    return path


TAKEAWAY = ".st-key-takeaway .takeaway"


def takeaway_changes(page, before: str) -> str:
    page.wait_for_function(
        "([sel, before]) => { const e = document.querySelector(sel);"
        " return e && e.innerText.trim() && e.innerText !== before; }",
        arg=[TAKEAWAY, before], timeout=SLOW)
    idle(page)
    return page.locator(TAKEAWAY).inner_text()


def test_a_trainer_runs_a_session(browser_page, server: str, tmp_path: Path):
    page, blocked = browser_page
    started = time.monotonic()

    # Compare: the baseline against itself, then a brand cut.
    page.goto(server)
    page.locator(TAKEAWAY).wait_for()
    idle(page)
    first = page.locator(TAKEAWAY).inner_text()
    assert "Your plan is the baseline" in first
    revenue = page.locator("[data-testid=stMetricValue]").first
    revenue_before = revenue.inner_text()
    slider = page.get_by_role("slider", name="Brand share of the budget")
    slider.focus()
    page.keyboard.press("Home")  # brand share 46% -> 0%
    changed = takeaway_changes(page, first)
    assert changed.startswith("Over the first year your plan")
    assert revenue.inner_text() != revenue_before
    assert "brand share 46% → 0%" in page.locator(".st-key-status").inner_text()
    screenshot(page, "compare", tmp_path)

    # The horizon toggle: three years, where the brand cut shows its cost.
    page.locator(".st-key-horizon").get_by_text("3 years").click()
    long_run = takeaway_changes(page, changed)
    assert long_run.startswith("Over three years your plan books")
    assert page.locator(".st-key-by_horizon").get_by_text("3 years").count() == 1
    screenshot(page, "compare-3-years", tmp_path)
    page.get_by_role("button", name="Keep for the report").click()
    idle(page)

    # The game: two teams, two rounds; Team A cuts brand in round 1.
    page.locator(".st-key-screen").get_by_text("Game").click()
    page.get_by_role("spinbutton", name="Rounds (quarters)").fill("2")
    page.get_by_role("spinbutton", name="Replications per team").fill("2")  # one batch, 2 cores
    screenshot(page, "game-setup", tmp_path, height=1000)
    page.get_by_role("button", name="Start the game").click()
    page.get_by_role("button", name="Play round 1").wait_for()
    idle(page)
    team_a = page.locator(".st-key-team_0")
    team_a.get_by_role("slider", name="Brand share of the budget").focus()
    page.keyboard.press("Home")
    idle(page)
    page.get_by_role("button", name="Play round 1").click()
    page.get_by_text("Leaderboard, round 1 of 2").wait_for()
    idle(page)
    board = page.locator(".st-key-leaderboard").inner_text()
    assert "Team A" in board and "Team B" in board and "brand share 46% → 0%" in board
    screenshot(page, "game-round", tmp_path)
    page.get_by_role("button", name="Play round 2").click()
    page.get_by_text("Leaderboard, round 2 of 2").wait_for()
    idle(page)
    page.get_by_role("button", name="Debrief: play every team's choices forward").click()
    headline = page.locator(".st-key-debrief_headline .takeaway")
    headline.wait_for()
    idle(page)
    headline_text = headline.inner_text()
    assert "over 3 years" in headline_text
    assert "Team A" in page.locator(".st-key-debrief_table").inner_text()
    screenshot(page, "game-debrief", tmp_path, height=2800)

    # A reload (the address holds the session's id) keeps the game.
    assert "session=" in page.url
    page.reload()
    page.locator(TAKEAWAY).wait_for()
    idle(page)
    page.locator(".st-key-screen").get_by_text("Game").click()
    headline.wait_for()
    idle(page)
    assert headline.inner_text() == headline_text

    # Export: the session as one HTML page with both teams.
    page.locator(".st-key-screen").get_by_text("Export").click()
    button = page.get_by_role("button", name="Download the session (HTML)")
    button.wait_for()
    idle(page)
    screenshot(page, "export", tmp_path, height=1000)
    with page.expect_download(timeout=SLOW) as download:
        button.click()
    exported = tmp_path / "workshop-session.html"
    download.value.save_as(exported)
    text = exported.read_text(encoding="utf-8")
    assert "Team A" in text and "Team B" in text
    assert "Comparison 1" in text and "Debrief: the long run" in text
    shutil.copy(exported, SCREENSHOTS / "workshop-session.html")
    page.goto(exported.as_uri())
    page.set_viewport_size({"width": 1280, "height": 3000})
    page.screenshot(path=str(SCREENSHOTS / "workshop-export-report.png"))
    shutil.copy(SCREENSHOTS / "workshop-export-report.png", tmp_path)

    assert blocked == [], f"the page asked for something other than the app: {blocked}"
    print(f"workshop session driven in {time.monotonic() - started:.1f} s; screenshots in "
          f"{SCREENSHOTS} and {tmp_path}")
