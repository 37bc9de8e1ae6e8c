"""The spread of responses inside a band moves three-year revenue by less than 10%.

Published figures give first responses by band (within an hour, within a day,
later: Oldroyd et al. 2011) and an SLA's compliance is a share within its
hours; where inside a band responses fall (``sales.response_band_shape``) is
not observable from them. Over its plausible range, 0.5 (bunched towards the
band's end, as at an SLA deadline) to 8 (crowded at its start), three-year
revenue must not move by 10% or more: the paired 95% CI against the baseline
(shape 2) lies inside +-10%.
"""

from __future__ import annotations

import pytest
from paired_runs import key, paired, runs


@pytest.mark.parametrize("shape", [0.5, 8.0])
def test_band_shape_moves_three_year_revenue_by_less_than_ten_percent(shape: float) -> None:
    base = runs(key())
    other = runs(key(**{"sales.response_band_shape": shape}))
    mean, low, high = paired(base, other, "revenue", relative=True)
    assert low > -0.10 and high < 0.10, (
        f"shape {shape}: revenue {mean:+.1%} (95% CI {low:+.1%} .. {high:+.1%}) "
        "should stay within +-10%")
