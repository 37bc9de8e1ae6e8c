"""The Diagnostic screen and hiring in the workshop app, run in-process by Streamlit's AppTest.

The same set-up as ``test_workshop_app.py`` (whose helpers are used): no
browser, replications on a thread of this process. The browser version is
``test_workshop_diagnostic_browser.py``.
"""

from __future__ import annotations

import pytest
from test_workshop_app import (  # the app's in-process helpers and fixtures
    fresh,
    page,
    service,
    settle,
    takeaways,
    texts,
)

from sim.apps.workshop import diagnosis as dg
from sim.apps.workshop import ui
from sim.scenario.diagnostic import diagnose

__all__ = ["fresh", "service"]  # fixtures, used by name

ANSWERS = {"shared_definitions": 2, "sla": 1, "feedback": 3, "joint_planning": 4,
           "shared_metrics": 5, "rotation": 1, "content": 3, "data": 4}


def answered(at):
    for key, score in ANSWERS.items():
        at.radio(key=f"diag_{key}").set_value(score)
    return at.run()


def test_the_room_answers_and_plays_with_its_company_on_compare(fresh):
    at = page({"screen": "diagnostic"})
    assert not at.exception
    assert "Where does your company stand?" in texts(at)
    at = answered(at)
    diagnosis = diagnose(ANSWERS)
    assert dg.headline(diagnosis) in takeaways(at)[0]
    assert "feedback loop" in texts(at) and "data capture: capture rate" in texts(at)
    at.button(key="diagnosis_compare").click().run()
    assert not at.exception
    assert at.radio(key="screen").value == "Compare"
    assert at.selectbox(key="preset").value == dg.DIAGNOSED_KEY
    assert at.selectbox(key="lever_alignment_stage").value == diagnosis.stage
    company = ui.companies()[at.query_params["session"]]
    assert company.scenario.alignment.levers.feedback_loop == diagnosis.overrides[
        "alignment.levers.feedback_loop"]
    at = settle(at, rf"preset: Your company \(diagnosed: {diagnosis.stage}\)")
    # The answers stay on the Diagnostic screen after a visit to Compare.
    at.radio(key="screen").set_value("Diagnostic").run()
    assert at.radio(key="diag_sla").value == 1


def test_a_game_starts_from_the_diagnosed_company_and_a_team_hires(fresh):
    at = answered(page({"screen": "diagnostic"}))
    at.button(key="diagnosis_game").click().run()
    assert at.radio(key="screen").value == "Game"
    assert at.selectbox(key="setup_base").value == dg.DIAGNOSED_KEY
    at.number_input[0].set_value(1)  # rounds
    at.number_input[1].set_value(2)  # replications
    next(b for b in at.button if b.label == "Start the game").click().run()
    assert not at.exception
    room = ui.rooms().of_owner(at.query_params["session"])
    assert room is not None
    assert room.game.setup.base.alignment.levers.sla_hours == diagnose(ANSWERS).overrides[
        "alignment.levers.sla_hours"]
    team = page({"team": room.codes["Team A"]})
    assert "Hiring: new reps join 60 days after the round starts" in texts(team)
    team.slider(key="team_r1_reps").set_value(12)
    next(b for b in team.button if b.label == "Send our decision for round 1").click().run()
    assert not team.exception
    assert room.game.decisions["Team A"].reps == 12
    assert "Decision received for round 1: reps 8 → 12" in texts(team)


@pytest.mark.parametrize("screen", ["Diagnostic", "Game"])
def test_the_screens_draw_without_a_diagnosis(fresh, screen):
    at = page({"screen": screen.lower()})
    assert not at.exception
    if screen == "Game":  # the starting companies are the presets until a diagnosis
        options = at.selectbox(key="setup_base").options
        assert "Baseline" in options and not any("Your company" in o for o in options)
        assert "Teams may hire" in texts(at)
