"""A readable text table of a run: means with 95% confidence intervals.

The rows, their sections and labels come from the metric catalog
(:func:`sim.results.catalog.summary_sections`); the numbers from :func:`sim.report.format.fmt`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report.format import fmt, fmt_param, fmt_range
from sim.report.windows import same_as_whole
from sim.results.catalog import summary_sections

if TYPE_CHECKING:  # a run is only read here: the runner and the model need not load
    from sim.experiments.runner import RunResult

# Width of the label column: the longest label in the summary fits (labels are never cut).
LABEL_WIDTH = max(len(m.label) for _, metrics in summary_sections() for m in metrics)


def summary_table(run: RunResult) -> str:
    """The summary as aligned plain text."""
    s = run.scenario
    n = len(run.per_replication)
    stats = run.summary.set_index("metric")
    lines = [
        f"Scenario '{s.name}': {fmt_param(s.horizon_days)} days, {n} replication{'s' * (n != 1)}, "
        f"seed {run.seed}",
        "",
        f"{'':{LABEL_WIDTH + 2}}{'mean':>12}   {'95% CI':<25}",
    ]
    # A short run's "first 90 days" or "first year" would repeat the whole horizon.
    skip = same_as_whole(float(s.horizon_days))
    for title, metrics in summary_sections():
        lines.append(title)
        for m in metrics:
            if m.name in skip:
                continue
            row = stats.loc[m.name]
            ci = fmt_range(row["ci_low"], row["ci_high"], m.kind, sep=" .. ")
            lines.append(f"  {m.label:{LABEL_WIDTH}}{fmt(row['mean'], m.kind):>12}   "
                         f"{ci}".rstrip())
    return "\n".join(lines)
