"""A user's own placed design (DEF + instance power report + PDN netlist, the shipped ``pdn-block`` example) to a
golden and a predicted IR-drop map with the documented commands (docs/irdrop-own-design.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eda.pdn.maps import read_map
from eda.pdn.metrics import hotspot_f1, mae
from eda.pdn.netlist import read_netlist
from eda.pdn.powerreport import read_power_report
from eda.shipped import designs_dir
from tests.flow.helpers import run_cli

pytestmark = [pytest.mark.klayout]

BLOCK = designs_dir() / "pdn-block"
DEF = BLOCK / "pdn_block.def.gz"
VDD = 1.8  # the block's supply (the report's P/G-volt)


def test_def_report_pdn_to_golden_and_predicted_maps(tmp_path):
    out = tmp_path / "block"
    code, text = run_cli(
        "pdn",
        "from-openroad",
        "--def",
        str(DEF),
        "--power-report",
        str(BLOCK / "pdn_block.inst.power.rpt.gz"),
        "--pdn",
        str(BLOCK / "pdn_block.pdn.sp.gz"),
        "--out",
        str(out),
    )
    assert code == 0, text
    summary = json.loads((out / "design.json").read_text())
    total = float(np.sum(read_power_report(BLOCK / "pdn_block.inst.power.rpt.gz").total_w)) / VDD
    assert summary["placed_by_def"] == summary["report_rows"]  # every instance found in the DEF
    assert summary["vdd_v"] == VDD and summary["total_current_a"] == pytest.approx(total, rel=1e-12)
    current = read_map(out / "current_map.csv")
    assert current.shape == (201, 201)  # the 200 um die, floor(200) + 1 tiles
    assert current.sum() == pytest.approx(total, rel=1e-3)  # 4 significant digits per tile
    net = read_netlist(out / "pdn.sp.gz", dbu_per_um=1000)
    assert net.i_amp.sum() == pytest.approx(total, rel=1e-5)  # the writer keeps 6 digits per sink
    assert np.all(net.layer[net.i_a] == 1)  # sinks on m1

    code, text = run_cli(
        "pdn",
        "solve",
        str(out / "pdn.sp.gz"),
        "--def",
        str(DEF),
        "--like",
        str(out / "current_map.csv"),
        "--out",
        str(out / "golden"),
        "--no-plots",
    )
    assert code == 0, text
    golden = read_map(out / "golden" / "ir_drop_map.csv")
    assert golden.shape == current.shape
    # the worst drop lies in the activity hot spot the block was made with (140, 60) um, sigma 30 um
    wx, wy = np.unravel_index(int(np.argmax(golden)), golden.shape)
    assert np.hypot(wx - 140, wy - 60) < 30

    code, text = run_cli(
        "irdrop",
        "predict",
        "--netlist",
        str(out / "pdn.sp.gz"),
        "--current",
        str(out / "current_map.csv"),
        "--def",
        str(DEF),
        "--out",
        str(out / "predicted.csv"),
        "--golden",
        str(out / "golden" / "ir_drop_map.csv"),
    )
    assert code == 0, text
    assert (out / "predicted.png").read_bytes()[:4] == b"\x89PNG"
    pred = read_map(out / "predicted.csv")
    assert pred.shape == golden.shape
    # far better than the best constant map, and most hotspots found (as on the ICCAD 2023 cases)
    assert mae(pred, golden) < 0.6 * mae(np.full_like(golden, np.median(golden)), golden)
    assert hotspot_f1(pred, golden) >= 0.5


def test_the_shipped_flow_runs_the_same_commands(tmp_path):
    from eda.shipped import find_flow

    code, text = run_cli("run", str(find_flow("irdrop-own-design")), "--runs", str(tmp_path), "--no-progress")
    assert code == 0, text
    run = next((tmp_path / "irdrop-own-design").glob("2*"))
    design = json.loads((run / "01-design" / "design.json").read_text())
    total = float(np.sum(read_power_report(BLOCK / "pdn_block.inst.power.rpt.gz").total_w)) / VDD
    assert design["total_current_a"] == pytest.approx(total, rel=1e-12)
    golden = read_map(run / "02-golden" / "ir_drop_map.csv")
    pred = read_map(run / "03-predict" / "ir_drop_map.csv")
    metrics = json.loads((run / "03-predict" / "predict.json").read_text())
    assert metrics["irdrop__predict__mae_mv"] == pytest.approx(mae(pred, golden) * 1e3, rel=1e-9)
    assert metrics["irdrop__predict__f1"] >= 0.5
    assert (run / "03-predict" / "heatmap.png").read_bytes()[:4] == b"\x89PNG"
