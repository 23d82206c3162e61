"""Workload flow steps and the ``eda workload`` CLI: a workload through acim.explore into workload.map."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from eda.errors import SpecError
from eda.flow.runner import run_flow
from eda.flow.schema import load_flow
from eda.workloads.cli import app
from eda.workloads.mapping import AcimModelCost, ArraySpec, map_workload
from eda.workloads.workload import Workload

FLOW = """\
name: wl-test
steps:
  - id: net
    use: workload.zoo
    with: {network: bert-tiny, seq_len: 16}
  - id: explore
    use: acim.explore
    with: {rows: 64, cols: 64, population: 8, generations: 2, seed: 1}
    inputs: {workload: net.workload}
  - id: map
    use: workload.map
    with: {slices: 5}
    inputs: {workload: net.workload, spec: explore.best_point}
"""


def test_flow_explores_and_maps_a_workload(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(FLOW)
    result = run_flow(load_flow(path), runs_dir=tmp_path / "runs", progress=False)
    assert result.status == "ok", result.status
    record = {r.id: r for r in result.steps}["map"]
    work = Workload.load(record.directory.parent / "01-net" / "workload.yaml")
    point = json.loads((record.directory.parent / "02-explore" / "best_point.json").read_text())
    expected = map_workload(work, ArraySpec.from_any(point), cost=AcimModelCost(point["input_bits"], point["weight_bits"]))
    assert record.metrics["workload__map__energy_uj"] == pytest.approx(expected.energy_j * 1e6)
    assert record.metrics["workload__map__latency_ms"] == pytest.approx(expected.latency_s * 1e3)
    currents = np.load(record.directory / "currents.npz")
    assert currents["currents_a"].shape[0] == 5
    drawn = currents["currents_a"].sum() * expected.latency_s / 5 * expected.spec.vdd
    assert drawn == pytest.approx(expected.energy_j, rel=1e-6)
    layers = (record.directory / "layers.csv").read_text().splitlines()
    assert len(layers) == 1 + len(work.layers)


def test_cli_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "vit.yaml"
    made = runner.invoke(app, ["zoo", "vit_small", "--out", str(out)])
    assert made.exit_code == 0, made.output
    shown = runner.invoke(app, ["show", str(out)])
    assert shown.exit_code == 0 and "block5.mlp2" in shown.output
    csv_path = tmp_path / "NetWork.csv"
    exported = runner.invoke(app, ["neurosim", str(out), "--out", str(csv_path)])
    assert exported.exit_code == 0 and len(csv_path.read_text().splitlines()) == 1 + 6 * 4 + 1
    mapped = runner.invoke(app, ["map", str(out), "--analytic", "--out", str(tmp_path / "m.json")])
    assert mapped.exit_code == 0 and "per inference" in mapped.output
    assert json.loads((tmp_path / "m.json").read_text())["summary"]["arrays"] > 0
    bad = runner.invoke(app, ["zoo", "alexnet"])
    assert isinstance(bad.exception, SpecError)
