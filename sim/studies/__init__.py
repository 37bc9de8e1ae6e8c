"""Studies: the project's own tables built from many runs.

The calibration table against published figures and the scenario library
table. Imports experiments, report and below.
"""
