"""The project's real cells as small sign-off fixtures: GDS + schematic of a bitcell, a tile of bitcells with
a well-tap column, and a MIM capacitor in a small top cell; plus the edits the defect tests inject.

Coordinates are µm. The tile and the capacitor's top cell are drawn here the way a macro places the cells
(abutted rows, the tap column on the left; the capacitor tied to a met4 line and a met2 pad), so the
checks exercise hierarchy, empty tap subcircuits and the MIM device without the macro generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gdstk

from eda.acim.celllib.bitcell import bitcell
from eda.acim.celllib.cell import DrawnCell
from eda.acim.celllib.mimcap import mimcap
from eda.acim.celllib.tapcol import TAP_WIDTH, tap_cell
from eda.tech import Tech, load_tech

__all__ = ["Fixture", "TECH", "bitcell_fixture", "tile_fixture", "mim_fixture", "write_library"]

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


def tile_fixture(rows: int = 3, cols: int = 3, *, tap_in_schematic: bool = True) -> Fixture:
    """``rows`` × ``cols`` bitcells beside a well-tap column, as the macro abuts them.

    Nets: ``BL<c>``, ``BLB<c>``, ``CBL<c>``, ``LRBL<c>``, ``VSS<c>`` per column (full-height met2), ``WL<r>``,
    ``RWL<r>`` per row, one ``VDD`` (the tap column's met2 line straps the rows' rails; the n-well is tied
    to it) and the substrate ``VNB`` (the tap column's p-taps, its ``VSS`` line). The schematic instantiates
    the (empty) tap subcircuit when ``tap_in_schematic``, else leaves it out.
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
            lines.append(f"XB{r}_{c} BL{c} BLB{c} CBL{c} LRBL{c} WL{r} RWL{r} VDD VSS{c} VDD VNB {bit.cell.name}")
    ports = [f"{n}{c}" for c in range(cols) for n in ("BL", "BLB", "CBL", "LRBL", "VSS")]
    ports += [f"{n}{r}" for r in range(rows) for n in ("WL", "RWL")] + ["VDD", "VNB"]
    spice = bit.spice + (tap.spice if tap_in_schematic else "") + _subckt("tile", ports, lines)
    return Fixture(write_library(bit.cell, tap.cell, top), "tile", spice)


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


def leaf(fixture: Fixture, prefix: str) -> gdstk.Cell:
    """The cell of ``fixture`` whose name starts with ``prefix`` (``bitcell``, ``mimcap``, ``tap``)."""
    return next(c for c in fixture.lib.cells if c.name.startswith(prefix))
