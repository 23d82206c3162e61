"""DBU of PDN node names: given with --dbu, or read from the design's DEF (UNITS DISTANCE MICRONS)."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest

from eda.errors import DataError, UserError
from eda.pdn.defunits import DEFAULT_DBU_PER_UM, def_dbu_per_um, resolve_dbu
from tests.flow.helpers import run_cli

NETLIST = """* two nodes of met1 40 um apart in x (OpenROAD-style names, coordinates in DBU), a pad on the first
R1 VDD_m1_20000_40000 VDD_m1_60000_40000 1.0
V1 VDD_m1_20000_40000 0 1.8
I1 VDD_m1_60000_40000 0 1m
.end
"""


def _def(units: int) -> str:
    return (
        f'VERSION 5.8 ;\nDIVIDERCHAR "/" ;\nBUSBITCHARS "[]" ;\nDESIGN top ;\nUNITS DISTANCE MICRONS {units} ;\n'
        f"DIEAREA ( 0 0 ) ( {100 * units} {100 * units} ) ;\nEND DESIGN\n"
    )


@pytest.mark.parametrize("units", [1000, 2000])
def test_def_units_plain_and_gzip(tmp_path, units):
    plain = tmp_path / "top.def"
    plain.write_text(_def(units))
    packed = tmp_path / "top.def.gz"
    packed.write_bytes(gzip.compress(_def(units).encode()))
    assert def_dbu_per_um(plain) == def_dbu_per_um(packed) == units
    assert resolve_dbu(None, plain) == units
    assert resolve_dbu(units, plain) == units
    with pytest.raises(UserError, match="disagrees"):
        resolve_dbu(units + 1000, plain)


def test_no_units_and_defaults(tmp_path):
    bad = tmp_path / "x.def"
    bad.write_text("VERSION 5.8 ;\nDESIGN top ;\nEND DESIGN\n")
    with pytest.raises(DataError, match="UNITS"):
        def_dbu_per_um(bad)
    with pytest.raises(DataError, match="not found"):
        def_dbu_per_um(tmp_path / "missing.def")
    assert resolve_dbu(None, None) == DEFAULT_DBU_PER_UM == 2000
    with pytest.raises(UserError):
        resolve_dbu(0, None)


@pytest.mark.parametrize("units", [1000, 2000])
def test_solve_places_nodes_in_the_defs_units(tmp_path, units):
    """20000 DBU is 20 µm at 1000 DBU/µm (OpenROAD SKY130) and 10 µm at 2000 (the contest's Nangate45);
    the 1 mA through 1 ohm drops 1 mV either way."""
    netlist = tmp_path / "pdn.sp"
    netlist.write_text(NETLIST)
    design = tmp_path / "top.def"
    design.write_text(_def(units))
    solve = ["pdn", "solve", str(netlist), "--def", str(design)]
    code, out = run_cli(*solve, "--no-plots", "--out", str(tmp_path / f"out{units}"))
    assert code == 0, out
    table = np.genfromtxt(
        io.BytesIO(gzip.decompress((tmp_path / f"out{units}" / "voltages.csv.gz").read_bytes())),
        delimiter=",",
        names=True,
        dtype=None,
        encoding=None,
    )
    scale = 1000 / units
    assert sorted(table["x_um"].tolist()) == pytest.approx([20 * scale, 60 * scale])
    assert table["y_um"].tolist() == pytest.approx([40 * scale] * 2)
    assert float(table["drop_v"].max()) == pytest.approx(1e-3, rel=1e-6)
    code, out = run_cli(*solve, "--dbu", str(units + 1), "--out", str(tmp_path / "x"))
    assert code == 2 and "disagrees" in out
