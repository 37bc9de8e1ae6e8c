"""Workshop mode: a browser app trainers project in a room.

The app (:mod:`sim.apps.workshop.app`, Streamlit) is a thin page over three tested
modules that know nothing of the browser:

- :mod:`sim.apps.workshop.logic`: the headline levers, presets from ``scenarios/``,
  the baseline-vs-yours comparison with common random numbers, the horizon
  view and the one-line takeaway;
- :mod:`sim.apps.workshop.game`: teams, rounds of a quarter each, replays of each
  team's timeline, the leaderboard per round and the debrief;
- :mod:`sim.apps.workshop.export`: the session (choices and results) as one
  self-contained HTML page.

:mod:`sim.apps.workshop.launch` builds the ``streamlit run`` command that
``python run.py workshop`` and ``make workshop`` start.
"""
