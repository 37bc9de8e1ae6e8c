"""Reports a person reads: a self-contained HTML page, its figures and the tables behind them.

Each report has its own module: :func:`sim.report.run_report.write_run_report` writes
the report of one run; :func:`sim.report.compare_report.write_compare_report` and
:func:`sim.report.sweep_report.write_sweep_report` take plain DataFrames, so any
experiment runner can produce them. None of them runs the simulation.

The package itself imports nothing, so that importing one of its modules (the
formatting of numbers, say) does not load every report, the runner and the model.
"""
