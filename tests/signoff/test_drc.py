"""Own DRC on the project's cells: the bitcell, a 3×3 tile with its tap column and a MIM capacitor in a
small top cell are clean; injected violations are found, located and written as a marker database; the CLI
exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import gdstk
import pytest

from tests.signoff import cellcases as cc

pytestmark = pytest.mark.klayout

FIXTURES = {
    "bitcell": cc.bitcell_fixture,
    "tile": cc.tile_fixture,
    "mimcap": cc.mim_fixture,
    "mimcap track 2": lambda: cc.mim_fixture(5.0, 2),
}


@pytest.mark.parametrize("name", list(FIXTURES), ids=list(FIXTURES))
def test_cells_are_clean(name: str, tmp_path: Path) -> None:
    from eda.signoff.drc import run_drc

    gds, _ = FIXTURES[name]().write(tmp_path)
    report = run_drc(gds)
    assert report.clean, report.text()
    assert len(report.counts) > 100 and report.counts["m1.5"] == 0


def test_injected_spacing_violation_is_found(tmp_path: Path) -> None:
    from eda.signoff.drc import run_drc

    fixture = cc.tile_fixture()
    top = fixture.cell(fixture.top)
    # a met1 square 0.10 um beside another met1 square, left of the array: m1.2 needs 0.14 um
    top.add(gdstk.rectangle((-3.0, 2.0), (-2.5, 2.5), layer=68, datatype=20))
    top.add(gdstk.rectangle((-2.4, 2.0), (-1.9, 2.5), layer=68, datatype=20))
    gds, _ = fixture.write(tmp_path)
    report = run_drc(gds, rdb_path=tmp_path / "bad.lyrdb")
    assert report.counts["m1.2"] == 1 and report.total == 1, report.text()
    v = report.violations[0]
    assert v.rule == "m1.2" and v.value == pytest.approx(0.10)
    assert v.box == pytest.approx((-2.5, 2.0, -2.4, 2.5))
    assert (tmp_path / "bad.lyrdb").is_file()


def test_violation_in_a_placed_cell_is_located_in_top_coordinates(tmp_path: Path) -> None:
    from eda.signoff.drc import run_drc

    fixture = cc.tile_fixture(rows=2, cols=1)
    tap = cc.leaf(fixture, "tap")
    cc.cut_tap_line(tap)  # m2.5 at the VDD via of the tap cell, placed at (0, 0) and (0, bitcell height)
    gds, _ = fixture.write(tmp_path)
    report = run_drc(gds)
    assert {r for r, n in report.counts.items() if n} == {"m2.5"}, report.text()
    height = cc.leaf(fixture, "bitcell").bounding_box()[1][1]
    x0, y0, x1, y1 = cc.tap_via(tap)
    found = [c for v in sorted(v.box for v in report.violations) for c in v]
    assert found == pytest.approx([x0, y0, x1, y1, x0, y0 + height, x1, y1 + height])


def test_cli_exit_codes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eda.signoff.cli import app

    runner = CliRunner()
    gds, _ = cc.bitcell_fixture().write(tmp_path)
    ok = runner.invoke(app, ["drc", str(gds), "--deck", "own", "--out", str(tmp_path / "r")])
    assert ok.exit_code == 0, ok.output
    assert json.loads((tmp_path / "r" / "t.drc.json").read_text())["clean"]
    broken = cc.bitcell_fixture()
    broken.cell(broken.top).add(
        gdstk.rectangle((1.0, 1.0), (1.1, 1.5), layer=69, datatype=20)
    )  # 0.10 wide met2
    gds, _ = broken.write(tmp_path, "bad")
    bad = runner.invoke(app, ["drc", str(gds), "--deck", "own", "--out", str(tmp_path / "r")])
    assert bad.exit_code == 1 and "m2.1" in bad.output, bad.output
