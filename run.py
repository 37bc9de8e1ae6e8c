"""Command-line entry point in a checkout: ``python run.py [run|validate|schema|...]`` (see README).

An installed package offers the same as the ``leadflow`` console script; both only
call :func:`sim.apps.cli.main`, which imports nothing heavy before a command runs.
"""

import sys

if __name__ == "__main__":
    try:
        from sim.apps.cli import main
    except KeyboardInterrupt:  # Ctrl-C while starting: nothing was written
        sys.exit(130)
    sys.exit(main())
