"""Workload flow steps and the ``eda workload`` CLI: a workload through acim.explore into workload.map."""

from __future__ import annotations

import csv
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
    with: {rows: 64, cols: 64, population: 24, generations: 4, seed: 1}
  - id: select
    use: workload.select
    inputs: {pareto: explore.pareto, workload: net.workload}
  - id: map
    use: workload.map
    with: {slices: 5}
    inputs: {workload: net.workload, spec: select.best_point}
"""


def test_flow_explores_and_maps_a_workload(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(FLOW)
    result = run_flow(load_flow(path), runs_dir=tmp_path / "runs", progress=False)
    assert result.status == "ok", result.status
    record = {r.id: r for r in result.steps}["map"]
    work = Workload.load(record.directory.parent / "01-net" / "workload.yaml")
    point = json.loads((record.directory.parent / "03-select" / "best_point.json").read_text())
    # one cost model: the energy workload.select ranked the point by is what workload.map reports for it
    selected = {r.id: r for r in result.steps}["select"].metrics["workload__select__energy_uj"]
    assert record.metrics["workload__map__energy_uj"] == pytest.approx(selected, rel=1e-12)
    # and it is the least energy among the Pareto points (no lossless-ADC table for this workload)
    with (record.directory.parent / "02-explore" / "pareto.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    energies = [
        map_workload(
            work,
            ArraySpec.from_any(_numbers(r)),
            cost=AcimModelCost(int(r["input_bits"]), int(r["weight_bits"])),
        ).energy_j
        * 1e6
        for r in rows
    ]
    assert selected == pytest.approx(min(energies), rel=1e-12) and len(rows) >= 2
    expected = map_workload(
        work, ArraySpec.from_any(point), cost=AcimModelCost(point["input_bits"], point["weight_bits"])
    )
    assert record.metrics["workload__map__energy_uj"] == pytest.approx(expected.energy_j * 1e6)
    assert record.metrics["workload__map__latency_ms"] == pytest.approx(expected.latency_s * 1e3)
    currents = np.load(record.directory / "currents.npz")
    assert currents["currents_a"].shape[0] == 5
    drawn = currents["currents_a"].sum() * expected.latency_s / 5 * expected.spec.vdd
    assert drawn == pytest.approx(expected.energy_j, rel=1e-6)
    from eda.pdn.maps import read_map

    contest = read_map(record.directory / "current_map.csv.gz")  # rows index x, A per tile
    summary = json.loads((record.directory / "mapping.json").read_text())
    # 9216 arrays of 64x64 span > 2 mm, so the automatic tile is coarser than the contest's 1 µm
    assert summary["tile_um"] == float(currents["tile_um"]) > 1.0
    assert contest.shape == currents["static_a"].T.shape
    assert contest.sum() == pytest.approx(currents["static_a"].sum(), rel=2e-3)  # %5.3e text precision
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


def test_select_respects_lossless_adc_bits(tmp_path: Path) -> None:
    import logging

    from eda.flow.step import StepContext
    from eda.workloads.steps import WorkloadSelect
    from eda.workloads.workload import LayerRecord

    work = Workload(
        "w",
        [LayerRecord.gemm("a", 1, 8, 8)],
        meta={"adc_bits_required": {"16": 5, "32": 5, "64": 7, "128": 7}},
    )
    work.save(tmp_path / "w.yaml")
    header = "rows,cols,local_array_size,adc_bits,cols_per_adc,clock_MHz,unit_cap_fF,input_bits,weight_bits,snr_total_db\n"
    points = [
        "64,64,4,4,1,100.0,2.0,4,4,20.0",  # 16 rows per conversion need 5 bits: deficit 1
        "64,64,4,5,2,100.0,2.0,4,4,22.0",  # 32 rows, 5 bits: lossless
        "64,64,1,7,2,100.0,2.0,4,4,25.0",
    ]  # 128 rows, 7 bits: lossless
    (tmp_path / "pareto.csv").write_text(header + "\n".join(points) + "\n")
    energy = [
        map_workload(
            work,
            ArraySpec.from_any(_numbers(dict(zip(header.strip().split(","), p.split(","), strict=True)))),
            cost=AcimModelCost(4, 4),
            reload_weights=True,
        ).energy_j
        * 1e6
        for p in points
    ]

    def run(**params: object) -> dict:
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        out.mkdir()
        ctx = StepContext(
            "select",
            WorkloadSelect.Params(**params),
            {"pareto": tmp_path / "pareto.csv", "workload": tmp_path / "w.yaml"},
            out,
            logging.getLogger("test"),
        )
        result = WorkloadSelect().run(ctx)
        return {**json.loads((out / "selection.json").read_text()), **result.metrics}

    strict = run()
    assert strict["workload_energy_uJ"] == pytest.approx(min(energy[1:]))
    assert strict["deficit_bits"] == 0 and strict["qualifying"] == 2
    loose = run(max_adc_deficit_bits=1)
    assert loose["workload_energy_uJ"] == pytest.approx(min(energy)) and loose["qualifying"] == 3
    assert run(min_snr_db=24.0)["workload_energy_uJ"] == pytest.approx(energy[2])


def _numbers(row: dict[str, str]) -> dict[str, float | int]:
    """A Pareto CSV row's numeric fields (floats where the text has a decimal point)."""
    out: dict[str, float | int] = {}
    for key, text in row.items():
        try:
            out[key] = float(text) if "." in text or "e" in text else int(text)
        except ValueError:
            continue
    return out
