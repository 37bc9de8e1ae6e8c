"""The workshop app end to end: a real server, driven in headless Chromium with Playwright.

Each test starts the app as ``run.py workshop`` would (:mod:`sim.apps.workshop.launch`)
on a free port, in a temporary working directory (its games are saved under
``reports/workshop-games/`` there):

- a trainer's session: move a lever and see the first answer refine, flip the
  horizon, ask for more replications, keep the comparison and export the session;
- a game: the facilitator sets it up; two teams on two browser contexts (their
  own devices) send their decisions privately, while a third context, the
  projector, shows only the leaderboard; the server is restarted mid-game and
  the game comes back (the facilitator's page, the team links, the board); the
  last round, the debrief, and the gap between the teams split by lever.

Screenshots of every screen go to ``reports/screenshots/workshop-*.png``
(gitignored) and to the test's temporary folder. The browser is Debian's
``/usr/bin/chromium`` (no browser download); the tests are skipped, saying
why, where it is missing. The browser may only talk to the app: any other
request is blocked and fails the test.
"""

from __future__ import annotations

import os
import re
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
SLOW = 240_000  # ms: a generous ceiling for simulations on a loaded machine

pytestmark = [
    # Minutes of browser time: run with `make test-slow` (pytest -m slow), kept out of
    # the CI run so that it stays under 15 minutes on two cores.
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is not installed, so the workshop app is not driven in a "
        "browser (install it with `apt-get install chromium`, or run `make test` as root)",
    ),
]
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


class AppServer:
    """The app on a local port, in a working directory; stopped and started again at will."""

    def __init__(self, cwd: Path, log: Path) -> None:
        self.cwd = cwd
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                launch.streamlit_command("127.0.0.1", self.port), env=launch.app_environment(),
                cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while not healthy(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the workshop app did not start:\n"
                            + self.log.read_text(errors="replace")[-3000:])
            time.sleep(0.3)

    def stop(self) -> None:
        """Stop the app and its worker processes (they share its process group)."""
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AppServer]:
    """The app on a free local port, working in a temporary folder; always stopped."""
    work = tmp_path / "work"
    work.mkdir()
    app = AppServer(work, tmp_path / "app.log")
    app.start()
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture
def browser(server: AppServer) -> Iterator[tuple[object, list[str]]]:
    """Headless Chromium whose pages may only reach the app; the list of blocked URLs."""
    blocked: list[str] = []

    def only_the_app(route: object) -> None:
        request_url = route.request.url  # type: ignore[attr-defined]
        if request_url.startswith((server.url, "data:", "blob:", "file:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(request_url)
            route.abort()  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        chromium.only_the_app = only_the_app  # type: ignore[attr-defined]
        try:
            yield chromium, blocked
        finally:
            chromium.close()


def new_page(chromium, height: int = 1000):
    """A page in a context of its own (its own device: no shared cookies or storage)."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": height},
                                   accept_downloads=True)
    context.route("**/*", chromium.only_the_app)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    return page


def idle(page) -> None:
    """Wait until the app has finished its run (Streamlit's running indicator is gone)."""
    page.wait_for_timeout(400)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="hidden", timeout=SLOW)
    page.wait_for_timeout(300)


def screenshot(page, name: str, folder: Path, height: int = 2200) -> Path:
    """The whole app at a tall viewport (its main area scrolls inside the page)."""
    page.mouse.move(0, 0)  # no tooltip of the last button clicked
    page.set_viewport_size({"width": WIDTH, "height": height})
    page.wait_for_timeout(1200)  # charts re-layout to the new size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"workshop-{name}.png"
    page.screenshot(path=str(path))
    shutil.copy(path, folder / path.name)
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    return path


TAKEAWAY = ".st-key-takeaway .takeaway"
STATUS = ".st-key-status"


def refined(page, replications: int, horizon: str = "1 year") -> str:
    """Wait until the comparison shows ``replications`` of each plan; its takeaway."""
    page.locator(STATUS).get_by_text(re.compile(
        rf"^{replications} replications of each plan over {horizon}")).wait_for(timeout=SLOW)
    idle(page)
    return page.locator(TAKEAWAY).inner_text()


def test_a_trainer_compares_plans_and_exports(browser, server: AppServer, tmp_path: Path):
    chromium, blocked = browser
    page = new_page(chromium)
    started = time.monotonic()

    # Compare: the baseline against itself, then a brand cut: a first answer, then refined.
    page.goto(server.url)
    page.locator(TAKEAWAY).wait_for()
    first = refined(page, 6)
    assert "Your plan is the baseline" in first
    revenue = page.locator("[data-testid=stMetricValue]").first
    revenue_before = revenue.inner_text()
    slider = page.get_by_role("slider", name="Brand share of the budget")
    slider.focus()
    page.keyboard.press("Home")  # brand share 46% -> 0%
    page.locator(STATUS).get_by_text("brand share 46% → 0%").wait_for()
    changed = refined(page, 6)
    assert changed.startswith("Over the first year your plan")
    assert revenue.inner_text() != revenue_before
    screenshot(page, "compare", tmp_path)

    # The horizon toggle: three years, where the brand cut shows its cost.
    page.locator(".st-key-horizon").get_by_text("3 years").click()
    long_run = refined(page, 6, "3 years")
    assert long_run.startswith("Over three years your plan")
    assert page.locator(".st-key-by_horizon").get_by_text("3 years").count() == 1
    page.get_by_role("button", name="More replications (12)").click()
    refined(page, 12, "3 years")
    screenshot(page, "compare-3-years", tmp_path)
    page.get_by_role("button", name="Keep for the report").click()
    idle(page)

    # Export: the session as one HTML page with the kept comparison.
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
    assert "Comparison 1: Baseline, over three years" in text
    page.goto(exported.as_uri())
    page.set_viewport_size({"width": 1280, "height": 3000})
    page.screenshot(path=str(SCREENSHOTS / "workshop-export-report.png"))

    assert blocked == [], f"the page asked for something other than the app: {blocked}"
    print(f"trainer's session driven in {time.monotonic() - started:.1f} s")


def team_links(page) -> dict[str, str]:
    """Team -> its private link, read from the facilitator's links panel."""
    text = page.locator(".st-key-team_links").inner_text()
    return dict(re.findall(r"(Team [AB])\s+[A-Z0-9]+\s+(http\S+)", text))


def board_link(page) -> str:
    return re.search(r"http\S+\?board=[A-Z0-9]+", page.get_by_text("Projector (leaderboard only)"
                                                                   ).inner_text()).group(0)


def send_decision(page, round_number: int) -> None:
    page.get_by_role("button", name=f"Send our decision for round {round_number}").click()
    page.locator(".st-key-sent").get_by_text(f"Decision received for round {round_number}"
                                             ).wait_for()
    idle(page)


def test_teams_decide_privately_the_game_survives_a_restart(browser, server: AppServer,
                                                             tmp_path: Path):
    chromium, blocked = browser
    started = time.monotonic()

    # The facilitator sets up two teams, two rounds, and reads the private links.
    host = new_page(chromium)
    host.goto(server.url)
    host.locator(".st-key-screen").get_by_text("Game").click()
    host.get_by_role("spinbutton", name="Rounds (quarters)").fill("2")
    host.get_by_role("spinbutton", name="Replications per team").fill("2")  # one batch, 2 cores
    host.get_by_role("button", name="Start the game").click()
    host.locator(".st-key-team_links").wait_for()
    idle(host)
    links = team_links(host)
    assert set(links) == {"Team A", "Team B"} and links["Team A"] != links["Team B"]
    board_url = board_link(host)
    screenshot(host, "game-facilitator", tmp_path, height=1400)
    facilitator_url = host.url
    assert "session=" in facilitator_url
    play = host.get_by_role("button", name="Play round 1", exact=True)
    assert play.is_disabled()  # no team has decided yet

    # The projector: the board only.
    board = new_page(chromium)
    board.goto(board_url)
    board.locator(".st-key-board_status").get_by_text("waiting for the teams").wait_for()

    # Team A, on its own device, cuts brand and sends it.
    team_a = new_page(chromium)
    team_a.goto(links["Team A"])
    team_a.get_by_text("Round 1 of 2: your levers for this quarter").wait_for()
    idle(team_a)
    team_a.get_by_role("slider", name="Brand share of the budget").focus()
    team_a.keyboard.press("Home")
    send_decision(team_a, 1)
    assert "brand share 46% → 0%" in team_a.locator(".st-key-sent").inner_text()
    screenshot(team_a, "game-team-a", tmp_path, height=1400)

    # Team B's device, the board and the facilitator never show A's decision.
    team_b = new_page(chromium)
    team_b.goto(links["Team B"])
    team_b.get_by_text("Round 1 of 2: your levers for this quarter").wait_for()
    idle(team_b)
    board.locator(".st-key-board_status").get_by_text("decisions received from Team A"
                                                      ).wait_for()  # the board updates itself
    host.locator(".st-key-decisions").get_by_text("received").wait_for()
    for page in (team_b, board, host):
        assert "46% → 0%" not in page.locator("body").inner_text()
    screenshot(team_b, "game-team-b", tmp_path, height=1400)
    screenshot(board, "game-board-waiting", tmp_path, height=1000)
    team_b.get_by_role("slider", name="Hand-off threshold").focus()
    team_b.keyboard.press("End")
    send_decision(team_b, 1)

    # Every team has decided: the facilitator plays; the board shows the leaderboard.
    host.reload()
    idle(host)
    host.get_by_role("button", name="Play round 1", exact=True).click()
    host.get_by_text("Leaderboard, round 1 of 2").wait_for()
    idle(host)
    board.get_by_text("Leaderboard, round 1 of 2").wait_for()  # without a reload
    idle(board)
    leaderboard = board.locator(".st-key-leaderboard").inner_text()
    assert "Team A" in leaderboard and "Team B" in leaderboard
    assert "brand share" not in board.locator("body").inner_text()  # decisions stay private
    screenshot(board, "game-board", tmp_path, height=1400)
    own = team_a.locator(".st-key-own_results")
    own.wait_for()  # the team's page follows the round by itself
    assert "brand share 46% → 0%" in own.inner_text()

    # The server restarts mid-game: the game, the links and the board come back.
    saved = list((server.cwd / "reports" / "workshop-games").glob("*.json"))
    assert len(saved) == 1
    server.stop()
    server.start()
    host.goto(facilitator_url)
    host.locator(".st-key-screen").get_by_text("Game").click()
    host.get_by_text("Leaderboard, round 1 of 2").wait_for()
    idle(host)
    assert host.locator(".st-key-leaderboard").inner_text() == leaderboard
    screenshot(host, "game-restored", tmp_path, height=1600)
    team_a.goto(links["Team A"])
    team_a.get_by_text("Round 2 of 2: your levers for this quarter").wait_for()
    idle(team_a)
    send_decision(team_a, 2)
    board.goto(board_url)
    board.get_by_text("Leaderboard, round 1 of 2").wait_for()

    # Round 2 with Team B keeping its levers, then the debrief and the gap by lever.
    host.reload()
    idle(host)
    host.get_by_role("button", name=re.compile(r"Play round 2 now \(1 team")).click()
    host.get_by_text("Leaderboard, round 2 of 2").wait_for()
    idle(host)
    host.get_by_role("button", name=re.compile("Debrief: play every team's choices")).click()
    headline = host.locator(".st-key-debrief_headline .takeaway")
    headline.wait_for()
    idle(host)
    assert "Team A" in host.locator(".st-key-debrief_table").inner_text()
    host.get_by_role("button", name="Split the gap by lever").click()
    host.locator(".st-key-gap_table").wait_for()
    idle(host)
    gap = host.locator(".st-key-gap_table").inner_text()
    assert "Brand share of the budget" in gap and "Hand-off threshold" in gap
    assert "Gap: " in gap
    screenshot(host, "game-debrief", tmp_path, height=3400)
    board.locator(".st-key-gap_table").wait_for()  # the board follows to the debrief
    idle(board)
    screenshot(board, "game-board-debrief", tmp_path, height=3000)

    assert blocked == [], f"a page asked for something other than the app: {blocked}"
    print(f"game with two teams and a restart driven in {time.monotonic() - started:.1f} s")
