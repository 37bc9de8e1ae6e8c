"""Experiments layer: many replications and the statistics over them.

Executors (serial, process pool, Dask), the replication runner, experiment
designs, compare / sweep / optimize, the resumable store and the statistics
(confidence intervals, paired differences). Imports results and below.
"""
