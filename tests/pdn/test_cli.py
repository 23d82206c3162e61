"""``eda pdn`` commands and flows: outputs, metrics, and exit code 2 with the place for broken netlists."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from eda.pdn.maps import read_map
from tests.flow.helpers import run_cli

GOOD = (
    "R1 n1_m1_0_0 n1_m1_4000_0 1\nR2 n1_m1_4000_0 n1_m4_4000_0 1\nR3 n1_m1_0_0 n1_m1_0_4000 2\n"
    "R4 n1_m1_0_4000 n1_m1_4000_4000 1\nR5 n1_m1_4000_4000 n1_m1_4000_0 1\n"
    "V1 n1_m4_4000_0 0 1.1\nI1 n1_m1_0_0 0 1m\nI2 n1_m1_0_4000 0 2m\n"
)


def test_generate_then_solve_with_transient(tmp_path):
    net = tmp_path / "g.sp.gz"
    code, out = run_cli(
        "pdn",
        "generate",
        "--nodes",
        "3000",
        "--seed",
        "1",
        "--waveform",
        "pwl",
        "--package-r",
        "0.01",
        "--package-l",
        "1e-11",
        "--out",
        str(net),
    )
    assert code == 0, out
    assert (tmp_path / "g_current_map.csv.gz").exists()
    code, out = run_cli(
        "pdn",
        "solve",
        str(net),
        "--transient",
        "500p,10p",
        "--like",
        str(tmp_path / "g_current_map.csv.gz"),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0, out
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["pdn__dynamic__worst_drop_mv"] > metrics["pdn__static__worst_drop_mv"] > 0
    m = read_map(tmp_path / "o" / "ir_drop_map.csv")
    assert m.shape == read_map(tmp_path / "g_current_map.csv.gz").shape
    assert m.max() * 1e3 == pytest.approx(metrics["pdn__map__worst_drop_mv"], rel=1e-3)  # %5.3e in the file
    for name in ("heatmap.png", "layers.png", "dynamic_heatmap.png", "waveforms.csv", "voltages.csv.gz"):
        assert (tmp_path / "o" / name).stat().st_size > 0
    rows = gzip.decompress((tmp_path / "o" / "voltages.csv.gz").read_bytes()).decode().splitlines()
    assert rows[0] == "node,x_um,y_um,layer,voltage_v,drop_v"
    drops = np.array([float(r.split(",")[-1]) for r in rows[1:]])
    assert drops.max() * 1e3 == pytest.approx(metrics["pdn__static__worst_drop_mv"], rel=1e-5)


def test_solve_small_by_hand(tmp_path):
    (tmp_path / "n.sp").write_text(GOOD)
    code, out = run_cli("pdn", "solve", str(tmp_path / "n.sp"), "--out", str(tmp_path / "o"), "--no-plots")
    assert code == 0, out
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["pdn__static__worst_drop_mv"] > 0 and m["pdn__netlist__nodes"] == 5


@pytest.mark.parametrize(
    "text,place",
    [
        (
            GOOD + "R9 n1_m1_40000_40000 n1_m1_44000_40000 1\n",
            "n1_m1_40000_40000 at (20.000, 20.000) µm on m1",
        ),
        (GOOD.replace("R3 n1_m1_0_0 n1_m1_0_4000 2", "R3 n1_m1_0_0 n1_m1_0_4000 2 3 4"), "bad.sp:3"),
        (GOOD.replace("R4 n1_m1_0_4000 n1_m1_4000_4000 1", "R4 n1_m1_0_4000 n1_m1_4000_4000 -1"), "bad.sp:4"),
    ],
    ids=["floating-island", "syntax-error", "negative-resistor"],
)
def test_broken_netlist_exit_2_names_place(tmp_path, text, place):
    (tmp_path / "bad.sp").write_text(text)
    code, out = run_cli("pdn", "solve", str(tmp_path / "bad.sp"), "--out", str(tmp_path / "o"))
    assert code == 2
    assert place in out
    assert "Traceback" not in out


def test_truncated_gzip_exit_2(tmp_path):
    data = gzip.compress((GOOD * 200).encode())
    (tmp_path / "t.sp.gz").write_bytes(data[: len(data) // 2])
    code, out = run_cli("pdn", "solve", str(tmp_path / "t.sp.gz"), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "t.sp.gz" in out and "truncated or corrupt gzip" in out


def test_bad_transient_argument_exit_2(tmp_path):
    (tmp_path / "n.sp").write_text(GOOD)
    code, out = run_cli(
        "pdn", "solve", str(tmp_path / "n.sp"), "--transient", "5n", "--out", str(tmp_path / "o")
    )
    assert code == 2 and "STOP,STEP" in out


def test_transient_flow_runs(tmp_path):
    from eda.shipped import flows_dir

    code, out = run_cli(
        "run",
        str(flows_dir() / "pdn-transient.yaml"),
        "--runs",
        str(tmp_path),
        "--no-progress",
        "--set",
        "grid.nodes=3000",
    )
    assert code == 0, out
    metrics = list(tmp_path.rglob("*-solve/metrics.json"))
    assert metrics, out
    m = json.loads(metrics[0].read_text())
    assert m["pdn__dynamic__worst_drop_mv"] > m["pdn__static__worst_drop_mv"]


def test_maps_command(tmp_path):
    (tmp_path / "n.sp").write_text(GOOD)
    code, out = run_cli(
        "pdn",
        "maps",
        str(tmp_path / "n.sp"),
        "--exact-pads",
        "--region-um",
        "2",
        "--out",
        str(tmp_path / "m"),
    )
    assert code == 0, out
    eff = read_map(tmp_path / "m" / "eff_dist_map.csv")
    assert eff.shape == (3, 3) and eff[2, 0] == 0.0  # the pad n1_m4_4000_0 sits at (2, 0) µm
    assert eff[0, 0] == pytest.approx(2.0, rel=1e-3)


def test_solve_step_without_coordinates_or_plots(tmp_path):
    """Plain node names: no map can be drawn; the step still succeeds with voltages and metrics."""
    (tmp_path / "plain.sp").write_text("R1 a b 1\nR2 b c 1\nV1 a 0 1\nI1 c 0 1m\n")
    flow = tmp_path / "f.yaml"
    flow.write_text(
        f"name: plain\ndescription: plain names\nsteps:\n  - id: solve\n    use: pdn.solve\n"
        f"    inputs: {{netlist: {tmp_path / 'plain.sp'}}}\n    with: {{plots: false}}\n"
    )
    code, out = run_cli("run", str(flow), "--runs", str(tmp_path / "runs"), "--no-progress")
    assert code == 0, out
    m = json.loads(next((tmp_path / "runs").rglob("*-solve/metrics.json")).read_text())
    assert m["pdn__static__worst_drop_mv"] == pytest.approx(2.0)  # 1 mA through 2 ohm
