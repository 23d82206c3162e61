"""The project's real cells as small sign-off fixtures: GDS + schematic of a bitcell, a tile of bitcells with
a well-tap column, and a MIM capacitor in a small top cell; plus the edits the defect tests inject.

Coordinates are µm. The tile and the capacitor's top cell are drawn here the way a macro places the cells
(abutted rows, the tap column on the left; the capacitor tied to a met4 line and a met2 pad), so the
checks exercise hierarchy, empty tap subcircuits and the MIM device without the macro generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gdstk

from eda.acim.celllib.bitcell import BitcellRows, bitcell
from eda.acim.celllib.cell import DrawnCell
from eda.acim.celllib.grid import ColumnGrid
from eda.acim.celllib.mimcap import mimcap
from eda.acim.celllib.tapcol import TAP_WIDTH, tap_cell
from eda.tech import Tech, load_tech

__all__ = [
    "Fixture",
    "TECH",
    "bitcell_fixture",
    "tile_fixture",
    "mim_fixture",
    "write_library",
    "LvsCase",
    "LVS_CASES",
    "bit_pin_open",
    "boxes",
    "tap_via",
    "cut_tap_line",
    "replace",
    "add",
    "drop_layer",
    "shift",
    "leaf",
]

TECH: Tech = load_tech()


@dataclass
class Fixture:
    """A layout (gdstk library, its top cell name) and its schematic netlist text."""

    lib: gdstk.Library
    top: str
    spice: str

    def cell(self, name: str) -> gdstk.Cell:
        """The cell called ``name`` of the library."""
        return next(c for c in self.lib.cells if c.name == name)

    def write(self, directory: Path, stem: str = "t") -> tuple[Path, Path]:
        """Write ``<stem>.gds`` and ``<stem>.spice`` into ``directory``; returns both paths."""
        gds, spice = directory / f"{stem}.gds", directory / f"{stem}.spice"
        self.lib.write_gds(gds)
        spice.write_text(self.spice)
        return gds, spice


def write_library(*cells: gdstk.Cell) -> gdstk.Library:
    """A gdstk library (µm units, 1 nm precision) holding ``cells``."""
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    lib.add(*cells)
    return lib


def bitcell_fixture() -> Fixture:
    """The 8T bitcell on its own (8 MOS)."""
    drawn = bitcell(TECH)
    return Fixture(write_library(drawn.cell), drawn.cell.name, drawn.spice)


def tile_fixture(
    rows: int = 3, cols: int = 3, *, tap_in_schematic: bool = False, labels: bool = True
) -> Fixture:
    """``rows`` × ``cols`` bitcells beside a well-tap column, as the macro abuts them.

    Nets: ``BL<c>``, ``BLB<c>``, ``CBL<c>``, ``LRBL<c>``, ``VSS<c>`` per column (full-height met2), ``WL<r>``,
    ``RWL<r>`` per row, one ``VDD`` (the tap column's met2 line straps the rows' rails; the n-well is tied
    to it) and the substrate ``VNB`` (the tap column's p-taps, its ``VSS`` line). The schematic instantiates
    the (empty) tap subcircuit when ``tap_in_schematic``, else leaves it out. The top cell labels its
    ports as a macro does (``labels``): without names the columns are interchangeable and the comparison
    has to try their permutations (minutes at 16 × 16, in either deck).

    The bitcell's ``CBL`` line passes through it without a device; the foundry deck's simplification drops
    such a pin from the extracted cell, so a schematic tying the instances' ``CBL`` together cannot match
    (in either deck): each instance's ``CBL`` gets a net of its own (``CBL<r>_<c>``).
    """
    bit = bitcell(TECH)
    tap = tap_cell(bit, TECH)
    width, height = bit.meta["width_um"], bit.meta["height_um"]
    top = gdstk.Cell("tile")
    lines = []
    for r in range(rows):
        y = r * height
        top.add(gdstk.Reference(tap.cell, (0, y)))
        if tap_in_schematic:
            lines.append(f"XT{r} VDD VNB {tap.cell.name}")
        for c in range(cols):
            top.add(gdstk.Reference(bit.cell, (TAP_WIDTH + c * width, y)))
            lines.append(
                f"XB{r}_{c} BL{c} BLB{c} CBL{r}_{c} LRBL{c} WL{r} RWL{r} VDD VSS{c} VDD VNB {bit.cell.name}"
            )
    if labels:
        _label_ports(top, bit, rows, cols)
    ports = [f"{n}{c}" for c in range(cols) for n in ("BL", "BLB", "LRBL", "VSS")]
    ports += [f"{n}{r}" for r in range(rows) for n in ("WL", "RWL")] + ["VDD", "VNB"]
    spice = bit.spice + (tap.spice if tap_in_schematic else "") + _subckt("tile", ports, lines)
    return Fixture(write_library(bit.cell, tap.cell, top), "tile", spice)


def _label_ports(top: gdstk.Cell, bit: DrawnCell, rows: int, cols: int) -> None:
    """Top-level labels: column lines in row 0 (``BL<c>`` ...), row rails in column 0 (``WL<r>`` ...), VDD."""
    height = bit.meta["height_um"]
    for pin in bit.meta["pins"]:
        name, layer, (x0, y0, x1, y1) = pin["name"], pin["layer"], pin["rect"]
        lay, tt = TECH.label(layer)
        xc, yc = (x0 + x1) / 2, (y0 + y1) / 2
        if layer == "met2" and name != "CBL":
            for c in range(cols):
                top.add(
                    gdstk.Label(
                        f"{name}{c}", (TAP_WIDTH + c * bit.meta["width_um"] + xc, yc), layer=lay, texttype=tt
                    )
                )
        elif layer == "met1" and name in ("WL", "RWL"):
            for r in range(rows):
                top.add(gdstk.Label(f"{name}{r}", (TAP_WIDTH + xc, r * height + yc), layer=lay, texttype=tt))
        elif layer == "met1" and name == "VDD":
            top.add(gdstk.Label("VDD", (TAP_WIDTH + xc, yc), layer=lay, texttype=tt))


def mim_fixture(cap_fF: float = 3.0, track: int = 1) -> Fixture:
    """A MIM capacitor cell in a top cell with the met4 line over its via3 (``TOP``) and a met2 pad under
    its via2 (``CTOP``), as the compute cell and the DAC line give it in a macro."""
    drawn: DrawnCell = mimcap(TECH, cap_fF, track, (1.81, 3.0), 4.0)
    top = gdstk.Cell("captop")
    top.add(gdstk.Reference(drawn.cell, (0, 0)))
    x = drawn.meta["params"]["via3"][0]
    m4, m2 = TECH.gds("met4"), TECH.gds("met2")
    top.add(gdstk.rectangle((x - 0.165, 0), (x + 0.165, 9), layer=m4[0], datatype=m4[1]))
    top.add(gdstk.rectangle((1.67, 2.8), (1.95, 3.2), layer=m2[0], datatype=m2[1]))
    l4, l2 = TECH.label("met4"), TECH.label("met2")
    top.add(gdstk.Label("TOP", (x, 8.5), layer=l4[0], texttype=l4[1]))
    top.add(gdstk.Label("CTOP", (1.81, 2.9), layer=l2[0], texttype=l2[1]))
    spice = drawn.spice + _subckt("captop", ["TOP", "CTOP"], [f"X1 CTOP TOP {drawn.cell.name}"])
    return Fixture(write_library(drawn.cell, top), "captop", spice)


def _subckt(name: str, ports: list[str], lines: list[str]) -> str:
    return "\n".join([f".subckt {name} {' '.join(ports)}", *lines, f".ends {name}"]) + "\n"


# -- edits -----------------------------------------------------------------------------------------------
Box = tuple[float, float, float, float]


def _gds(layer: str) -> tuple[int, int]:
    return TECH.gds(layer)


def _hits(cell: gdstk.Cell, layer: str, point: tuple[float, float]) -> list[gdstk.Polygon]:
    lay, dt = _gds(layer)
    return [p for p in cell.polygons if (p.layer, p.datatype) == (lay, dt) and p.contain(point)]


def replace(cell: gdstk.Cell, layer: str, point: tuple[float, float], box: Box | None) -> None:
    """Replace the polygons on ``layer`` of ``cell`` under ``point`` by ``box`` (``None``: remove them)."""
    hits = _hits(cell, layer, point)
    assert hits, f"no {layer} polygon at {point} in {cell.name}"
    cell.remove(*hits)
    if box is not None:
        add(cell, layer, box)


def add(cell: gdstk.Cell, layer: str, box: Box) -> None:
    """Add the rectangle ``box`` (x0, y0, x1, y1) on ``layer``."""
    lay, dt = _gds(layer)
    cell.add(gdstk.rectangle(box[:2], box[2:], layer=lay, datatype=dt))


def drop_layer(cell: gdstk.Cell, layer: str) -> None:
    """Remove every polygon on ``layer`` from ``cell``."""
    lay, dt = _gds(layer)
    cell.filter([(lay, dt)], remove=True)


def shift(cell: gdstk.Cell, layer: str, point: tuple[float, float], dx: float, dy: float = 0.0) -> None:
    """Move the polygons on ``layer`` under ``point`` by ``(dx, dy)``."""
    hits = _hits(cell, layer, point)
    assert hits, f"no {layer} polygon at {point} in {cell.name}"
    for polygon in hits:
        polygon.translate(dx, dy)


def boxes(cell: gdstk.Cell, layer: str) -> list[Box]:
    """Bounding boxes (x0, y0, x1, y1) of the polygons on ``layer``, bottom to top."""
    lay, dt = _gds(layer)
    out = []
    for p in cell.polygons:
        if (p.layer, p.datatype) == (lay, dt):
            (x0, y0), (x1, y1) = p.bounding_box()
            out.append((x0, y0, x1, y1))
    return sorted(out, key=lambda b: (b[1], b[0]))


def tap_via(tap: gdstk.Cell) -> Box:
    """The via of a tap cell's VDD met2 line (on the row's VDD rail)."""
    from eda.acim.celllib.tapcol import TAP_VDD_X

    return next(b for b in boxes(tap, "via") if abs((b[0] + b[2]) / 2 - TAP_VDD_X) < 1e-6)


def cut_tap_line(tap: gdstk.Cell) -> None:
    """End the tap cell's VDD met2 line 0.055 above its via (m2.5: three edges at 0.055)."""
    from eda.acim.celllib.tapcol import TAP_VDD_X

    via = tap_via(tap)
    replace(tap, "met2", (TAP_VDD_X, 0.05), (TAP_VDD_X - 0.13, 0.0, TAP_VDD_X + 0.13, via[3] + 0.055))


def leaf(fixture: Fixture, prefix: str) -> gdstk.Cell:
    """The cell of ``fixture`` whose name starts with ``prefix`` (``bitcell``, ``mimcap``, ``tap``)."""
    return next(c for c in fixture.lib.cells if c.name.startswith(prefix))


# -- LVS cases -------------------------------------------------------------------------------------------
_GRID = ColumnGrid()
_C = [_GRID.c(i) for i in range(5)]
_YM = (BitcellRows.main[0] + BitcellRows.main[1]) / 2
_YP = (BitcellRows.p[0] + BitcellRows.p[1]) / 2


@dataclass(frozen=True)
class LvsCase:
    """A fixture, an optional edit of it (layout or schematic) and whether the netlists should match."""

    make: Callable[[], Fixture]
    edit: Callable[[Fixture], None] | None
    match: bool

    def build(self) -> Fixture:
        """The fixture with the edit applied."""
        fixture = self.make()
        if self.edit is not None:
            self.edit(fixture)
        return fixture


def _bit_open(f: Fixture) -> None:  # the left word-line contact loses its mcon: M3's gate is cut off WL
    replace(leaf(f, "bitcell"), "mcon", (_C[1] - 0.34, BitcellRows.band_np), None)


def bit_pin_open(f: Fixture) -> None:
    """The BL drop loses its via: the labelled BL line no longer reaches the access transistor. The
    foundry deck still matches (it drops the floating labelled line and pairs the cut-off source net
    with the BL pin by topology); the own deck reports the label."""
    replace(leaf(f, "bitcell"), "via", (_C[0], _YM), None)


def _bit_short(f: Fixture) -> None:  # a met1 strip from the WL rail to the VDD rail
    add(leaf(f, "bitcell"), "met1", (0.0, BitcellRows.band_np, 0.14, _YP))


def _bit_wrong_w(f: Fixture) -> None:  # the schematic's access transistor M3 is 0.50 um wide
    f.spice = f.spice.replace(
        "M3 Q WL BL VNB sky130_fd_pr__nfet_01v8 w=0.42u", "M3 Q WL BL VNB sky130_fd_pr__nfet_01v8 w=0.5u"
    )


def _bit_no_npc(f: Fixture) -> None:  # no npc: every poly contact is open, no gate is wired
    drop_layer(leaf(f, "bitcell"), "npc")


def _bit_bulk(f: Fixture) -> None:  # the schematic ties the PMOS bulk to VDD, the layout's n-well is VPB
    f.spice = f.spice.replace("VDD VPB sky130_fd_pr__pfet", "VDD VDD sky130_fd_pr__pfet")


def _mim_small(f: Fixture) -> None:  # capm 0.1 um shorter than drawn for (A -6.7 %, P -4 %)
    replace(leaf(f, "mimcap"), "capm", (1.0, 5.0), (0.74, 4.14, 1.74, 5.54))


def _mim_open(f: Fixture) -> None:  # the top plate's via3 removed
    replace(leaf(f, "mimcap"), "via3", (0.98, 4.89), None)


def _tile_open(f: Fixture) -> None:  # every bitcell's VSS drop loses its via
    replace(leaf(f, "bitcell"), "via", (_C[2], _YM), None)


def _tile_short(f: Fixture) -> None:  # met2 bridge between BL1 and BLB0 across the column boundary
    width = _GRID.pitch
    x0 = 1.6 + _C[4]
    add(f.cell(f.top), "met2", (x0, 0.5, 1.6 + width + _C[0], 0.8))


#: case name -> case; the verdict is the foundry deck's (the own deck must agree)
LVS_CASES: dict[str, LvsCase] = {
    "bitcell": LvsCase(bitcell_fixture, None, True),
    "bitcell: open (WL contact removed)": LvsCase(bitcell_fixture, _bit_open, False),
    "bitcell: short (WL to VDD)": LvsCase(bitcell_fixture, _bit_short, False),
    "bitcell: wrong W": LvsCase(bitcell_fixture, _bit_wrong_w, False),
    "bitcell: npc missing": LvsCase(bitcell_fixture, _bit_no_npc, False),
    "bitcell: PMOS bulk on VDD": LvsCase(bitcell_fixture, _bit_bulk, False),
    "mimcap track 1": LvsCase(mim_fixture, None, True),
    "mimcap track 2": LvsCase(lambda: mim_fixture(3.0, 2), None, True),
    "mimcap: capm size wrong": LvsCase(mim_fixture, _mim_small, False),
    "mimcap: open (via3 removed)": LvsCase(mim_fixture, _mim_open, False),
    "tile 3x3": LvsCase(tile_fixture, None, True),
    "tile 3x3: empty tap subckt in the schematic": LvsCase(
        lambda: tile_fixture(tap_in_schematic=True), None, False
    ),
    "tile 3x3: open": LvsCase(tile_fixture, _tile_open, False),
    "tile 3x3: short between columns": LvsCase(tile_fixture, _tile_short, False),
}
