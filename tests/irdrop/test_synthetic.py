"""Generated data sets: cached cases from the eda.pdn generator and golden solvers."""

from __future__ import annotations

import numpy as np
import pytest

from eda.irdrop.features import STATIC_CHANNELS
from eda.irdrop.synthetic import generate_cases, load_case_file, random_spec

pytestmark = pytest.mark.slow


def test_static_and_dynamic_cases(tmp_path):
    (static,) = generate_cases("static", [7], tmp_path)
    (dynamic,) = generate_cases("dynamic", [7], tmp_path, slices=8, steps_per_cycle=10)
    mtime = static.stat().st_mtime_ns
    assert generate_cases("static", [7], tmp_path) == [static]  # cached: not regenerated
    assert static.stat().st_mtime_ns == mtime

    s = load_case_file(static)
    spec = random_spec(7, "static")
    assert s.shape == (int(spec.width_um) + 1, int(spec.height_um) + 1) or abs(s.shape[0] - spec.width_um) <= 2
    assert s.inputs.shape[0] == len(STATIC_CHANNELS)
    assert s.label_mv.min() >= 0.0 and s.label_mv.max() > 0.05
    # the drop follows the load: the most loaded 10% of (8 µm blocks of) the die sag more than the least loaded
    cur = s.inputs[STATIC_CHANNELS.index("cur_b8")]
    hi, lo = cur > np.quantile(cur, 0.9), cur < np.quantile(cur, 0.1)
    assert s.label_mv[hi].mean() > s.label_mv[lo].mean()

    d = load_case_file(dynamic)
    assert d.inputs.shape[0] == len(STATIC_CHANNELS) + 8
    slices = d.inputs[len(STATIC_CHANNELS):]
    # the static current channel of a dynamic case is the time average of the slices
    np.testing.assert_allclose(slices.mean(axis=0), d.inputs[0], rtol=1e-4, atol=1e-5)
    # activity changes from slice to slice (clock edges, per-cycle activity)
    totals = slices.sum(axis=(1, 2))
    assert totals.max() > 2.0 * totals.min()  # 2 slices per clock cycle: edge half vs quiet half
    assert d.label_mv.max() > 0.0
