"""The Diagnostic screen and hiring in a real browser: headless Chromium with Playwright.

The app runs as ``run.py workshop`` would, on a free port, in a temporary
working directory (the server, browser and screenshot helpers are those of
``test_workshop_e2e.py``):

- the facilitator enters a room's answers, reads the stage and the weakest
  levers, downloads the scenario file and plays with the company on Compare;
- a game starts from that company; Team A hires four reps through its own
  link; the round is played, the debrief says what the hires cost, and the gap
  between the teams is split by lever, reps among them.

Screenshots go to ``reports/screenshots/workshop-diagnostic*.png`` and
``workshop-game-hiring-*.png`` (and the test's temporary folder).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from test_workshop_e2e import (  # the app's server, browser and screenshot helpers
    CHROMIUM,
    SLOW,
    STATUS,
    AppServer,
    browser,
    idle,
    new_page,
    screenshot,
    server,
    team_links,
)

from sim.apps.workshop import diagnosis as dg
from sim.scenario.diagnostic import STATEMENTS, diagnose

__all__ = ["browser", "server"]  # fixtures, used by name

pytestmark = [
    pytest.mark.slow,  # minutes of browser time, as the other browser tests
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed, so "
                       "the workshop app is not driven in a browser (`apt-get install "
                       "chromium`)"),
]

# The room's answers; the statements left out keep the middle answer (3).
ANSWERS = {**{s.key: 3 for s in STATEMENTS}, "shared_definitions": 2, "sla": 1,
           "joint_planning": 4, "shared_metrics": 5, "rotation": 1, "data": 4}


def answer(page, key: str, score: int) -> None:
    """Pick a statement's score on the Diagnostic screen."""
    text = dg.STATEMENT_OF[key].text[:30]
    group = page.locator("[data-testid=stRadio]").filter(has_text=text)
    group.get_by_text(dg.SCORE_WORDS[score], exact=True).click()
    idle(page)


def test_the_room_diagnoses_its_company_and_a_team_hires(browser, server: AppServer,
                                                        tmp_path: Path):
    chromium, blocked = browser
    started = time.monotonic()
    diagnosis = diagnose(ANSWERS)

    # The facilitator enters the room's answers: the stage and the weakest levers follow.
    host = new_page(chromium)
    host.goto(server.url)
    host.locator(".st-key-screen").get_by_text("Diagnostic").click()
    host.get_by_text("Where does your company stand?").wait_for()
    idle(host)
    for key, score in ANSWERS.items():
        if score != dg.DEFAULT_SCORE:
            answer(host, key, score)
    box = host.locator(".st-key-diagnosis .takeaway")
    box.get_by_text(dg.headline(diagnosis), exact=True).wait_for()  # once the last answer is in
    idle(host)
    values = host.locator(".st-key-diagnosis_values").inner_text()
    assert "feedback loop" in values and "data capture: capture rate" in values
    host.get_by_text("Where does your company stand?").scroll_into_view_if_needed()
    screenshot(host, "diagnostic", tmp_path, height=1500)

    # The scenario file, as `run.py diagnose` writes it.
    with host.expect_download(timeout=SLOW) as download:
        host.get_by_role("button", name="Download the scenario file (YAML)").click()
    saved = tmp_path / "our-company.yaml"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8") == dg.diagnosis_yaml(diagnosis)

    # Play with the company on Compare: the preset and its levers are the diagnosis's.
    host.get_by_role("button", name="Play with our company on the Compare screen").click()
    host.locator(STATUS).get_by_text(re.compile(
        rf"preset: Your company \(diagnosed: {diagnosis.stage}\)")).wait_for(timeout=SLOW)
    idle(host)
    assert host.locator(".st-key-takeaway .takeaway").inner_text()
    screenshot(host, "diagnostic-compare", tmp_path)

    # A game from the company: two teams, one round; Team A hires four reps on its link.
    host.locator(".st-key-screen").get_by_text("Diagnostic").click()
    host.get_by_role("button", name="Start a game from our company").click()
    host.get_by_role("button", name="Start the game").wait_for()
    idle(host)
    host.get_by_role("spinbutton", name="Rounds (quarters)").fill("1")
    host.get_by_role("spinbutton", name="Replications per team").fill("2")
    host.get_by_role("button", name="Start the game").click()
    host.locator(".st-key-team_links").wait_for()
    idle(host)
    links = team_links(host)
    team_a = new_page(chromium)
    team_a.goto(links["Team A"])
    team_a.get_by_text("Round 1 of 1: your levers for this quarter").wait_for()
    idle(team_a)
    team_a.get_by_role("slider", name="Sales reps").focus()
    for _ in range(4):
        team_a.keyboard.press("ArrowRight")  # 8 -> 12 reps
    team_a.get_by_role("button", name="Send our decision for round 1").click()
    sent = team_a.locator(".st-key-sent")
    sent.get_by_text("Decision received for round 1").wait_for()
    idle(team_a)
    assert "reps 8 → 12" in sent.inner_text()
    screenshot(team_a, "game-hiring-team-a", tmp_path, height=1400)

    # The round, the debrief (what the hires cost) and the gap split by lever.
    host.reload()
    idle(host)
    host.get_by_role("button", name=re.compile(r"Play round 1 now \(1 team")).click()
    host.get_by_text("Leaderboard, round 1 of 1").wait_for()
    idle(host)
    host.get_by_role("button", name=re.compile("Debrief: play every team's choices")).click()
    sentences = host.locator(".st-key-debrief_sentences")
    sentences.get_by_text("Headcount of Team A: round 1: 8 → 12.").wait_for()
    idle(host)
    host.get_by_role("button", name="Split the gap by lever").click()
    host.locator(".st-key-gap_table").wait_for()
    idle(host)
    assert "Sales reps" in host.locator(".st-key-gap_table").inner_text()
    screenshot(host, "game-hiring-debrief", tmp_path, height=3400)

    assert blocked == [], f"a page asked for something other than the app: {blocked}"
    print(f"diagnostic and hiring driven in {time.monotonic() - started:.1f} s")
