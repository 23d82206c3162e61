"""A placed design's power report -> current map and PDN current sinks; DEF placement; hand-solved round trip
through ``eda pdn from-openroad`` and ``eda pdn solve``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eda.data import data_dir
from eda.errors import DataError
from eda.pdn.defplace import read_def_placement
from eda.pdn.design_currents import attach_currents, current_map, instance_currents, map_shape
from eda.pdn.maps import read_map
from eda.pdn.netlist import parse_netlist, read_netlist
from eda.pdn.powerreport import read_power_report, supply_voltage
from tests.flow.helpers import run_cli

HEADER = (
    "*inst_name  cell_name  freq  toggle_rate  leakage_power  switching_power  internal_power  total_power  "
    "library  P/G-pin  P/G-volt  powerDomain  bbox\n"
)

# a 10 x 2 um block at 1000 DBU/um (OpenROAD's SKY130 units): two cells, a bus-bit name escaped as DEF writes it
DEF = """VERSION 5.8 ;
DIVIDERCHAR "/" ;
BUSBITCHARS "[]" ;
DESIGN strap ;
UNITS DISTANCE MICRONS 1000 ;
DIEAREA ( 0 0 ) ( 10000 2000 ) ;
COMPONENTS 2 ;
- u1 INVX1 + PLACED ( 9000 500 ) N ;
- r\\[3\\] INVX1 + FIXED ( 1000 500 ) FS ;
END COMPONENTS
END DESIGN
"""
# one m1 strap of 2 ohm along y = 1 um from x = 0 (the pad, 1.0 V) to x = 10 um
PDN = """* a single resistor strap
R1 VDD_m1_0_1000 VDD_m1_10000_1000 2.0
V1 VDD_m1_0_1000 0 1.0
.end
"""
# u1 draws 0.5 mW, r[3] 0.2 mW; the report carries no bbox (the DEF places them)
REPORT = HEADER.replace("  bbox", "") + (
    "u1  INVX1  1e9  0.1  1e-6  4e-4  9.9e-5  5e-4  lib  VDD  1.0  VDD\n"
    "r[3]  INVX1  1e9  0.1  0  2e-4  0  2e-4  lib  VDD  1.0  VDD\n"
)


def _files(tmp_path):
    (tmp_path / "strap.def").write_text(DEF)
    (tmp_path / "pdn.sp").write_text(PDN)
    (tmp_path / "inst.power.rpt").write_text(REPORT)
    return tmp_path / "strap.def", tmp_path / "pdn.sp", tmp_path / "inst.power.rpt"


@pytest.mark.klayout
def test_def_placement_units_die_and_names(tmp_path):
    d, _, _ = _files(tmp_path)
    place = read_def_placement(d)
    assert place.dbu_per_um == 1000
    assert place.die_um == (0.0, 0.0, 10.0, 2.0)
    assert place.names.tolist() == ["u1", "r[3]"]
    assert np.allclose(place.xy_um, [[9.0, 0.5], [1.0, 0.5]])  # the DEF locations (no LEF: no size)
    assert np.all(np.isnan(place.box_um))


@pytest.mark.klayout
def test_lef_sizes_give_placed_boxes(tmp_path):
    d, _, _ = _files(tmp_path)
    lef = tmp_path / "cells.lef"
    lef.write_text(
        "VERSION 5.8 ;\nUNITS\n  DATABASE MICRONS 1000 ;\nEND UNITS\nMACRO INVX1\n  CLASS CORE ;\n"
        "  ORIGIN 0 0 ;\n  SIZE 2 BY 3 ;\nEND INVX1\nEND LIBRARY\n"
    )
    place = read_def_placement(d, [lef])
    # N: a 2 x 3 um box from the location; FS (flipped south) keeps the 2 x 3 extent from the location
    assert np.allclose(place.box_um, [[9, 0.5, 11, 3.5], [1, 0.5, 3, 3.5]])
    assert np.allclose(place.xy_um, [[10, 2.0], [2, 2.0]])


@pytest.mark.klayout
def test_round_trip_single_strap(tmp_path):
    """u1 (0.5 mA at 1.0 V) sits nearest the strap's far node: drop there = 2 ohm x 0.5 mA = 1.0 mV; r[3] sits
    nearest the pad node (no drop)."""
    d, pdn, rpt = _files(tmp_path)
    out = tmp_path / "design"
    code, text = run_cli(
        "pdn",
        "from-openroad",
        "--def",
        str(d),
        "--power-report",
        str(rpt),
        "--pdn",
        str(pdn),
        "--out",
        str(out),
    )
    assert code == 0, text
    summary = json.loads((out / "design.json").read_text())
    assert summary["total_current_a"] == pytest.approx(7e-4, rel=1e-12)  # (0.5 + 0.2) mW / 1.0 V
    assert summary["placed_by_def"] == 2 and summary["vdd_v"] == 1.0
    cmap = read_map(out / "current_map.csv")
    assert cmap.shape == (11, 3)  # floor(10 um) + 1 by floor(2 um) + 1 tiles
    assert cmap[9, 0] == pytest.approx(5e-4, rel=1e-3) and cmap[1, 0] == pytest.approx(2e-4, rel=1e-3)
    assert np.count_nonzero(cmap) == 2
    net = read_netlist(out / "pdn.sp.gz", dbu_per_um=1000)
    sinks = {net.node_name(int(a)): amp for a, amp in zip(net.i_a, net.i_amp, strict=True)}
    assert sinks == pytest.approx({"VDD_m1_10000_1000": 5e-4, "VDD_m1_0_1000": 2e-4})
    code, text = run_cli(
        "pdn",
        "solve",
        str(out / "pdn.sp.gz"),
        "--def",
        str(d),
        "--like",
        str(out / "current_map.csv"),
        "--out",
        str(tmp_path / "golden"),
        "--no-plots",
    )
    assert code == 0, text
    metrics = json.loads((tmp_path / "golden" / "metrics.json").read_text())
    assert metrics["pdn__static__worst_drop_mv"] == pytest.approx(1.0, rel=1e-6)
    golden = read_map(tmp_path / "golden" / "ir_drop_map.csv")
    assert golden.shape == cmap.shape
    assert golden[10, 1] == pytest.approx(1e-3, rel=1e-3) and golden[0, 1] == pytest.approx(0.0, abs=1e-9)
    assert golden.max() == pytest.approx(1e-3, rel=1e-6)


def test_bbox_placement_and_box_spread_without_def(tmp_path):
    rows = (
        "a  INV  1e9  0.1  0  0  0  1e-6  lib  VDD  0.5  VDD  [2.1,3.25,2.6,3.75]\n"  # inside tile (2, 3)
        "b  INV  1e9  0.1  0  0  0  2e-6  lib  VDD  0.5  VDD  [4.5,1.0,5.5,1.5]\n"  # half in (4, 1), half in (5, 1)
        "m  RAM  1e9  0.1  0  0  0  4e-6  lib  VDD  0.5  VDD  [0.0,0.0,2.0,2.0]\n"
    )  # 2 x 2 tiles, a quarter each
    path = tmp_path / "r.rpt"
    path.write_text(HEADER + rows)
    rep = read_power_report(path)
    cur = instance_currents(rep, supply_voltage(rep))
    assert cur.die_um == (0.0, 0.0, 5.5, 3.75)
    shape = map_shape(cur.die_um)
    assert shape == (6, 4)
    cmap = current_map(cur, shape)
    assert cmap.sum() == pytest.approx(14e-6, rel=1e-12)  # 7 uW / 0.5 V
    assert cmap[2, 3] == pytest.approx(2e-6)
    assert cmap[4, 1] == pytest.approx(2e-6) and cmap[5, 1] == pytest.approx(2e-6)
    assert np.allclose(cmap[:2, :2], 2e-6)
    # the PDN: m1 nodes every 1 um (x = 0 ... 6) on y = 0.5 and 3.5. The macro's box holds (0|1|2, 0.5): a
    # third of its 8 uA each; a and b hold none: their nearest nodes (2, 3.5) and (5, 0.5) take theirs
    names = [f"n_m1_{x * 1000}_{y}" for y in (500, 3500) for x in range(7)]
    text = "\n".join(f"R{k} {a} {b} 1" for k, (a, b) in enumerate(zip(names[:-1], names[1:], strict=True)))
    net = parse_netlist(f"* grid\n{text}\nV1 {names[0]} 0 0.5\n.end\n", dbu_per_um=1000)
    sunk = attach_currents(net, cur)
    got = {sunk.node_name(int(a)): amp for a, amp in zip(sunk.i_a, sunk.i_amp, strict=True)}
    assert got == pytest.approx(
        {
            "n_m1_0_500": 8e-6 / 3,
            "n_m1_1000_500": 8e-6 / 3,
            "n_m1_2000_500": 8e-6 / 3,
            "n_m1_5000_500": 4e-6,
            "n_m1_2000_3500": 2e-6,
        }
    )


def test_unplaced_instance_is_named(tmp_path):
    path = tmp_path / "r.rpt"
    path.write_text("*inst_name total_power\nu9 1e-6\n")
    rep = read_power_report(path)
    with pytest.raises(DataError, match="u9"):
        instance_currents(rep, 1.0)


def _circuitnet_report():
    root = data_dir()
    path = root / "circuitnet-zero-riscy" / "p_3_fi_ap" / "pulpino_top.inst.power.rpt.gz" if root else None
    if path is None or not path.is_file():
        pytest.skip(
            "CircuitNet data not found (set EDA_DATA to the directory holding circuitnet-zero-riscy/)"
        )
    return path


def test_circuitnet_current_map(tmp_path):
    path = _circuitnet_report()
    code, text = run_cli("pdn", "from-openroad", "--power-report", str(path), "--out", str(tmp_path))
    assert code == 0, text
    rep = read_power_report(path)
    total = float(np.sum(rep.total_w)) / 0.9  # A at the data set's 0.9 V
    summary = json.loads((tmp_path / "design.json").read_text())
    assert summary["total_current_a"] == pytest.approx(total, rel=1e-12)
    cmap = read_map(tmp_path / "current_map.csv")
    assert cmap.sum() == pytest.approx(total, rel=1e-3)  # the CSV keeps 4 significant digits per tile
    cur = instance_currents(rep, 0.9)
    exact = current_map(cur, cmap.shape)
    assert exact.sum() == pytest.approx(total, rel=1e-12)
    # the data-memory SRAM macro [20.048, 20.016, 102.256, 102.380] um, 16.1538 uW, alone on its tiles
    assert exact[50, 50] == pytest.approx(
        16.1538e-6 / 0.9 / ((102.255997 - 20.048) * (102.379997 - 20.016001)), rel=1e-9
    )
    # FE_OFC131_n1 [132.088013, 109.680008, 132.448013, 110.256004] um, 2.21854 uW: in column 132, split between
    # rows 109 and 110 by its height below and above y = 110 um
    one = rep.names == "FE_OFC131_n1"
    single = instance_currents(rep, 0.9)
    single.amps = np.where(one, single.amps, 0.0)
    m = current_map(single, cmap.shape)
    assert np.flatnonzero(m.ravel()).tolist() == [132 * m.shape[1] + 109, 132 * m.shape[1] + 110]
    height = 110.256004 - 109.680008
    assert m[132, 109] == pytest.approx(2.21854e-6 / 0.9 * (110 - 109.680008) / height, rel=1e-9)
    assert m[132, 110] == pytest.approx(2.21854e-6 / 0.9 * (110.256004 - 110) / height, rel=1e-9)


def test_def_location_with_the_reports_box_size(tmp_path):
    """A DEF without LEF sizes places the instance; the report's box (from an older placement here) gives only
    its size, laid from the DEF location."""
    from eda.pdn.defplace import DefPlacement

    path = tmp_path / "r.rpt"
    path.write_text(HEADER + "u1  INV  1e9  0.1  0  0  0  1e-6  lib  VDD  1.0  VDD  [50.0,50.0,52.0,51.0]\n")
    place = DefPlacement(
        dbu_per_um=1000,
        die_um=(0.0, 0.0, 8.0, 8.0),
        names=np.array(["u1"]),
        cells=np.array(["INV"]),
        xy_um=np.array([[3.0, 4.0]]),
        box_um=np.full((1, 4), np.nan),
    )
    cur = instance_currents(read_power_report(path), 1.0, place)
    assert cur.placement.tolist() == ["def"]
    assert np.allclose(cur.box_um, [[3.0, 4.0, 5.0, 5.0]]) and np.allclose(cur.xy_um, [[4.0, 4.5]])
    cmap = current_map(cur, map_shape(cur.die_um))
    assert cmap[3, 4] == pytest.approx(0.5e-6) and cmap[4, 4] == pytest.approx(0.5e-6)


@pytest.mark.klayout
@pytest.mark.parametrize(
    ("def_text", "report", "match"),
    [
        (DEF.replace("( 9000 500 )", "( a b )"), REPORT, "Not a floating-point value: a"),
        (DEF.replace("DIEAREA ( 0 0 ) ( 10000 2000 ) ;\n", ""), REPORT, "no DIEAREA"),
        (DEF, REPORT + "u9  INVX1  1e9  0.1  0  2e-4  0  2e-4  lib  VDD  1.0  VDD\n", "no placement .* u9"),
    ],
)
def test_bad_design_inputs_exit_2(tmp_path, def_text, report, match):
    import re

    (tmp_path / "d.def").write_text(def_text)
    (tmp_path / "r.rpt").write_text(report)
    code, text = run_cli(
        "pdn",
        "from-openroad",
        "--def",
        str(tmp_path / "d.def"),
        "--power-report",
        str(tmp_path / "r.rpt"),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2 and re.search(match, text), text
    assert "Traceback" not in text


LEF = (
    "VERSION 5.8 ;\nUNITS\n  DATABASE MICRONS 1000 ;\nEND UNITS\nMACRO INVX1\n  CLASS CORE ;\n"
    "  ORIGIN 0 0 ;\n  SIZE 2 BY 3 ;\nEND INVX1\nEND LIBRARY\n"
)


@pytest.mark.klayout
def test_flow_step_reads_the_lef_like_the_command(tmp_path):
    """``pdn.from_openroad`` with a ``lef`` input spreads each cell's current over its LEF box, as
    ``eda pdn from-openroad --lef`` does; a LEF without a DEF is refused (exit 2)."""
    d, _, rpt = _files(tmp_path)
    (tmp_path / "cells.lef").write_text(LEF)
    code, text = run_cli(
        "pdn", "from-openroad", "--def", str(d), "--lef", str(tmp_path / "cells.lef"),
        "--power-report", str(rpt), "--out", str(tmp_path / "cli"),
    )  # fmt: skip
    assert code == 0, text
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "name: lef\nsteps:\n  - id: design\n    use: pdn.from_openroad\n    inputs:\n"
        f"      power_report: {rpt}\n      def: {d}\n      lef: {tmp_path / 'cells.lef'}\n"
    )
    code, text = run_cli("run", str(flow), "--runs", str(tmp_path / "runs"), "--run-id", "r", "--no-progress")
    assert code == 0, text
    step_map = read_map(tmp_path / "runs" / "lef" / "r" / "01-design" / "current_map.csv")
    cli_map = read_map(tmp_path / "cli" / "current_map.csv")
    assert np.array_equal(step_map, cli_map)
    # the 2 x 3 um box of u1 spreads its 0.5 mA over more than one tile (without the LEF: one tile)
    assert np.count_nonzero(step_map) > 2
    flow.write_text(flow.read_text().replace(f"      def: {d}\n", ""))
    code, text = run_cli(
        "run", str(flow), "--runs", str(tmp_path / "runs"), "--run-id", "r2", "--no-progress"
    )
    assert code == 2 and "needs the def input" in text and "Traceback" not in text, text
