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
    assert (
        s.shape == (int(spec.width_um) + 1, int(spec.height_um) + 1) or abs(s.shape[0] - spec.width_um) <= 2
    )
    assert s.inputs.shape[0] == len(STATIC_CHANNELS)
    assert s.label_mv.min() >= 0.0 and s.label_mv.max() > 0.05
    # the drop follows the load: the most loaded 10% of (8 µm blocks of) the die sag more than the least loaded
    cur = s.inputs[STATIC_CHANNELS.index("cur_b8")]
    hi, lo = cur > np.quantile(cur, 0.9), cur < np.quantile(cur, 0.1)
    assert s.label_mv[hi].mean() > s.label_mv[lo].mean()

    d = load_case_file(dynamic)
    assert d.inputs.shape[0] == len(STATIC_CHANNELS) + 8
    slices = d.inputs[len(STATIC_CHANNELS) :]
    # the static current channel of a dynamic case is the time average of the slices
    np.testing.assert_allclose(slices.mean(axis=0), d.inputs[0], rtol=1e-4, atol=1e-5)
    # activity changes from slice to slice (clock edges, per-cycle activity)
    totals = slices.sum(axis=(1, 2))
    assert totals.max() > 2.0 * totals.min()  # 2 slices per clock cycle: edge half vs quiet half
    assert d.label_mv.max() > 0.0


@pytest.mark.data
def test_iccad_dynamic_case(tmp_path):
    from eda.data import data_dir
    from eda.irdrop.synthetic import generate_iccad_dynamic
    from eda.pdn.maps import read_map
    from eda.pdn.metrics import correlation

    root = data_dir()
    case = None if root is None else root / "iccad23" / "real" / "testcase11"
    if case is None or not (case / "netlist.sp.gz").exists():
        pytest.skip("ICCAD 2023 data not available (set EDA_DATA)")
    (path,) = generate_iccad_dynamic([case], [0], tmp_path, slices=8, steps_per_cycle=10)
    assert path.name.startswith("dynamic-real-testcase11-00000-")
    assert generate_iccad_dynamic([case], [0], tmp_path, slices=8, steps_per_cycle=10) == [path]  # cached
    s = load_case_file(path)
    current, static = read_map(case / "current_map.csv.gz"), read_map(case / "ir_drop_map.csv.gz") * 1e3
    assert s.shape == current.shape
    # the contest's own maps are the inputs
    np.testing.assert_allclose(
        s.inputs[STATIC_CHANNELS.index("eff_dist")] * 50.0, read_map(case / "eff_dist_map.csv.gz"), rtol=1e-5
    )
    slices = s.inputs[len(STATIC_CHANNELS) :] / 1e7  # A per tile
    np.testing.assert_allclose(slices.mean(axis=0), s.inputs[0] / 1e7, rtol=1e-4, atol=1e-12)
    # the slices keep the current map's texture and, over the run, draw its DC total (random activity: 5 %)
    assert correlation(slices.mean(axis=0), current) > 0.9
    assert slices.mean(axis=0).sum() == pytest.approx(current.sum(), rel=0.05)
    totals = slices.sum(axis=(1, 2))
    assert totals.max() > 2.0 * totals.min()  # clock-edge half vs quiet half of each cycle
    # the label: same pattern as the static one, higher at the clock-edge peaks (3x the mean current)
    assert correlation(s.label_mv, static) > 0.95
    assert 1.5 * static.max() < s.label_mv.max() < 6.0 * static.max()


@pytest.mark.data
def test_synthetic_step_on_iccad_netlists(tmp_path):
    from eda.data import data_dir
    from eda.errors import FlowError
    from eda.flow.runner import run_flow
    from eda.flow.schema import load_flow

    root = data_dir()
    if root is None or not (root / "iccad23" / "real" / "testcase11" / "netlist.sp.gz").exists():
        pytest.skip("ICCAD 2023 data not available (set EDA_DATA)")
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "name: dyn\nexecutor: serial\nsteps:\n  - id: cases\n    use: irdrop.synthetic\n"
        "    with: {kind: dynamic, source: iccad, count: 3, first_seed: 5, subsets: [real]}\n"
    )
    run = run_flow(load_flow(flow), runs_dir=tmp_path / "runs")
    names = sorted(p.name for p in (run.run_dir / "01-cases" / "cases").glob("*.npz"))
    # design i is the i-th real case with a netlist (testcase1, 11, 12, 2 sorted) with seed 5 + i
    assert [n.rsplit("-", 1)[0] for n in names] == [
        "dynamic-real-testcase1-00005",
        "dynamic-real-testcase11-00006",
        "dynamic-real-testcase12-00007",
    ]
    flow.write_text(flow.read_text().replace("kind: dynamic", "kind: static"))
    with pytest.raises(FlowError, match="dynamic cases only"):
        load_flow(flow)
