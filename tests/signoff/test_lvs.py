"""Own LVS on the project's cells: the bitcell (8 MOS), a MIM capacitor in a small top cell and a 3×3 tile
with its tap column match; injected opens, shorts, a wrong W, a missing npc, a wrong capacitor and a wrong
bulk are reported, with the verdicts the foundry deck gives (see ``test_own_vs_foundry.py``); and the own
deck's extra checks (a pin label off its wire, swapped labels)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.signoff import cellcases as cc

pytestmark = pytest.mark.klayout


@pytest.mark.parametrize("name", list(cc.LVS_CASES), ids=list(cc.LVS_CASES))
def test_verdict(name: str, tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    case = cc.LVS_CASES[name]
    report = run_lvs(*case.build().write(tmp_path))
    assert report.match == case.match, report.text()
    if not case.match:
        assert report.mismatches


def test_bitcell_devices_and_bulk_ports(tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    report = run_lvs(*cc.bitcell_fixture().write(tmp_path))
    assert report.match, report.text()
    assert report.devices_layout_by_class == {"sky130_fd_pr__nfet_01v8": 6, "sky130_fd_pr__pfet_01v8": 2}
    assert report.devices_schematic_by_class == report.devices_layout_by_class


def test_mim_capacitor_is_extracted_with_area_and_perimeter(tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    fixture = cc.mim_fixture()
    assert "sky130_fd_pr__model__cap_mim A=1.5p P=5u" in fixture.spice
    report = run_lvs(*fixture.write(tmp_path))
    assert report.match, report.text()
    assert report.devices_layout_by_class == {"sky130_fd_pr__model__cap_mim": 1}


@pytest.mark.parametrize(
    ("area", "perimeter", "match"),
    [("1.5075", "5", True), ("1.5", "5.04", True), ("1.52", "5", False), ("1.5", "5.1", False)],
)
def test_mim_compared_within_one_percent(area: str, perimeter: str, match: bool, tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    fixture = cc.mim_fixture()
    fixture.spice = fixture.spice.replace("A=1.5p P=5u", f"A={area}p P={perimeter}u")
    assert run_lvs(*fixture.write(tmp_path)).match is match


def test_pin_label_off_its_device_is_reported(tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    fixture = cc.bitcell_fixture()
    cc.bit_pin_open(fixture)
    report = run_lvs(*fixture.write(tmp_path))
    assert not report.match
    assert report.mismatches[0] == "pin BL is not connected to any device or cell"


def test_swapped_labels_are_reported(tmp_path: Path) -> None:
    from eda.signoff.lvs import run_lvs

    fixture = cc.bitcell_fixture()
    cell = cc.leaf(fixture, "bitcell")
    a = next(lb for lb in cell.labels if lb.text == "BL")
    b = next(lb for lb in cell.labels if lb.text == "BLB")
    a.text, b.text = "BLB", "BL"
    report = run_lvs(*fixture.write(tmp_path))
    assert not report.match
    assert any("net labelled BL" in m for m in report.mismatches), report.mismatches


def test_subckt_and_top_options(tmp_path: Path) -> None:
    from eda.errors import NetlistError
    from eda.signoff.lvs import run_lvs

    fixture = cc.tile_fixture()
    gds, spice = fixture.write(tmp_path)
    spice.write_text(
        fixture.spice.replace(".subckt tile ", ".subckt array ").replace(".ends tile", ".ends array")
    )
    assert run_lvs(gds, spice, subckt="array").match
    assert run_lvs(gds, spice, top="bitcell8t", subckt="bitcell8t").match
    with pytest.raises(NetlistError, match="no subcircuit 'TILE'"):
        run_lvs(gds, spice)


def test_cli_exit_codes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eda.signoff.cli import app

    runner = CliRunner()
    gds, spice = cc.bitcell_fixture().write(tmp_path)
    ok = runner.invoke(app, ["lvs", str(gds), str(spice), "--deck", "own", "--out", str(tmp_path / "r")])
    assert ok.exit_code == 0 and "MATCH" in ok.output, ok.output
    broken = cc.bitcell_fixture()
    cc.drop_layer(cc.leaf(broken, "bitcell"), "npc")
    gds, spice = broken.write(tmp_path, "broken")
    bad = runner.invoke(app, ["lvs", str(gds), str(spice), "--deck", "own", "--out", str(tmp_path / "r")])
    assert bad.exit_code == 1 and "MISMATCH" in bad.output, bad.output
