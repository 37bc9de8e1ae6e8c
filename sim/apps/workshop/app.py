"""The workshop app, started by ``python run.py workshop`` or ``make workshop``.

:mod:`sim.apps.workshop.launch` gives the ``streamlit run sim/apps/workshop/app.py`` options.

Streamlit runs this file as ``__main__``. The simulation's worker processes are
forked from a server that imports the main module again under another name
(``__mp_main__``): there nothing is imported or drawn, so the workers stay
light. The pages live in :mod:`sim.apps.workshop.ui`.
"""

if __name__ == "__main__":
    from sim.apps.workshop.ui import main

    main()
