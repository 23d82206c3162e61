"""Extraction of a generated ACIM macro's power grid into a resistor network with coordinates.

The generator (:mod:`eda.acim.generator`) builds each supply net (VDD or VSS) from these conductors, all
read here from the same :class:`~eda.acim.floorplan.Floorplan`, the cells' metadata (``rails``, ``pins``)
and the tap-column constants of :mod:`eda.acim.celllib.tapcol`:

* **met1 rails**: every row cell with a rail of the net in its metadata (``CellInfo.rails``) draws it across
  its full width, so the rail runs by abutment from the driver column through every column and tap column to
  the array's right edge. VDD: bitcell rows (odd rows mirrored), compute rows, the ADC row and the SAR row;
  VSS: compute rows, the column-periphery row, the ADC row and the SAR row. Widths are the cells' met1 pin
  rectangles (the SAR block's :data:`~eda.acim.celllib.sar.SAR_RAILS`).
* **met2 lines** (vertical, as wide as the cells' met2 pins), each joined by a via1 to every rail of its
  net it crosses:

  - in every tap column ``i`` at ``tap_x(i) + TAP_VDD_X`` / ``+ TAP_VSS_X``, from the SAR row's bottom to
    the array's top (the tap cells draw the via on every full-width rail of the row they serve);
  - in the driver column, at the driver cells' met2 VDD/VSS pins (right-aligned at ``array.x0``), over
    the bitcell and compute rows, with a via on every rail the driver cell has;
  - VSS only: in every column at the column grid's VSS slot, from the ADC row's bottom to the array's top
    through the bitcell, compute, column-periphery and ADC cells (those cells draw the vias to their VSS
    rails).

* **powertaps** (via2 + via3, one cut each) from a tap column's met2 line to its met4 **stripe** at the
  middle of every compute row and of the SAR row; even tap columns carry the VDD stripe, odd ones the VSS
  stripe (``STRIPE_X`` of the tap column, 1.32 µm), from the ring's bottom bar to its top bar, joined to
  both by a via4.
* **ring**: met5 bars (bottom and top) and met4 sides joined at the corners by via4, VDD outer, VSS inner.
  The bottom met5 bar is the net's pin: the pads of the extracted network sit on it.

Each conductor becomes resistors between the points where something connects (sinks, vias, taps):
``R = R_sheet · length / width`` with the sheet resistance of its layer from the technology file, each via
one cut of ``res_ohm``. Dead ends (a rail beyond the last line, a line beyond its last via) carry no current
and are left out.

**Sinks** (where cells draw supply current): a bitcell draws VDD from its row's rail at the cell's x centre
and VSS from its column's VSS line at the row's centre y (bitcell rows have no VSS rail); compute,
column-periphery and ADC cells draw from their row's rails at the column centre (for VSS the rail, not the
column line: in the drawn library the column line sits at the column centre and meets the rail there with a
via, so the rail point is the cell's supply node); a row driver draws from its rail at the driver's x centre
(VSS: from the driver's own VSS wire to the driver column's line, or, if the cell has none, from the line at
the row's centre y); a SAR block draws from the SAR row's rails at the block's centre. Cells without supply
current of their own (tap cells, fillers, control drivers) have no sink.

Coordinates are µm; node names follow the ICCAD 2023 scheme ``n1_m<layer>_<x>_<y>`` in 2000 DBU per µm,
so every PDN tool of :mod:`eda.pdn` reads the result with coordinates. Nodes of the met4 stripes sit on the
stripe's centre line (the powertap stacks 0.3 µm beside it are lumped onto it). :func:`stripes_in_gds`
cross-checks the stripes against the drawn GDS.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eda.acim.library import Library, load_library, with_stripe_every
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError
from eda.macro.powerplan import STRIPE_WIDTH_UM, PowerPlan, Rail, Row, stripe_x_um
from eda.tech import Tech, load_tech

__all__ = [
    "PowerGrid",
    "extract_power_grid",
    "stripes_in_gds",
    "with_stripe_every",
    "LAYER_NUMBER",
    "DBU_PER_UM",
    "STRIPE_WIDTH_UM",
    "SINK_KINDS",
    "stripe_x_um",
]

DBU_PER_UM = 2000
LAYER_NUMBER = {"met1": 1, "met2": 2, "met3": 3, "met4": 4, "met5": 5}
#: the kinds of cells that draw supply current, in the order their sinks are listed
SINK_KINDS = ("bitcell", "row_driver", "compute", "colper", "adc", "sar")


@dataclass
class PowerGrid:
    """One supply net of a macro as a resistor network.

    Attributes:
        net: ``VDD`` or ``VSS``; ``vdd``: supply voltage (V) of the pads (0 V for VSS).
        x_um, y_um: node coordinates (µm); ``layer``: metal layer name per node.
        r_a, r_b, r_ohm: resistors (node indices and ohms); ``r_kind``: rail (met1) | line (met2) | via
            (via1) | tap (via2 + via3) | stripe (met4) | ring (met4/met5) | via4.
        r_width_um: drawn width (µm) of each resistor's conductor (0 for vias).
        pads: node indices of the pads (on the pin bar).
        sinks: cell kind -> node indices where cells of that kind draw supply current, in placement order
            (``bitcell``, ``row_driver``, ``compute``, ``colper``, ``adc``, ``sar``; a kind is absent when no
            cell of it draws from this net).
        sink_columns: cell kind -> column index (row index for row drivers, ADC index for ADCs and SAR
            blocks) of each sink.
        stripes_x_um: x centre (µm) of every met4 stripe of this net.
        width_um, height_um: macro size (µm).
    """

    net: str
    vdd: float
    x_um: np.ndarray
    y_um: np.ndarray
    layer: list[str]
    r_a: np.ndarray
    r_b: np.ndarray
    r_ohm: np.ndarray
    r_kind: list[str]
    pads: np.ndarray
    sinks: dict[str, np.ndarray] = field(default_factory=dict)
    sink_columns: dict[str, np.ndarray] = field(default_factory=dict)
    stripes_x_um: list[float] = field(default_factory=list)
    width_um: float = 0.0
    height_um: float = 0.0
    r_width_um: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _names: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x_um)

    def node_names(self) -> list[str]:
        """ICCAD-style names ``n1_m<layer>_<x_dbu>_<y_dbu>`` of every node (computed once)."""
        if self._names is None:
            from eda.pdn.nodenames import iccad_name

            layers = np.array([LAYER_NUMBER[name] for name in self.layer])
            x = np.rint(self.x_um * DBU_PER_UM).astype(np.int64)
            y = np.rint(self.y_um * DBU_PER_UM).astype(np.int64)
            self._names = [name.decode() for name in iccad_name(x, y, layers).tolist()]
        return self._names

    @property
    def map_shape(self) -> tuple[int, int]:
        """Contest-map grid ``(X, Y)`` of the macro: 1 µm tiles covering its width and height."""
        return int(np.ceil(self.width_um)), int(np.ceil(self.height_um))

    def tile_current_map(self, current: np.ndarray) -> np.ndarray:
        """Per-node currents (A) summed into the 1 µm tiles of :attr:`map_shape` (A per tile, rows index x)."""
        nx, ny = self.map_shape
        ix = np.clip(self.x_um.astype(int), 0, nx - 1)
        iy = np.clip(self.y_um.astype(int), 0, ny - 1)
        weights = np.asarray(current, dtype=np.float64)
        return np.bincount(ix * ny + iy, weights=weights, minlength=nx * ny).reshape(nx, ny)

    def node_tile_map(self, nodes: np.ndarray, current: np.ndarray) -> np.ndarray:
        """:meth:`tile_current_map` of currents (A) at the distinct ``nodes`` only (the others draw none)."""
        full = np.zeros(self.n_nodes)
        full[nodes] = current
        return self.tile_current_map(full)


class _Builder:
    """Nodes (deduplicated per layer and DBU position) and resistors of one net."""

    def __init__(self, tech: Tech) -> None:
        self.tech = tech
        self.index: dict[tuple[str, int, int], int] = {}
        self.x: list[float] = []
        self.y: list[float] = []
        self.layer: list[str] = []
        self.res: list[tuple[int, int, float, str, float]] = []

    def node(self, layer: str, x: float, y: float) -> int:
        """The node on ``layer`` at ``(x, y)`` µm (created on first use)."""
        key = (layer, int(round(x * DBU_PER_UM)), int(round(y * DBU_PER_UM)))
        if key not in self.index:
            self.index[key] = len(self.x)
            self.x.append(key[1] / DBU_PER_UM)
            self.y.append(key[2] / DBU_PER_UM)
            self.layer.append(layer)
        return self.index[key]

    def sheet(self, layer: str) -> float:
        """Sheet resistance (Ω/□) of ``layer``."""
        return self.tech.prop(layer, "sheet_res_ohm_sq")

    def cut(self, layer: str) -> float:
        """Resistance (Ω) of one cut of via layer ``layer``."""
        return self.tech.prop(layer, "res_ohm")

    def wire(self, layer: str, points: list[int], width: float, kind: str) -> None:
        """Resistors along a straight wire of ``width`` µm through ``points`` (node indices, in order)."""
        rs = self.sheet(layer)
        for a, b in zip(points, points[1:], strict=False):
            length = abs(self.x[b] - self.x[a]) + abs(self.y[b] - self.y[a])
            if length > 0:
                self.res.append((a, b, rs * length / width, kind, width))

    def link(self, a: int, b: int, ohm: float, kind: str, width: float = 0.0) -> None:
        """One resistor of ``ohm`` between nodes ``a`` and ``b``."""
        self.res.append((a, b, ohm, kind, width))


# -- the network ---------------------------------------------------------------------------------------


class _Extractor:
    """Builds the resistor network of one net from a :class:`PowerPlan`."""

    def __init__(self, geo: PowerPlan, net: str) -> None:
        self.geo, self.net = geo, net
        self.b = _Builder(geo.tech)
        self.sinks: dict[str, list[int]] = defaultdict(list)
        self.columns: dict[str, list[int]] = defaultdict(list)
        #: met2 line x -> {y: node} of the points where something joins the line
        self.lines: dict[float, dict[float, int]] = defaultdict(dict)
        self.line_width: dict[float, float] = {}

    def sink(self, kind: str, node: int, column: int) -> None:
        self.sinks[kind].append(node)
        self.columns[kind].append(column)

    def line_point(self, x: float, y: float, width: float) -> int:
        """The met2 node of the vertical line at ``x`` (µm) where something joins it at ``y``."""
        node = self.b.node("met2", x, y)
        self.lines[round(x, 4)][round(y, 4)] = node
        self.line_width[round(x, 4)] = width
        return node

    def via_to_line(self, x: float, y: float, width: float) -> int:
        """A met1 node at ``(x, y)`` joined by one via1 to the met2 line at ``x``; returns the met1 node."""
        top = self.b.node("met1", x, y)
        self.b.link(top, self.line_point(x, y, width), self.b.cut("via"), "via")
        return top

    # rows
    def row(self, row: Row) -> None:
        geo, net = self.geo, self.net
        rail = geo.rail(row, net)
        if rail is None:
            self.row_without_rail(row)
            return
        points: dict[int, int] = {}  # x (DBU) -> met1 node on the rail

        def at(x: float, node: int) -> int:
            points[round(x * DBU_PER_UM)] = node
            return node

        for tap in range(geo.fp.n_taps):
            x = geo.tap_line(tap, net)
            at(x, self.via_to_line(x, rail.y, geo.line_w[net]))
        if net == "VSS" and row.kind in ("compute", "colper", "adc"):
            for c in range(geo.spec.cols):
                x = geo.column_line(c)
                at(x, self.via_to_line(x, rail.y, geo.column_line_w))
        for kind, x, column in self.cells_on_rail(row):
            self.sink(kind, at(x, self.b.node("met1", x, rail.y)), column)
        if rail.driver_joined:
            x = geo.driver_line(net)
            at(x, self.via_to_line(x, rail.y, geo.driver_line_width(net)))
            if row.kind == "bitcell":  # control drivers draw no current of their own
                x = geo.driver_centre(row)
                self.sink("row_driver", at(x, self.b.node("met1", x, rail.y)), row.index)
        elif row.kind == "bitcell":
            self.driver_on_line(row)
        self.rail_wire(points, rail)

    def rail_wire(self, points: dict[int, int], rail: Rail) -> None:
        """Resistors along a rail through ``points`` (x in DBU -> node); left of the driver column's met2 line
        the rail is the row driver's own (``rail.driver_width``)."""
        x_line = round(self.geo.driver_line(self.net) * DBU_PER_UM)
        xs = sorted(points)
        for xa, xb in zip(xs, xs[1:], strict=False):
            width = rail.driver_width if rail.driver_width is not None and xb <= x_line else rail.width
            self.b.wire("met1", [points[xa], points[xb]], width, "rail")

    def row_without_rail(self, row: Row) -> None:
        """Sinks of a row without a rail of this net: bitcells on their column lines, the driver on its own."""
        geo = self.geo
        if row.kind != "bitcell":  # compute/colper/ADC/SAR cells without a rail of this net draw nothing
            return
        if self.net == "VSS":
            for c in range(geo.spec.cols):
                self.sink("bitcell", self.line_point(geo.column_line(c), row.centre, geo.column_line_w), c)
        wire = geo.driver_wire(row, self.net)
        if wire is None:
            self.driver_on_line(row)
            return
        top = self.via_to_line(geo.driver_line(self.net), wire.y, geo.driver_line_width(self.net))
        node = self.b.node("met1", geo.driver_centre(row), wire.y)
        self.b.wire("met1", [node, top], wire.width, "rail")
        self.sink("row_driver", node, row.index)

    def driver_on_line(self, row: Row) -> None:
        """A row driver without a rail of the net draws from the driver column's line at the row's centre."""
        x = self.geo.driver_line(self.net)
        self.sink(
            "row_driver", self.line_point(x, row.centre, self.geo.driver_line_width(self.net)), row.index
        )

    def cells_on_rail(self, row: Row) -> list[tuple[str, float, int]]:
        """(sink kind, x, column / ADC index) of the cells of ``row`` drawing from its rail."""
        geo, spec = self.geo, self.geo.spec
        k = spec.cols_per_adc
        if row.kind in ("bitcell", "compute", "colper"):
            return [(row.kind, geo.column_centre(c), c) for c in range(spec.cols)]
        if row.kind == "adc":  # the comparator sits under the last column of each ADC group
            return [("adc", geo.column_centre(a * k + k - 1), a) for a in range(spec.adcs)]
        half = geo.fp.pitch / 2
        return [("sar", round(geo.fp.column_x(a * k) + k * half, 4), a) for a in range(spec.adcs)]

    # vertical lines, stripes, ring
    def powertaps(self) -> dict[int, list[int]]:
        """via2 + via3 from each stripe tap column's met2 line to its stripe; met4 nodes per tap column."""
        geo, b = self.geo, self.b
        ohm = b.cut("via2") + b.cut("via3")
        out: dict[int, list[int]] = {}
        for tap in geo.stripe_taps(self.net):
            x_line, x_stripe = geo.tap_line(tap, self.net), geo.stripe_x(tap)
            out[tap] = []
            for y in geo.powertap_ys():
                top = b.node("met4", x_stripe, y)
                b.link(self.line_point(x_line, y, geo.line_w[self.net]), top, ohm, "tap")
                out[tap].append(top)
        return out

    def line_wires(self) -> None:
        for x, points in self.lines.items():
            self.b.wire("met2", [points[y] for y in sorted(points)], self.line_width[x], "line")

    def stripes_and_ring(self, stripe_nodes: dict[int, list[int]]) -> tuple[list[float], list[int]]:
        """Stripes, ring and pads; returns the stripe x positions and the pad nodes."""
        geo, b = self.geo, self.b
        w_ring = geo.lib.power["ring_width_um"]
        c = geo.ring_centre(self.net)
        W, H = geo.fp.width, geo.fp.height  # noqa: N806
        stripes = [geo.stripe_x(tap) for tap in stripe_nodes]
        for tap, nodes in stripe_nodes.items():
            x = geo.stripe_x(tap)
            ends = [b.node("met4", x, c), b.node("met4", x, H - c)]
            b.wire("met4", sorted(set(nodes) | set(ends), key=lambda n: b.y[n]), STRIPE_WIDTH_UM, "stripe")
            for end, bar_y in zip(ends, (c, H - c), strict=True):
                b.link(end, b.node("met5", x, bar_y), b.cut("via4"), "via4")
        bar_x = sorted({c, W - c, *stripes})
        for bar_y in (c, H - c):
            b.wire("met5", [b.node("met5", x, bar_y) for x in bar_x], w_ring, "ring")
        for side_x in (c, W - c):
            b.wire("met4", [b.node("met4", side_x, c), b.node("met4", side_x, H - c)], w_ring, "ring")
            for bar_y in (c, H - c):
                b.link(b.node("met4", side_x, bar_y), b.node("met5", side_x, bar_y), b.cut("via4"), "via4")
        return stripes, [b.node("met5", x, c) for x in bar_x]

    def run(self) -> PowerGrid:
        geo, b = self.geo, self.b
        for row in geo.rows:
            self.row(row)
        stripe_nodes = self.powertaps()
        self.line_wires()
        stripes, pads = self.stripes_and_ring(stripe_nodes)
        res = b.res
        order = [k for k in SINK_KINDS if k in self.sinks]
        return PowerGrid(
            net=self.net,
            vdd=float(geo.tech.data["vdd"]) if self.net == "VDD" else 0.0,
            x_um=np.array(b.x),
            y_um=np.array(b.y),
            layer=b.layer,
            r_a=np.array([r[0] for r in res]),
            r_b=np.array([r[1] for r in res]),
            r_ohm=np.array([r[2] for r in res]),
            r_kind=[r[3] for r in res],
            pads=np.array(pads),
            sinks={k: np.array(self.sinks[k]) for k in order},
            sink_columns={k: np.array(self.columns[k]) for k in order},
            stripes_x_um=stripes,
            width_um=geo.fp.width,
            height_um=geo.fp.height,
            r_width_um=np.array([r[4] for r in res]),
        )


def extract_power_grid(
    spec: ACIMSpec,
    library: Library | str | Path | None = None,
    *,
    net: str = "VDD",
    stripe_every: int | None = None,
) -> PowerGrid:
    """Extract the ``net`` power grid of the macro ``spec`` would generate with ``library``.

    ``stripe_every`` overrides the library's tap-column (and stripe) spacing in columns the same way the
    generator does. Raises :class:`~eda.errors.SpecError` for an unknown net or a library whose cells lack
    the metadata the extraction reads.
    """
    if net not in ("VDD", "VSS"):
        raise SpecError(f"unknown supply net '{net}'", hint="use VDD or VSS")
    lib = library if isinstance(library, Library) else load_library(library)
    if stripe_every:
        lib = with_stripe_every(lib, stripe_every)
    tech = load_tech(lib.tech_file if lib.tech_file.is_file() else None)
    return _Extractor(PowerPlan(spec, lib, tech), net).run()


def stripes_in_gds(
    gds: Path, layer: tuple[int, int], stripe_w: float = STRIPE_WIDTH_UM, min_length: float = 10.0
) -> list[float]:
    """x centres (µm) of the vertical stripes of width ``stripe_w`` (µm) at least ``min_length`` µm long
    drawn in the top cell of ``gds`` on GDS ``layer``."""
    import gdstk

    lib = gdstk.read_gds(str(gds))
    top = lib.top_level()[0]
    xs = []
    for poly in top.polygons:
        if (poly.layer, poly.datatype) != layer:
            continue
        (x0, y0), (x1, y1) = poly.bounding_box()
        if abs((x1 - x0) - stripe_w) < 1e-6 and (y1 - y0) >= min_length:
            xs.append(round((x0 + x1) / 2, 4))
    return sorted(xs)
