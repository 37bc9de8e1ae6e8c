"""Headline effects on the baseline, each asked the plain way (``--set`` on the baseline).

For each change, the paired difference to the baseline (same seed and
replication indices: common random numbers) of three-year revenue, 90-day
revenue and three-year contribution, with its 95 % confidence interval.

Usage::

    python benchmarks/headline_effects.py [--replications 8] [--workers 2] [--csv FILE]

Run from the repository's top folder: it imports ``sim`` from there.

Uses the public API only (``sim.load_scenario`` with overrides, as ``--set`` does,
``sim.run_replications``), so it runs on any revision of the project.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

# (label, overrides on the baseline)
CHANGES: list[tuple[str, dict[str, object]]] = [
    ("alignment undefined", {"alignment.stage": "undefined"}),
    ("alignment aligned", {"alignment.stage": "aligned"}),
    ("alignment integrated", {"alignment.stage": "integrated"}),
    ("no SLA (defined)", {"alignment.levers.sla": False}),
    ("sales plan quota_accelerator", {"incentives.sales_plan": "quota_accelerator"}),
    ("sales plan shared_revenue", {"incentives.sales_plan": "shared_revenue"}),
    ("marketing plan mql_volume", {"incentives.marketing_plan": "mql_volume"}),
    ("marketing plan revenue", {"incentives.marketing_plan": "revenue"}),
    ("brand share 0", {"marketing.brand_share": 0.0}),
    ("brand share 1", {"marketing.brand_share": 1.0}),
]
METRICS = ("revenue", "revenue_90d", "contribution")


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of b - a and its 95 % t interval."""
    d = b - a
    m = float(d.mean())
    h = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size))
    return m, m - h, m + h


def main(argv: list[str] | None = None) -> int:
    """Print the table (and write it as CSV if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--baseline", type=Path, default=Path("scenarios/baseline.yaml"),
                        help="the baseline file (relative to the current folder)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path.cwd()))
    import sim

    try:
        from sim.experiments.executors import Execution
    except ImportError:  # revisions before the layered package
        from sim.executors import Execution  # type: ignore[no-redef]
    base = sim.load_scenario(args.baseline)
    execution = Execution(workers=args.workers)

    def run(s: object) -> dict[str, np.ndarray]:
        res = sim.run_replications(s, args.replications, execution=execution)
        frame = res.per_replication.sort_values("replication")
        return {m: frame[m].to_numpy(float) for m in METRICS}

    ref = run(base)
    rows = []
    print(f"{'change':32s}" + "".join(f"{m:>36s}" for m in METRICS))
    print(f"{'baseline (mean)':32s}" + "".join(f"{ref[m].mean() / 1e6:>35.2f}M" for m in METRICS))
    for label, overrides in CHANGES:
        # the plain way a user asks: --set on the baseline file (a move from today's plan)
        out = run(sim.load_scenario(args.baseline, dict(overrides)))
        cells = []
        row: dict[str, object] = {"change": label}
        for m in METRICS:
            d, lo, hi = paired(ref[m], out[m])
            rel = d / ref[m].mean() * 100 if ref[m].mean() else math.nan
            cells.append(f"{rel:+7.1f}% ({lo / ref[m].mean() * 100:+.1f} to "
                         f"{hi / ref[m].mean() * 100:+.1f})")
            row.update({f"{m}_diff": d, f"{m}_low": lo, f"{m}_high": hi, f"{m}_pct": rel})
        rows.append(row)
        print(f"{label:32s}" + "".join(f"{c:>36s}" for c in cells), flush=True)
    if args.csv:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
