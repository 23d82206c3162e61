"""The cell compiler draws DRC- and LVS-clean transistor cells from a device list."""

from __future__ import annotations

import gdstk
import pytest

from eda.layout.cellgen import CellSpec, ColumnLine, Mos, compile_cell, device_row_width, track_y
from eda.tech import load_tech


def _inverter(width: float) -> CellSpec:
    devices = [Mos("n", "nmos", "A", "Y", "VSS"), Mos("p", "pmos", "A", "Y", "VDD", 0.84)]
    return CellSpec("inv", "test", width, devices,
                    {"VSS": (0, "full"), "A": (1, "left"), "Y": (2, "local"), "VDD": (3, "full")},
                    [ColumnLine("Y", 1.0, "top")], ports=["A", "Y", "VDD", "VSS"])


def test_inverter_geometry_and_spice() -> None:
    tech = load_tech()
    width = device_row_width(_inverter(100).devices)
    compiled = compile_cell(_inverter(width), tech)
    meta = compiled.meta
    assert meta["width_um"] == pytest.approx(width)
    assert meta["rails"] == {"VDD": track_y(3), "VSS": track_y(0)}
    assert "A" in meta["abutment"]["left"] and "A" not in meta["abutment"]["right"]
    assert "Mn Y A VSS VSS sky130_fd_pr__nfet_01v8 W=0.42u L=0.15u" in compiled.spice
    assert "Mp Y A VDD VDD sky130_fd_pr__pfet_01v8 W=0.84u L=0.15u" in compiled.spice
    (x0, y0), (x1, y1) = compiled.cell.bounding_box()
    assert x0 >= 0 and y0 >= 0 and x1 <= width + 1e-9 and y1 <= meta["height_um"] + 1e-9


def test_too_narrow_cell_is_refused() -> None:
    with pytest.raises(ValueError, match="devices need"):
        compile_cell(_inverter(3.0), load_tech())


@pytest.mark.klayout
def test_inverter_is_drc_and_lvs_clean(tmp_path) -> None:
    from eda.signoff.drc import run_drc
    from eda.signoff.lvs import run_lvs

    tech = load_tech()
    compiled = compile_cell(_inverter(device_row_width(_inverter(100).devices)), tech)
    lib = gdstk.Library()
    lib.add(compiled.cell)
    lib.write_gds(tmp_path / "inv.gds")
    (tmp_path / "inv.spice").write_text(compiled.spice)
    assert run_drc(tmp_path / "inv.gds", tech).clean
    report = run_lvs(tmp_path / "inv.gds", tmp_path / "inv.spice", tech)
    assert report.match and report.devices_layout == 2
