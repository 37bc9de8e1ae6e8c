"""Results layer: what one replication measured.

The metric catalog (name, label, unit, format, direction, description), the
metric computations from a finished model, and :func:`simulate`, which runs
one replication and measures it. Imports the model and scenario layers.
"""
