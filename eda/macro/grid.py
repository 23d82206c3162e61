"""Extraction of a generated ACIM macro's power grid into a resistor network with coordinates.

The generator (:mod:`eda.acim.generator`) draws, per supply net:

* a met2 **rail** along every cell row (bitcell rows from the row-driver column to the array's right
  edge; compute, capacitor and periphery rows across the array), at the cell's rail track;
* a via2 + via3 **tap** stack under every met4 **stripe** on every rail;
* met4 **stripes** every ``stripe_every`` columns, from the ring's bottom bar to its top bar, joined to the
  bars by via4;
* a **ring**: met5 bars (bottom and top) and met4 sides, joined at the corners by via4. The bottom met5
  bar is the net's pin: the pads of the extracted network sit on it.

Each conductor becomes resistors between the nodes where something connects (cell supply points, taps,
vias): ``R = R_sheet · length / width`` with the sheet resistance of its layer from the technology file,
each via ``R_via`` (one cut). Coordinates are µm; node names follow the ICCAD 2023 scheme
``n1_m<layer>_<x>_<y>`` in 2000 DBU per µm, so every PDN tool of :mod:`eda.pdn` reads the result with
coordinates. The geometry is derived from the same :class:`~eda.acim.floorplan.Floorplan` the generator
places from; :func:`stripes_in_gds` cross-checks it against the drawn GDS.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eda.acim.floorplan import Floorplan, floorplan
from eda.acim.library import Library, load_library, with_stripe_every
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError
from eda.tech import Tech, load_tech

__all__ = ["PowerGrid", "extract_power_grid", "stripes_in_gds", "with_stripe_every", "LAYER_NUMBER", "DBU_PER_UM"]

DBU_PER_UM = 2000
LAYER_NUMBER = {"met1": 1, "met2": 2, "met3": 3, "met4": 4, "met5": 5}
#: width of a met2 rail track (µm), as drawn by the cell compiler
RAIL_WIDTH_UM = 0.30


@dataclass
class PowerGrid:
    """One supply net of a macro as a resistor network.

    Attributes:
        net: ``VDD`` or ``VSS``; ``vdd``: supply voltage (V) of the pads (0 V for VSS).
        x_um, y_um: node coordinates (µm); ``layer``: metal layer name per node.
        r_a, r_b, r_ohm: resistors (node indices and ohms); ``r_kind``: rail | tap | stripe | ring | via4.
        pads: node indices of the pads (on the pin bar).
        sinks: cell kind -> node indices where cells of that kind draw supply current, in placement order
            (``bitcell``, ``row_driver``, ``compute``, ``cap``, ``colper``, ``adc``, ``sar``).
        sink_columns: cell kind -> column index (or ADC index / row index) of each sink.
        stripes_x_um: x of every stripe of this net.
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
    _names: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
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


class _Builder:
    def __init__(self, tech: Tech) -> None:
        self.tech = tech
        self.index: dict[tuple[str, int, int], int] = {}
        self.x: list[float] = []
        self.y: list[float] = []
        self.layer: list[str] = []
        self.res: list[tuple[int, int, float, str]] = []

    def node(self, layer: str, x: float, y: float) -> int:
        key = (layer, int(round(x * DBU_PER_UM)), int(round(y * DBU_PER_UM)))
        if key not in self.index:
            self.index[key] = len(self.x)
            self.x.append(key[1] / DBU_PER_UM)
            self.y.append(key[2] / DBU_PER_UM)
            self.layer.append(layer)
        return self.index[key]

    def sheet(self, layer: str) -> float:
        return self.tech.prop(layer, "sheet_res_ohm_sq")

    def via(self, layer: str) -> float:
        return self.tech.prop(layer, "res_ohm")

    def wire(self, layer: str, points: list[int], width: float, kind: str) -> None:
        """Resistors along a straight wire through ``points`` (node indices, sorted along the wire)."""
        rs = self.sheet(layer)
        for a, b in zip(points, points[1:], strict=False):
            length = abs(self.x[b] - self.x[a]) + abs(self.y[b] - self.y[a])
            if length > 0:
                self.res.append((a, b, rs * length / width, kind))

    def link(self, a: int, b: int, ohm: float, kind: str) -> None:
        self.res.append((a, b, ohm, kind))


def _rows(fp: Floorplan, lib: Library, net: str) -> list[tuple[str, int, float, float, float]]:
    """(kind, index, rail y, x start, x end) for every cell row of the macro."""
    s = fp.spec
    out = []
    bit = lib.role("bitcell").rails[net]
    for r in range(s.rows):
        y = fp.row_y(r) + (fp.bit_h - bit if fp.row_mirrored(r) else bit)
        out.append(("bitcell", r, y, fp.drivers.x0, fp.array.x1))
    for g in range(s.local_arrays_per_column):
        out.append(("compute", g, fp.compute_y(g) + lib.role("compute").rails[net], fp.array.x0, fp.array.x1))
        out.append(("cap", g, fp.group_y(g) + lib.role("cap").rails[net], fp.array.x0, fp.array.x1))
    for kind, y0 in (("colper", fp.colper.y0), ("adc", fp.adc.y0), ("sar", fp.sar.y0)):
        out.append((kind, 0, y0 + lib.role(kind).rails[net], fp.array.x0, fp.array.x1))
    return out


def _row_sinks(fp: Floorplan, kind: str, index: int) -> list[tuple[str, float, int]]:
    """(sink kind, x, column/ADC/row index) of the cells on one row that draw supply current."""
    s, half = fp.spec, fp.pitch / 2
    if kind == "bitcell":
        cells = [("bitcell", fp.column_x(c) + half, c) for c in range(s.cols)]
        return [("row_driver", (fp.drivers.x0 + fp.drivers.x1) / 2, index), *cells]
    if kind in ("compute", "cap", "colper"):
        return [(kind, fp.column_x(c) + half, c) for c in range(s.cols)]
    k = s.cols_per_adc
    if kind == "adc":  # the comparator sits under the last column of each ADC group
        return [("adc", fp.column_x(a * k + k - 1) + half, a) for a in range(s.adcs)]
    return [("sar", fp.column_x(a * k) + k * half, a) for a in range(s.adcs)]


def extract_power_grid(spec: ACIMSpec, library: Library | str | Path | None = None, *, net: str = "VDD",
                       stripe_every: int | None = None) -> PowerGrid:
    """Extract the ``net`` power grid of the macro ``spec`` would generate with ``library``.

    ``stripe_every`` overrides the library's stripe spacing (in columns) the same way the generator does.
    """
    if net not in ("VDD", "VSS"):
        raise SpecError(f"unknown supply net '{net}'", hint="use VDD or VSS")
    lib = library if isinstance(library, Library) else load_library(library)
    if stripe_every:
        lib = with_stripe_every(lib, stripe_every)
    tech = load_tech(lib.tech_file if lib.tech_file.is_file() else None)
    fp = floorplan(spec, lib)
    if not fp.stripe_columns:
        raise SpecError(f"macro {spec.name} has no power stripes", hint="use at least one stripe column")
    b = _Builder(tech)
    offset = lib.columns["vdd_stripe" if net == "VDD" else "vss_stripe"]
    stripe_w = lib.columns["stripe_w"]
    stripes = [fp.column_x(col) + offset for col in fp.stripe_columns]
    s_ring, w_ring = lib.power["ring_space_um"], lib.power["ring_width_um"]
    level = 0 if net == "VDD" else 1
    o = s_ring + level * (s_ring + w_ring)
    c = o + w_ring / 2
    W, H = fp.width, fp.height
    sinks: dict[str, list[int]] = defaultdict(list)
    columns: dict[str, list[int]] = defaultdict(list)
    stripe_nodes: dict[float, list[int]] = {x: [] for x in stripes}
    tap = b.via("via2") + b.via("via3")
    for kind, index, y, x0, x1 in _rows(fp, lib, net):
        points = {x0: None, x1: None}
        row_sinks = _row_sinks(fp, kind, index)
        for _, x, _ in row_sinks:
            points[x] = None
        for x in stripes:
            points[x] = None
        rail = [b.node("met2", x, y) for x in sorted(points)]
        b.wire("met2", rail, RAIL_WIDTH_UM, "rail")
        for sink_kind, x, col in row_sinks:
            sinks[sink_kind].append(b.node("met2", x, y))
            columns[sink_kind].append(col)
        for x in stripes:
            top = b.node("met4", x, y)
            b.link(b.node("met2", x, y), top, tap, "tap")
            stripe_nodes[x].append(top)
    bar_x = sorted({c, W - c, *stripes})
    for bar_y in (c, H - c):
        bar = [b.node("met5", x, bar_y) for x in bar_x]
        b.wire("met5", bar, w_ring, "ring")
    for side_x in (c, W - c):
        side = [b.node("met4", side_x, c), b.node("met4", side_x, H - c)]
        b.wire("met4", side, w_ring, "ring")
        for bar_y in (c, H - c):
            b.link(b.node("met4", side_x, bar_y), b.node("met5", side_x, bar_y), b.via("via4"), "via4")
    for x, nodes in stripe_nodes.items():
        ends = [b.node("met4", x, c), b.node("met4", x, H - c)]
        line = sorted(set(nodes) | set(ends), key=lambda n: b.y[n])
        b.wire("met4", line, stripe_w, "stripe")
        for end, bar_y in zip(ends, (c, H - c), strict=True):
            b.link(end, b.node("met5", x, bar_y), b.via("via4"), "via4")
    pads = [b.index[("met5", int(round(x * DBU_PER_UM)), int(round(c * DBU_PER_UM)))] for x in bar_x]
    res = b.res
    return PowerGrid(
        net=net, vdd=float(tech.data["vdd"]) if net == "VDD" else 0.0,
        x_um=np.array(b.x), y_um=np.array(b.y), layer=b.layer,
        r_a=np.array([r[0] for r in res]), r_b=np.array([r[1] for r in res]),
        r_ohm=np.array([r[2] for r in res]), r_kind=[r[3] for r in res], pads=np.array(pads),
        sinks={k: np.array(v) for k, v in sinks.items()}, sink_columns={k: np.array(v) for k, v in columns.items()},
        stripes_x_um=stripes, width_um=W, height_um=H)


def stripes_in_gds(gds: Path, layer: tuple[int, int], stripe_w: float, min_length: float) -> list[float]:
    """x centres (µm) of the vertical stripes of width ``stripe_w`` drawn in the top cell of ``gds``."""
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
