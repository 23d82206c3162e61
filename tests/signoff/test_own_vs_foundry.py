"""The own decks against the foundry decks on the project's real cells with injected defects.

DRC: every defect (a shrunk pad, a dropped or narrowed npc, capacitors too close, a via2 enclosure, ...)
is drawn into a copy of the bitcell, the MIM capacitor's test cell or the bitcell's tap cell. For each, the
rules the foundry runset (``sky130A_mr.drc``, mapped to own names by
:func:`eda.signoff.drc.own_rule_name`) flags must be among the rules the own deck flags, the own deck must
flag something, and both decks must be clean on the unmutated cells. All defects go into one layout, side
by side, so the foundry runset runs once; a marker belongs to the defect under its box.

LVS: the own deck's verdict (match / no match) on each case of :data:`LVS_CASES` equals the foundry
runset's (``sky130.lvs``).

Marked ``pdk``: needs the ``klayout`` program and the SKY130 runsets (skipped with the reason otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gdstk
import pytest

from eda.acim.celllib.bitcell import BitcellRows
from eda.acim.celllib.grid import ColumnGrid
from tests.signoff import cellcases as cc

pytestmark = [pytest.mark.pdk, pytest.mark.klayout]

GRID = ColumnGrid()
C = [GRID.c(i) for i in range(5)]
YM = (BitcellRows.main[0] + BitcellRows.main[1]) / 2  # main strip centre
YNP = BitcellRows.band_np  # lower poly-contact band
SLOT = 12.0  # µm between defects in the combined layout

Edit = Callable[[cc.Fixture], None]


def _bit(edit: Callable[[gdstk.Cell], None]) -> tuple[Callable[[], cc.Fixture], Edit]:
    return cc.bitcell_fixture, lambda f: edit(cc.leaf(f, "bitcell"))


def _mim(edit: Callable[[gdstk.Cell, gdstk.Cell], None]) -> tuple[Callable[[], cc.Fixture], Edit]:
    return cc.mim_fixture, lambda f: edit(cc.leaf(f, "mimcap"), f.cell(f.top))


def _tap(edit: Callable[[gdstk.Cell], None]) -> tuple[Callable[[], cc.Fixture], Edit]:
    return cc.tile_fixture, lambda f: edit(cc.leaf(f, "tap"))


def _m1_pad(cell: gdstk.Cell) -> None:  # mcon pad 0.03 on the left and bottom edges
    cc.replace(cell, "met1", (C[0], YM), (C[0] - 0.115, YM - 0.115, C[0] + 0.175, YM + 0.205))


def _via_pad(cell: gdstk.Cell) -> None:  # via pad 0.055 on the left and bottom edges
    cc.replace(cell, "met1", (C[2], YM), (C[2] - 0.13, YM - 0.13, C[2] + 0.175, YM + 0.205))


def _li_pad(cell: gdstk.Cell) -> None:  # diff-contact li1 pad 0.02 on the left, flush above and below
    cc.replace(cell, "li1", (C[0], YM), (C[0] - 0.105, YM - 0.085, C[0] + 0.165, YM + 0.085))


def _npc_narrow(cell: gdstk.Cell) -> None:  # the lower npc band 0.20 tall
    cc.replace(cell, "npc", (1.0, YNP), (0.0, YNP - 0.10, GRID.pitch, YNP + 0.10))


def _npc_on_diff(cell: gdstk.Cell) -> None:  # the lower npc band grown over the main strip's contacts
    cc.replace(cell, "npc", (1.0, YNP), (0.0, YM - 0.2, GRID.pitch, YNP + 0.185))


def _m2_close(cell: gdstk.Cell) -> None:  # CBL line 0.05 from BL
    cc.shift(cell, "met2", (C[1], 1.0), -0.2)


def _poly_offgrid(cell: gdstk.Cell) -> None:  # gate g2 moved by 1 nm
    cc.shift(cell, "poly", (GRID.g(2), 1.5), 0.001)


def _capm_close(mim: gdstk.Cell, top: gdstk.Cell) -> None:  # a second capacitor 0.5 from the first
    cc.add(top, "capm", (2.24, 4.14, 3.24, 5.64))
    cc.add(top, "met3", (2.10, 4.00, 3.38, 5.78))


def _via2_pad(mim: gdstk.Cell, top: gdstk.Cell) -> None:  # met2 0.04 around the via2 on every edge
    cc.replace(top, "met2", (1.81, 3.0), (1.67, 2.86, 1.95, 3.14))


def _capm_m3(mim: gdstk.Cell, top: gdstk.Cell) -> None:  # met3 0.10 beyond the capm's top edge
    cc.replace(mim, "met3", (1.0, 5.0), (0.60, 4.00, 1.975, 5.74))


def _capm_via3(mim: gdstk.Cell, top: gdstk.Cell) -> None:  # via3 0.10 inside the capm edge
    cc.shift(mim, "via3", (0.98, 4.89), -0.04)
    cc.shift(mim, "met4", (0.98, 4.89), -0.04)


def _capm_wire(mim: gdstk.Cell, top: gdstk.Cell) -> None:  # a met3 wire 1.0 from the bottom plate
    cc.add(top, "met3", (2.975, 4.00, 3.275, 5.78))


def _capm_narrow(mim: gdstk.Cell, top: gdstk.Cell) -> None:  # capm 0.9 wide
    cc.replace(mim, "capm", (1.0, 5.0), (0.74, 4.14, 1.64, 5.64))


def _tap_li(cell: gdstk.Cell) -> None:  # lowest p-tap's li1 pad 0.02 left of its licon, flush above and below
    x0, y0, x1, y1 = cc.boxes(cell, "licon")[0]
    cc.replace(cell, "li1", ((x0 + x1) / 2, (y0 + y1) / 2), (x0 - 0.02, y0, x1 + 0.08, y1))


def _tap_narrow(cell: gdstk.Cell) -> None:  # lowest tap 0.12 tall
    x0, y0, x1, y1 = cc.boxes(cell, "tap")[0]
    yc = (y0 + y1) / 2
    cc.replace(cell, "tap", ((x0 + x1) / 2, yc), (x0, yc - 0.06, x1, yc + 0.06))


#: defect name -> (fixture, edit)
DRC_DEFECTS: dict[str, tuple[Callable[[], cc.Fixture], Edit]] = {
    "bitcell: m1 pad shrunk (m1.5)": _bit(_m1_pad),
    "bitcell: via pad shrunk (via.5a)": _bit(_via_pad),
    "bitcell: li1 pad shrunk (li.5)": _bit(_li_pad),
    "bitcell: npc dropped": _bit(lambda c: cc.drop_layer(c, "npc")),
    "bitcell: npc band narrowed": _bit(_npc_narrow),
    "bitcell: npc over diff contacts": _bit(_npc_on_diff),
    "bitcell: met2 lines too close": _bit(_m2_close),
    "bitcell: gate off grid": _bit(_poly_offgrid),
    "mimcap: capm too close to another": _mim(_capm_close),
    "mimcap: via2 enclosure shrunk": _mim(_via2_pad),
    "mimcap: met3 enclosure of capm": _mim(_capm_m3),
    "mimcap: via3 near the capm edge": _mim(_capm_via3),
    "mimcap: met3 wire near the plate": _mim(_capm_wire),
    "mimcap: capm too narrow": _mim(_capm_narrow),
    "tap: met2 line cut at its via": _tap(cc.cut_tap_line),
    "tap: p-tap li1 pad shrunk": _tap(_tap_li),
    "tap: p-tap too narrow": _tap(_tap_narrow),
}
CLEAN = {"bitcell": cc.bitcell_fixture, "mimcap": cc.mim_fixture, "tile": cc.tile_fixture}


def _renamed(fixture: cc.Fixture, suffix: str) -> gdstk.Cell:
    """A deep copy of the fixture's top cell whose cells all carry ``suffix`` (unique in one layout)."""
    copies = {c.name: c.copy(f"{c.name}_{suffix}") for c in fixture.lib.cells}
    for cell in copies.values():
        for ref in cell.references:
            ref.cell = copies[ref.cell.name]
    return copies[fixture.top]


def _layout(path: Path) -> list[str]:
    """All defects and the clean fixtures side by side in one GDS; returns the slot names in x order."""
    slots: list[str] = []
    top = gdstk.Cell("defects")
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    for name, (make, edit) in list(DRC_DEFECTS.items()) + [(n, (m, None)) for n, m in CLEAN.items()]:
        fixture = make()
        if edit is not None:
            edit(fixture)
        cell = _renamed(fixture, f"s{len(slots)}")
        top.add(gdstk.Reference(cell, (len(slots) * SLOT, 0)))
        slots.append(name)
    lib.add(top, *top.dependencies(True))
    lib.write_gds(path)
    return slots


def _by_slot(report, slots: list[str], rename: Callable[[str], str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {name: set() for name in slots}
    for v in report.violations:
        slot = int((v.box[0] + v.box[2]) / 2 // SLOT)
        found[slots[slot]].add(rename(v.rule))
    return found


def test_own_drc_flags_every_foundry_rule_on_the_defects(tmp_path: Path) -> None:
    from eda.signoff.drc import own_rule_name, run_drc
    from eda.signoff.foundry import run_foundry_drc
    from eda.signoff.foundry_results import drc_report

    gds = tmp_path / "defects.gds"
    slots = _layout(gds)
    foundry = run_foundry_drc(gds, out_dir=tmp_path, stem="f")
    foundry = drc_report(tmp_path / "f.lyrdb", gds=str(gds), runset=Path(foundry.deck), max_markers=100_000)
    own = run_drc(gds, max_markers=100_000)
    by_foundry = _by_slot(foundry, slots, own_rule_name)
    by_own = _by_slot(own, slots, str)
    rows = [f"{name:40s} foundry={sorted(by_foundry[name])} own={sorted(by_own[name])}" for name in slots]
    print("\n".join(rows))
    for name in slots:
        assert by_foundry[name] <= by_own[name], rows[slots.index(name)]
        if name in CLEAN:
            assert not by_foundry[name] and not by_own[name], rows[slots.index(name)]
        else:
            assert by_own[name], rows[slots.index(name)]


@pytest.mark.parametrize("name", list(cc.LVS_CASES), ids=list(cc.LVS_CASES))
def test_lvs_verdicts_agree(name: str, tmp_path: Path) -> None:
    from eda.signoff.foundry import run_foundry_lvs
    from eda.signoff.lvs import run_lvs

    case = cc.LVS_CASES[name]
    gds, spice = case.build().write(tmp_path)
    own, foundry = run_lvs(gds, spice), run_foundry_lvs(gds, spice)
    assert (own.match, foundry.match) == (case.match, case.match), own.text() + "\n" + foundry.text()
    if case.match:
        assert own.devices_layout_by_class == foundry.devices_layout_by_class


def test_documented_differences(tmp_path: Path) -> None:
    """Where the own deck is stricter or looser on purpose: a pin label cut off its device (the foundry
    deck pairs the cut-off net with the pin by topology; the own deck reports the label) and a MIM area
    0.5 % off (the own deck compares A and P within 1 %, the foundry deck exactly)."""
    from eda.signoff.foundry import run_foundry_lvs
    from eda.signoff.lvs import run_lvs

    cut = cc.bitcell_fixture()
    cc.bit_pin_open(cut)
    gds, spice = cut.write(tmp_path, "cut")
    assert (run_lvs(gds, spice).match, run_foundry_lvs(gds, spice).match) == (False, True)
    near = cc.mim_fixture()
    near.spice = near.spice.replace("A=1.5p", "A=1.5075p")
    gds, spice = near.write(tmp_path, "near")
    assert (run_lvs(gds, spice).match, run_foundry_lvs(gds, spice).match) == (True, False)
