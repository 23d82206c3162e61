"""The ``macro.pdn`` step on a generated macro: spacing read back from the drawing, Kirchhoff, metrics."""

from __future__ import annotations

import json

import pytest

from eda.flow.runner import run_flow
from eda.flow.schema import load_flow
from eda.macro.grid import extract_power_grid


def test_macro_pdn_reads_the_drawn_tap_spacing(acim_library, tmp_path):
    """Generated with 16 columns between tap columns (library default 8): the step extracts what was drawn,
    cross-checked against the GDS, and the pads deliver what the cells draw. (VDD only: eda.pdn solves a grid
    whose pads hold a supply above 0 V, so the step cannot solve a VSS netlist yet.)"""
    net = "VDD"
    lib = acim_library.path
    flow = tmp_path / "flow.yaml"
    flow.write_text(f"""name: pdn-test
steps:
  - id: gen
    use: acim.generate
    with: {{rows: 16, cols: 32, local_array_size: 4, adc_bits: 3, render: false, stripe_every: 16,
            library: "{lib}"}}
  - id: pdn
    use: macro.pdn
    inputs: {{area: gen.area, gds: gen.gds}}
    with: {{library: "{lib}", net: {net}, cycles: 2}}
  - id: predict_dynamic
    use: irdrop.predict
    inputs: {{netlist: pdn.static, current: pdn.peak_current_map, time_slices: pdn.time_slices,
              eff_dist: pdn.eff_dist, pdn_density: pdn.pdn_density}}
    with: {{checkpoint: macro-dynamic, plots: false}}
""")
    result = run_flow(load_flow(flow), runs_dir=tmp_path / "runs", progress=False)
    assert result.exit_code == 0
    record = result.record("pdn")
    metrics = record.metrics
    area = json.loads((result.record("gen").directory / result.record("gen").outputs["area"]).read_text())
    from eda.acim.spec import ACIMSpec

    grid = extract_power_grid(ACIMSpec.from_dict(area["spec"]), acim_library, net=net, stripe_every=16)
    assert metrics["macro__pdn__stripes"] == len(grid.stripes_x_um) == 2  # 3 tap columns, VDD on the even
    assert metrics["macro__pdn__nodes"] == grid.n_nodes
    assert metrics["macro__pdn__conservation_error"] < 1e-9
    summary = json.loads((record.directory / "macro_pdn.json").read_text())
    assert set(summary["current_density_ma_per_um"]) == {"rail", "line", "stripe", "ring"}
    assert summary["decap_total_f"] > 0

    # the dynamic window folded by the cycle: 8 slices on the current map's grid, each below the peaks, and
    # the window's charge: the slices' mean is the window's mean current (one activity level here; the CSV
    # map is written with a few significant digits per tile)
    import numpy as np

    from eda.pdn.maps import read_map

    average = read_map(record.directory / "current_map.csv")
    peak = read_map(record.directory / "peak_current_map.csv")
    with np.load(record.directory / "time_slices.npz") as z:
        slices = z["slices"]
    assert slices.shape == (8, *average.shape) and peak.shape == average.shape
    assert np.all(slices <= peak * (1 + 1e-9) + 1e-18)
    assert slices.sum(axis=(1, 2)).mean() == pytest.approx(average.sum(), rel=1e-3)
    predicted = result.record("predict_dynamic")
    assert predicted.metrics["irdrop__predict__from_model"] is True
    assert read_map(predicted.directory / "ir_drop_map.csv").shape == average.shape
