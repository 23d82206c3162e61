"""A user's own placed design (DEF + instance power report + PDN netlist, the ``pdn-block`` example) to a
golden and a predicted IR-drop map with the documented commands (docs/irdrop-own-design.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eda.pdn.example_block import write_example_block
from eda.pdn.maps import read_map
from eda.pdn.metrics import hotspot_f1, mae
from eda.pdn.netlist import read_netlist
from eda.pdn.powerreport import read_power_report
from tests.flow.helpers import run_cli

pytestmark = [pytest.mark.klayout]

VDD = 1.8  # the block's supply (the report's P/G-volt)


@pytest.fixture(scope="module")
def block(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The example block's DEF, power report and PDN netlist, by role."""
    return write_example_block(tmp_path_factory.mktemp("pdn-block"))


def test_def_report_pdn_to_golden_and_predicted_maps(tmp_path, block):
    out = tmp_path / "block"
    code, text = run_cli(
        "pdn",
        "from-openroad",
        "--def",
        str(block["def"]),
        "--power-report",
        str(block["power_report"]),
        "--pdn",
        str(block["pdn"]),
        "--out",
        str(out),
    )
    assert code == 0, text
    summary = json.loads((out / "design.json").read_text())
    total = float(np.sum(read_power_report(block["power_report"]).total_w)) / VDD
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
        str(block["def"]),
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
        str(block["def"]),
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


def test_the_shipped_flow_runs_the_same_commands(tmp_path, block):
    from eda.shipped import find_flow

    code, text = run_cli("run", str(find_flow("irdrop-own-design")), "--runs", str(tmp_path), "--no-progress")
    assert code == 0, text
    run = next((tmp_path / "irdrop-own-design").glob("2*"))
    design = json.loads((run / "02-design" / "design.json").read_text())
    total = float(np.sum(read_power_report(block["power_report"]).total_w)) / VDD
    assert design["total_current_a"] == pytest.approx(total, rel=1e-12)
    golden = read_map(run / "03-golden" / "ir_drop_map.csv")
    pred = read_map(run / "04-predict" / "ir_drop_map.csv")
    metrics = json.loads((run / "04-predict" / "predict.json").read_text())
    assert metrics["irdrop__predict__mae_mv"] == pytest.approx(mae(pred, golden) * 1e3, rel=1e-9)
    assert metrics["irdrop__predict__f1"] >= 0.5
    assert (run / "04-predict" / "heatmap.png").read_bytes()[:4] == b"\x89PNG"
