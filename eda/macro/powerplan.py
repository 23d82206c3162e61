"""Where the generator draws a macro's power network: rows, rails, met2 lines, stripes and ring (µm).

Pure arithmetic over the :class:`~eda.acim.floorplan.Floorplan`, the cells' metadata (``rails`` and
``pins`` of :class:`~eda.acim.library.CellInfo`) and the constants the generator places with
(:data:`~eda.acim.celllib.tapcol.TAP_VDD_X`, :data:`~eda.acim.celllib.tapcol.TAP_VSS_X`,
:data:`~eda.acim.celllib.tapcol.STRIPE_X`, :data:`~eda.acim.celllib.sar.SAR_RAILS`, the column grid's VSS
slot); no cell geometry is written down here. :mod:`eda.macro.grid` turns it into a resistor network.
Only where a driver cell's metadata lacks a fact (a met1 rail without a pin, met2 lines without pins) is
the cell's GDS (or the driver column's convention, :data:`DRIVER_LINE_FROM_RIGHT_UM`) consulted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eda.acim.celllib.grid import ColumnGrid
from eda.acim.celllib.sar import SAR_RAILS
from eda.acim.celllib.tapcol import STRIPE_X, TAP_VDD_X, TAP_VSS_X
from eda.acim.floorplan import Floorplan, floorplan
from eda.acim.library import CellInfo, Library, load_library
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError
from eda.tech import Tech, load_tech

__all__ = [
    "PowerPlan",
    "Row",
    "Rail",
    "pin_rect",
    "row_rail_width",
    "drawn_width",
    "stripe_x_um",
    "STRIPE_WIDTH_UM",
    "DRIVER_LINE_FROM_RIGHT_UM",
]

#: width (µm) of the met4 power stripe over a tap column
STRIPE_WIDTH_UM = round(STRIPE_X[1] - STRIPE_X[0], 4)
#: distance (µm) of the driver column's full-height met2 lines from the driver cells' right edge, for
#: driver cells whose metadata do not pin them (the convention of :mod:`eda.acim.celllib.drivers`)
DRIVER_LINE_FROM_RIGHT_UM = {"VDD": 1.10, "VSS": 0.50}
_EPS = 1e-6


@dataclass(frozen=True)
class Row:
    """A cell row: its kind, index, bottom y and height (µm), mirroring, row cell and driver cell."""

    kind: str  # bitcell | compute | colper | adc | sar
    index: int
    y0: float
    height: float
    mirrored: bool = False
    cell: CellInfo | None = None  # None: the SAR block (drawn per macro, rails in SAR_RAILS)
    driver: CellInfo | None = None

    def y(self, y_cell: float) -> float:
        """Macro y (µm) of cell coordinate ``y_cell`` in this row."""
        return self.y0 + (self.height - y_cell if self.mirrored else y_cell)

    @property
    def centre(self) -> float:
        """Macro y (µm) of the row's centre."""
        return self.y0 + self.height / 2


@dataclass(frozen=True)
class Rail:
    """A met1 supply rail: macro y, its width in the row cells and in the driver cell (µm)."""

    y: float
    width: float
    #: the row's driver cell has a rail of this net, joined by a via to the driver column's met2 line
    driver_joined: bool = False
    #: width between the row driver's centre and that line (rows whose driver draws current, else None)
    driver_width: float | None = None


def pin_rect(info: CellInfo, net: str, layer: str) -> tuple[float, float, float, float] | None:
    """The first ``layer`` pin rectangle of ``net`` in ``info`` (µm, cell coordinates), or None."""
    return next((p.rect for p in info.pins if p.name == net and p.layer == layer), None)


def row_rail_width(info: CellInfo, net: str) -> float:
    """Width (µm) of the full-width met1 rail of ``net`` in row cell ``info`` (its pin rectangle)."""
    for pin in info.pins:
        x0, y0, x1, y1 = pin.rect
        if pin.name == net and pin.layer == "met1" and x0 <= _EPS and x1 >= info.width - _EPS:
            return round(y1 - y0, 4)
    raise SpecError(
        f"cell '{info.name}' has a {net} rail but no full-width met1 {net} pin",
        where=str(info.gds or info.name),
        hint="rebuild the library with `eda acim cells --out DIR`",
    )


def drawn_width(info: CellInfo, tech: Tech, layer: str, x: float, y: float) -> float | None:
    """Height (µm) of the ``layer`` shapes drawn in cell ``info`` (merged) where they cross the vertical line
    ``x`` around ``y`` (cell coordinates); None where nothing is drawn there."""
    if info.gds is None or not info.gds.is_file():
        return None
    import gdstk

    source = gdstk.read_gds(str(info.gds))
    cell = next((c for c in source.cells if c.name == info.name), None)
    if cell is None:
        return None
    lay, dt = tech.gds(layer)
    slab = gdstk.rectangle((x - 1e-3, -info.height), (x + 1e-3, 2 * info.height))
    for piece in gdstk.boolean(cell.get_polygons(layer=lay, datatype=dt), slab, "and"):
        (_, y0), (_, y1) = piece.bounding_box()
        if y0 - _EPS <= y <= y1 + _EPS:
            return round(y1 - y0, 4)
    return None


class PowerPlan:
    """Every position of the power network of one macro (µm), from the floorplan and the cell metadata."""

    def __init__(self, spec: ACIMSpec, lib: Library, tech: Tech) -> None:
        self.spec, self.lib, self.tech = spec, lib, tech
        self.fp: Floorplan = floorplan(spec, lib)
        self.grid = ColumnGrid.for_pitch(lib.column_pitch)
        fp = self.fp
        bit, drv = lib.role("bitcell"), lib.role("row_driver")
        self.rows: list[Row] = [
            Row("bitcell", r, fp.row_y(r), fp.bit_h, fp.row_mirrored(r), bit, drv) for r in range(spec.rows)
        ]
        self.rows += [
            Row(
                "compute",
                g,
                fp.compute_y(g),
                fp.compute_h,
                False,
                lib.role("compute"),
                lib.role("ctrl_driver"),
            )
            for g in range(spec.local_arrays_per_column)
        ]
        self.rows += [
            Row("colper", 0, fp.colper.y0, fp.colper_h, False, lib.role("colper")),
            Row("adc", 0, fp.adc.y0, fp.adc_h, False, lib.role("adc")),
            Row("sar", 0, fp.sar.y0, fp.sar_h),
        ]
        tap = lib.role("tap_bitcell")
        self.line_w = {net: self._pin_width(tap, net) for net in ("VDD", "VSS")}
        self.column_line_w = self._pin_width(bit, "VSS")
        self._driver_rails: dict[tuple[str, str], float] = {}

    @staticmethod
    def _pin_width(info: CellInfo, net: str) -> float:
        rect = pin_rect(info, net, "met2")
        if rect is None:
            raise SpecError(f"cell '{info.name}' has no met2 {net} pin", where=str(info.gds or info.name))
        return round(rect[2] - rect[0], 4)

    # rows and rails
    def rail(self, row: Row, net: str) -> Rail | None:
        """The met1 rail of ``net`` in ``row`` (None where the row has none)."""
        if row.cell is None:
            if net not in SAR_RAILS:
                return None
            y, width = SAR_RAILS[net]
            return Rail(row.y0 + y, width)
        if net not in row.cell.rails:
            return None
        joined = row.driver is not None and net in row.driver.rails
        width = self._driver_rail(row, net) if joined and row.kind == "bitcell" else None
        return Rail(row.y(row.cell.rails[net]), row_rail_width(row.cell, net), joined, width)

    def _driver_rail(self, row: Row, net: str) -> float | None:
        """Width (µm) of the row driver's met1 rail of ``net`` between the driver's centre and its met2 line
        (None: the driver has no rail of this net, or there is no driver). Right of the line the driver
        continues the row's rail."""
        drv = row.driver
        if drv is None or net not in drv.rails:
            return None
        key = (drv.name, net)
        if key not in self._driver_rails:
            self._driver_rails[key] = self._driver_rail_width(drv, net)
        return self._driver_rails[key]

    def _driver_rail_width(self, drv: CellInfo, net: str) -> float:
        rect = pin_rect(drv, net, "met1")
        if rect is not None:
            return round(rect[3] - rect[1], 4)
        x = (drv.width / 2 + self.driver_line_local(drv, net)) / 2  # halfway from the centre to the line
        drawn = drawn_width(drv, self.tech, "met1", x, drv.rails[net])
        if drawn is None:
            raise SpecError(
                f"cannot find the met1 {net} rail of driver cell '{drv.name}' between its centre and "
                f"its met2 line",
                where=str(drv.gds or drv.name),
                hint="give the rail a met1 pin in the cell metadata",
            )
        return drawn

    def driver_wire(self, row: Row, net: str) -> Rail | None:
        """The driver's own met1 wire of ``net`` where the row has no rail of that net (None otherwise)."""
        width = self._driver_rail(row, net)
        if width is None or row.driver is None:
            return None
        return Rail(row.y(row.driver.rails[net]), width, True, width)

    # vertical lines
    @staticmethod
    def driver_line_local(drv: CellInfo, net: str) -> float:
        """x (µm, cell coordinates) of the driver cell's full-height met2 ``net`` line: its met2 pin, else the
        driver column's convention (:data:`DRIVER_LINE_FROM_RIGHT_UM` from the right edge)."""
        rect = pin_rect(drv, net, "met2")
        if rect is None:
            return round(drv.width - DRIVER_LINE_FROM_RIGHT_UM[net], 4)
        return round((rect[0] + rect[2]) / 2, 4)

    def driver_line(self, net: str) -> float:
        """Macro x (µm) of the driver column's met2 ``net`` line (drivers are right-aligned at ``array.x0``)."""
        xs = {
            round(self.fp.array.x0 - d.width + self.driver_line_local(d, net), 4)
            for d in (self.lib.role("row_driver"), self.lib.role("ctrl_driver"))
        }
        if len(xs) != 1:
            raise SpecError(
                f"the row and control drivers' met2 {net} lines do not line up (x = {sorted(xs)} µm)",
                hint="both driver cells must place their power lines at the same distance from the "
                "right edge",
            )
        return xs.pop()

    def driver_line_width(self, net: str) -> float:
        """Width (µm) of the driver column's met2 ``net`` line (its pin, else as wide as the tap columns')."""
        rect = pin_rect(self.lib.role("row_driver"), net, "met2")
        return round(rect[2] - rect[0], 4) if rect is not None else self.line_w[net]

    def tap_line(self, tap: int, net: str) -> float:
        """Macro x (µm) of tap column ``tap``'s met2 ``net`` line."""
        return round(self.fp.tap_x(tap) + (TAP_VDD_X if net == "VDD" else TAP_VSS_X), 4)

    def column_line(self, col: int) -> float:
        """Macro x (µm) of column ``col``'s met2 VSS line."""
        return round(self.fp.column_x(col) + self.grid.met2("VSS"), 4)

    def column_centre(self, col: int) -> float:
        """Macro x (µm) of the centre of column ``col``."""
        return round(self.fp.column_x(col) + self.fp.pitch / 2, 4)

    def driver_centre(self, row: Row) -> float:
        """Macro x (µm) of the centre of ``row``'s driver cell."""
        assert row.driver is not None
        return round(self.fp.array.x0 - row.driver.width / 2, 4)

    # power stripes and ring
    def stripe_taps(self, net: str) -> list[int]:
        """Tap columns carrying the met4 stripe of ``net`` (VDD on even, VSS on odd ones)."""
        parity = 0 if net == "VDD" else 1
        return [i for i in range(self.fp.n_taps) if i % 2 == parity]

    def stripe_x(self, tap: int) -> float:
        """Macro x (µm) of the centre of the stripe over tap column ``tap``."""
        return round(self.fp.tap_x(tap) + (STRIPE_X[0] + STRIPE_X[1]) / 2, 4)

    def powertap_ys(self) -> list[float]:
        """Macro y (µm) of the powertaps: the middle of every compute row and of the SAR row."""
        fp = self.fp
        ys = [fp.compute_y(g) + fp.compute_h / 2 for g in range(self.spec.local_arrays_per_column)]
        return [round(y, 4) for y in (*ys, fp.sar.y0 + fp.sar_h / 2)]

    def ring_centre(self, net: str) -> float:
        """Distance (µm) from the macro edge to the centre line of the ring of ``net`` (VDD outer)."""
        s_ring, w_ring = self.lib.power["ring_space_um"], self.lib.power["ring_width_um"]
        level = 0 if net == "VDD" else 1
        return s_ring + level * (s_ring + w_ring) + w_ring / 2


def stripe_x_um(spec: ACIMSpec, library: Library | str | Path | None = None, net: str = "VDD") -> list[float]:
    """x centres (µm) of the met4 stripes of ``net`` the generator draws for ``spec`` with ``library``."""
    lib = library if isinstance(library, Library) else load_library(library)
    geo = PowerPlan(spec, lib, load_tech(lib.tech_file if lib.tech_file.is_file() else None))
    return [geo.stripe_x(i) for i in geo.stripe_taps(net)]
