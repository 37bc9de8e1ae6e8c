"""Workshop mode: a browser app trainers project in a room, teams play on their own devices.

The app (:mod:`sim.apps.workshop.app`, Streamlit; its pages in
:mod:`sim.apps.workshop.ui`) is a thin page over modules that know nothing of
the browser:

- :mod:`sim.apps.workshop.logic`: the headline levers, presets from ``scenarios/``,
  the baseline-vs-yours comparison with common random numbers, the horizon
  view and the one-line takeaway;
- :mod:`sim.apps.workshop.engine`: the simulation service every page shares:
  replications cached, queued first answers first, on worker processes;
- :mod:`sim.apps.workshop.game`: teams, their private decisions, rounds of a
  quarter each, replays of each team's timeline, leaderboards honest about
  ties and noise, and the debrief;
- :mod:`sim.apps.workshop.attribution`: the gap between two teams split lever by lever;
- :mod:`sim.apps.workshop.storage` and :mod:`sim.apps.workshop.rooms`: games
  saved as JSON and restored after a restart, with their team and board codes;
- :mod:`sim.apps.workshop.export`: the session (choices and results) as one
  self-contained HTML page;
- :mod:`sim.apps.workshop.latency`: the benchmark of a scripted room.

:mod:`sim.apps.workshop.launch` builds the ``streamlit run`` command that
``python run.py workshop`` and ``make workshop`` start.
"""
