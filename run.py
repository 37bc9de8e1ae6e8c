"""Command-line entry point: ``python run.py [run|validate|schema] ...`` (see README)."""

import sys

from sim.apps.cli import main

if __name__ == "__main__":
    sys.exit(main())
