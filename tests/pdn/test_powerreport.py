"""Instance power reports: columns by header name, rows per power pin, errors with file:line; the real
CircuitNet zero-riscy reports."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from eda.data import data_dir
from eda.errors import DataError
from eda.pdn.powerreport import read_power_report, supply_voltage

HEADER = (
    "*inst_name  cell_name  freq  toggle_rate  leakage_power  switching_power  internal_power  total_power  "
    "library  P/G-pin  P/G-volt  powerDomain  bbox\n"
)


def _report(tmp_path, rows: str, header: str = HEADER, name: str = "r.rpt"):
    path = tmp_path / name
    path.write_text("*** design instance power info\n" + header + rows)
    return path


def test_columns_units_and_pin_rows(tmp_path):
    rows = (
        "a/U1  INV  5e+08  0.15  1e-09  2e-06  3e-07  2.301e-06  lib  VDD  0.9  VDD  [1.0,2.0,1.5,2.5]\n"
        "m  SRAM  1e+09  0.15  0  1e-05  0  1e-05  lib  VDD  0.9  VDD  [10,20,30,40]\n"
        "m  SRAM  1e+09  0.15  0  0  0  0  lib  OEB  0.9  VDD  [10,20,30,40]\n"
    )
    rep = read_power_report(_report(tmp_path, rows))
    assert rep.names.tolist() == ["a/U1", "m", "m"]
    assert rep.pg_pin.tolist() == ["VDD", "VDD", "OEB"]
    assert rep.total_w.tolist() == [2.301e-06, 1e-05, 0.0]
    assert rep.leakage_w[0] == 1e-09 and rep.switching_w[0] == 2e-06 and rep.internal_w[0] == 3e-07
    assert np.allclose(rep.centre_um[0], [1.25, 2.25]) and np.allclose(rep.centre_um[1], [20, 30])
    assert supply_voltage(rep) == 0.9
    assert supply_voltage(rep, 1.1) == 1.1


def test_reordered_minimal_columns_gzip(tmp_path):
    path = tmp_path / "r.rpt.gz"
    path.write_bytes(gzip.compress(b"*total_power inst_name\n4e-06 u7\n"))
    rep = read_power_report(path)
    assert rep.names.tolist() == ["u7"] and rep.total_w.tolist() == [4e-06]
    assert not rep.has_bbox[0]
    with pytest.raises(DataError, match="supply voltage"):
        supply_voltage(rep)


@pytest.mark.parametrize(
    ("rows", "match", "line"),
    [
        ("u1  INV  5e+08  0.15  1e-09\n", "fields", 3),
        ("u1  INV  5e+08  0.15  x  0  0  1e-6  lib  VDD  0.9  VDD  [0,0,1,1]\n", "non-numeric", 3),
        ("u1  INV  5e+08  0.15  0  0  0  -1e-6  lib  VDD  0.9  VDD  [0,0,1,1]\n", ">= 0", 3),
        ("u1  INV  5e+08  0.15  0  0  0  1e-6  lib  VDD  0.9  VDD  [0,0,1]\n", "bbox", 3),
        ("u1  INV  5e+08  0.15  0  0  0  1e-6  lib  VDD  0.9  VDD  [2,0,1,1]\n", "not a box", 3),
    ],
)
def test_bad_rows_name_the_line(tmp_path, rows, match, line):
    with pytest.raises(DataError, match=match) as err:
        read_power_report(_report(tmp_path, rows))
    assert err.value.where.endswith(f"r.rpt:{line}")


def test_missing_header_or_column(tmp_path):
    with pytest.raises(DataError, match="header"):
        read_power_report(_report(tmp_path, "u1 1e-6\n", header=""))
    with pytest.raises(DataError, match="total_power"):
        read_power_report(_report(tmp_path, "u1 INV\n", header="*inst_name cell_name\n"))
    with pytest.raises(DataError, match="no instance rows"):
        read_power_report(_report(tmp_path, ""))


def _circuitnet(case: str):
    root = data_dir()
    path = root / "circuitnet-zero-riscy" / case / "pulpino_top.inst.power.rpt.gz" if root else None
    if path is None or not path.is_file():
        pytest.skip(
            "CircuitNet data not found (set EDA_DATA to the directory holding circuitnet-zero-riscy/)"
        )
    return path


@pytest.mark.parametrize("case", ["p_3_fi_ap", "p_5_fi_ar"])
def test_circuitnet_report(case):
    path = _circuitnet(case)
    lines = [
        ln.split()
        for ln in gzip.decompress(path.read_bytes()).decode().splitlines()
        if ln.strip() and not ln.startswith("*")
    ]
    rep = read_power_report(path)
    assert len(rep) == len(lines)
    assert rep.total_w.sum() == pytest.approx(sum(float(w[7]) for w in lines), rel=1e-12)
    assert supply_voltage(rep) == 0.9  # the data set's supply
    # total = leakage + switching + internal per row, to the report's 6 significant digits
    parts = rep.leakage_w + rep.switching_w + rep.internal_w
    assert np.allclose(parts, rep.total_w, rtol=2e-5, atol=1e-15)
    assert np.all(rep.has_bbox)
