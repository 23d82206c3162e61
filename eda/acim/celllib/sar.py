"""The SAR logic of the ADC groups of one tap segment, built from the foundry's standard cells.

:func:`sar_logic_subckt` is the SAR logic that the characterisation and ``eda acim verify`` simulate;
:func:`sar_block` draws it as the placed and routed block of every tap segment of the macro's SAR row.

One block serves the ``columns`` columns between two tap columns (``columns / cols_per_adc`` ADC groups).
Every group's logic (:func:`sar_instances`) is ``sky130_fd_sc_hd`` cells (:mod:`.stdcells`):

* ``F`` (``dfstp``: set while ``RST`` is high, samples ``RST`` = 0 on the first rising ``CLK``) starts the
  token; the token register ``T<B-1> .. T0`` and ``EOC`` (``dfrtp``, reset by ``RST``) shift it one bit
  per ``CLK`` edge, so bit ``b`` is on trial while ``T<b>`` is high;
* the code register ``DOUT<b>`` (``dfrtp``) samples the decision ``DEC = NOT OUTN`` (1 when the
  comparator input is below ``VREF``: keep the bit) on the rising edge of ``T<b-1>`` (``EOC`` for bit 0),
  i.e. at the end of bit ``b``'s trial;
* every DAC line ``DB<b>_<j>`` has its own ``or2`` of ``T<b>`` and ``DOUT<b>``: the bit is tried while its
  token is there and kept if the decision said so;
* ``OUTP`` drives a dummy inverter so that both comparator outputs carry the same load.

After ``B + 1`` rising edges of ``CLK`` following the release of ``RST``, ``DOUT`` holds the code.

Layout, bottom to top: full-width met1 rails ``VSS``, ``CLK``, ``RST``, ``VDD`` (they cross the tap
columns, whose cells strap ``VDD``/``VSS``), the result pins ``DOUT<b>_<g>`` (met3, bottom edge), rows of
abutted cells (every other row mirrored, a ``tapvpwrvgnd`` cell at both ends, full-width met1 rails and
n-well bands the tap columns continue), the escape tracks where the comparator outputs ``OUTP_<g>`` /
``OUTN_<g>`` (met2, top edge) and the DAC lines ``DB<b>_<j>`` (met4, top edge, at the x of
:class:`~eda.acim.dacplan.DacPlan`) turn onto the routing grid. Signal nets are routed by
:class:`~eda.layout.router.TrackRouter` on met2/met3 over the cells; two met2 straps tie every row rail to
the ``VDD``/``VSS`` rails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import gdstk

from eda.acim.celllib.cell import CellCanvas, DrawnCell, subckt
from eda.acim.celllib.grid import ColumnGrid
from eda.acim.celllib.stdcells import ROW_HEIGHT, SITE, StdCell, load_cell
from eda.acim.dacplan import DacPlan
from eda.errors import SpecError
from eda.layout.router import M2, M3, M4, PITCH_X, PITCH_Y, TrackRouter
from eda.layout.sky130 import R
from eda.tech import Tech

__all__ = [
    "SarInstance",
    "sar_instances",
    "sar_block",
    "sar_height",
    "sar_logic_subckt",
    "SAR_RAILS",
    "SUPPLY_PINS",
]

#: y centres (µm from the block's bottom) and widths of its full-width met1 rails below the cell rows
SAR_RAILS: dict[str, tuple[float, float]] = {
    "VSS": (0.40, 0.48),
    "CLK": (1.04, 0.30),
    "RST": (1.58, 0.30),
    "VDD": (2.22, 0.48),
}
#: the standard cells' supply pins -> macro nets (bulk on the well taps' nets, as the library cells)
SUPPLY_PINS = {"VPWR": "VDD", "VGND": "VSS", "VPB": "VDD", "VNB": "VSS"}
_ROW0 = 2.86  # y of the first row's bottom rail (its VSS rail clears the VDD rail below by 0.16 µm)
_RAIL_W = 0.48
_MARGIN = SITE  # empty site at both block edges (the cells' wells and implants stay inside)
_PIN_H = 0.75
_ESCAPE_SPAN = 3  # grid columns an escape blocks on its track
_NWELL = (1.305, 2.91)  # n-well of a row in the cell frame (µm)
_HVTP = 1.25  # bottom of the cells' high-Vt implant in the cell frame (µm)
_TAP = "tapvpwrvgnd_1"
#: fraction of a row's sites the cells take (the rest is spread between them for pin access and wiring)
UTILISATION = 0.7
#: ADC groups one block serves at most (more do not route: ``cols_per_adc = 1`` with 8-column segments)
MAX_GROUPS = 4


@dataclass(frozen=True)
class SarInstance:
    """One standard cell of the SAR logic: instance name, cell (short name) and pin -> net."""

    name: str
    cell: str
    nets: dict[str, str]


def sar_instances(plan: DacPlan, groups: int) -> list[SarInstance]:
    """The cells of the SAR logic of ``groups`` ADC groups whose DAC lines follow ``plan`` (placement order).

    Nets: ``OUTP_<g>``, ``OUTN_<g>``, ``DOUT<b>_<g>`` and ``DB<b>_<j>`` (``j`` the column in the block) are
    block ports; ``CLK``/``RST`` are shared; the rest are internal (``T<b>_<g>``, ``DEC_<g>``, ...).
    """
    bits, k = plan.adc_bits, plan.cols_per_adc
    out: list[SarInstance] = []
    for g in range(groups):

        def n(name: str, g: int = g) -> str:
            return f"{name}_{g}"

        out.append(SarInstance(n("irst"), "inv_1", {"A": "RST", "Y": n("RSTB")}))
        out.append(
            SarInstance(n("f"), "dfstp_1", {"CLK": "CLK", "D": "RST", "SET_B": n("RSTB"), "Q": n("F")})
        )
        for b in range(bits - 1, -1, -1):
            d = n("F") if b == bits - 1 else n(f"T{b + 1}")
            pins = {"CLK": "CLK", "D": d, "RESET_B": n("RSTB"), "Q": n(f"T{b}")}
            out.append(SarInstance(n(f"t{b}"), "dfrtp_1", pins))
        out.append(
            SarInstance(
                n("eoc"), "dfrtp_1", {"CLK": "CLK", "D": n("T0"), "RESET_B": n("RSTB"), "Q": n("EOC")}
            )
        )
        out.append(SarInstance(n("idec"), "inv_1", {"A": n("OUTN"), "Y": n("DEC")}))
        for b in range(bits - 1, -1, -1):
            ck = n(f"T{b - 1}") if b else n("EOC")
            pins = {"CLK": ck, "D": n("DEC"), "RESET_B": n("RSTB"), "Q": f"DOUT{b}_{g}"}
            out.append(SarInstance(n(f"c{b}"), "dfrtp_1", pins))
        out.append(SarInstance(n("idum"), "inv_1", {"A": n("OUTP"), "Y": n("DUM")}))
        for j, b, _ in plan.lines():
            port = f"DB{b}_{g * k + j}"
            out.append(
                SarInstance(f"d{port.lower()}", "or2_1", {"A": n(f"T{b}"), "B": f"DOUT{b}_{g}", "X": port})
            )
    return out


@dataclass(frozen=True)
class _Placed:
    inst: SarInstance
    cell: StdCell
    x: float  # left edge (µm, block frame)
    row: int


def _placement_order(instances: list[SarInstance], per_row: int) -> list[SarInstance]:
    """Registers and inverters first (bottom rows), then the DAC-line drivers (top rows, under the DAC pins):
    sorted by their column and dealt to the rows in turn, so that every row spans the block's width."""
    drivers = [i for i in instances if i.cell == "or2_1"]
    rest = [i for i in instances if i.cell != "or2_1"]
    drivers.sort(key=lambda i: int(i.nets["X"].rsplit("_", 1)[1]))
    rows = max(1, math.ceil(len(drivers) / max(1, per_row)))
    return rest + [d for r in range(rows) for d in drivers[r::rows]]


def comparator_pins(plan: DacPlan, groups: int, grid: ColumnGrid) -> dict[str, float]:
    """x (µm, block frame) where each group's comparator outputs ``OUTP_<g>``/``OUTN_<g>`` come down into the
    block: the ``c0``/``c4`` slots of the group's last column, under which the comparator sits."""
    k = plan.cols_per_adc
    pins = {}
    for g in range(groups):
        last = (g * k + k - 1) * grid.pitch
        pins[f"OUTP_{g}"] = round(last + grid.c(0), 4)
        pins[f"OUTN_{g}"] = round(last + grid.c(4), 4)
    return pins


def _sites(cell: str) -> int:
    """Placement sites a standard cell (short name) takes."""
    return int(round(load_cell(cell).width / SITE))


def _receiver_row(
    receivers: list[SarInstance], pins: dict[str, float], x_first: float, sites: int
) -> list[tuple[SarInstance, float]]:
    """The comparator outputs' receiving inverters, each as near under its comparator pin as the sites allow
    (a free site between neighbours and before the end tap): the latch nodes then carry the comparator's own
    wiring, a short drop and one inverter gate, the load the comparator is characterised with, instead of
    a route across the block. Returns (instance, x of the cell's left edge)."""
    wanted = []
    for inst in receivers:
        (ax, _), *_ = load_cell(inst.cell).pins["A"]
        w = _sites(inst.cell)
        s = int(round((pins[inst.nets["A"]] - ax - x_first) / SITE))
        wanted.append([min(max(s, 0), sites - w), w, inst])
    wanted.sort(key=lambda t: t[0])
    for n in range(1, len(wanted)):  # push right past the left neighbour, then back left from the row end
        wanted[n][0] = max(wanted[n][0], wanted[n - 1][0] + wanted[n - 1][1] + 1)
    end = sites  # the row's last site stays free: the end tap sits a fraction of a site beyond it
    for item in reversed(wanted):
        item[0] = min(item[0], end - 1 - item[1])
        end = item[0]
    if wanted and wanted[0][0] < 0:
        raise SpecError(
            "the comparator outputs' receivers do not fit one row of the SAR block",
            hint="more cols_per_adc (fewer ADC groups per tap segment)",
        )
    return [(inst, round(x_first + s * SITE, 4)) for s, _, inst in wanted]


def _place(
    instances: list[SarInstance], width: float, pins: dict[str, float]
) -> tuple[list[_Placed], list[float], int]:
    """Rows of cells (placements, x of the row-end tap cells, rows): each row filled to
    :data:`UTILISATION` of its sites in placement order (:func:`_placement_order`), its free sites spread
    evenly between the cells (room for the pin contacts and the wires between them); on top, the row of
    the comparator outputs' receivers under the comparator pins ``pins`` (:func:`_receiver_row`)."""
    tap = load_cell(_TAP)
    x_first = _MARGIN + tap.width
    x_last = width - _MARGIN - tap.width  # cells end here at the latest
    sites = int(round((x_last - x_first) / SITE, 6))
    widest = max(_sites(i.cell) for i in instances)
    if sites < widest:
        raise SpecError(
            f"the SAR block is {width:.2f} µm wide, too narrow for a {widest * SITE:.2f} µm flip-flop",
            hint="more columns between tap columns (stripe_every) or more cols_per_adc",
        )
    capacity = max(widest, int(sites * UTILISATION))
    receivers, others = [], []
    for inst in instances:
        (receivers if inst.cell == "inv_1" and inst.nets.get("A") in pins else others).append(inst)
    instances = _placement_order(others, capacity // _sites("or2_1"))
    widths = [_sites(i.cell) for i in instances]
    rows: list[list[int]] = [[]]
    used = 0
    for n, w in enumerate(widths):
        if used + w > capacity and rows[-1]:
            rows.append([])
            used = 0
        rows[-1].append(n)
        used += w
    placed: list[_Placed] = []
    for r, members in enumerate(rows):
        free = sites - sum(widths[n] for n in members)
        x = 0
        for slot, n in enumerate(members):
            x += free * (slot + 1) // (len(members) + 1) - free * slot // (len(members) + 1)
            inst = instances[n]
            placed.append(_Placed(inst, load_cell(inst.cell), round(x_first + x * SITE, 4), r))
            x += widths[n]
    top = len(rows)
    for inst, x in _receiver_row(receivers, pins, x_first, sites):
        placed.append(_Placed(inst, load_cell(inst.cell), x, top))
    return placed, [_MARGIN, round(x_last, 4)], top + (1 if receivers else 0)


def _escape_rows(plan: DacPlan, groups: int, width: float) -> int:
    """Escape tracks for the top terminals (DAC lines, comparator outputs), two spare."""
    per_row = max(1, int(width / (_ESCAPE_SPAN * PITCH_X)) - 1)
    return math.ceil(groups * (len(plan.lines()) + 2) / per_row) + 2


def _groups(plan: DacPlan, columns: int) -> int:
    """ADC groups of a ``columns``-wide tap segment; a :class:`SpecError` beyond :data:`MAX_GROUPS`."""
    groups = columns // plan.cols_per_adc
    if groups > MAX_GROUPS:
        raise SpecError(
            f"the SAR logic of {groups} ADC groups does not route in one {columns}-column tap segment "
            f"(at most {MAX_GROUPS})",
            hint=f"cols_per_adc >= {-(-columns // MAX_GROUPS)}",
        )
    return groups


@lru_cache(maxsize=4096)
def sar_height(plan: DacPlan, columns: int, pitch: float) -> float:
    """Height (µm) of the SAR block serving ``columns`` columns of pitch ``pitch`` (µm); a placement, cached
    (the floorplan and the drawability check of the models ask for the same spec)."""
    groups = _groups(plan, columns)
    width = columns * pitch
    grid = ColumnGrid.for_pitch(pitch)
    _, _, rows = _place(sar_instances(plan, groups), width, comparator_pins(plan, groups, grid))
    return _height(rows, _escape_rows(plan, groups, width))


def _height(rows: int, escapes: int) -> float:
    last = _ROW0 + 0.17 + PITCH_Y * (4 * rows + escapes - 1)
    return round(last + PITCH_Y + _PIN_H, 4)


def sar_block(
    tech: Tech, plan: DacPlan, columns: int, grid: ColumnGrid | None = None, name: str | None = None
) -> DrawnCell:
    """The SAR block of the ``columns // plan.cols_per_adc`` ADC groups of a tap segment."""
    grid = grid or ColumnGrid()
    k, bits = plan.cols_per_adc, plan.adc_bits
    groups = _groups(plan, columns)
    width = round(columns * grid.pitch, 4)
    name = name or f"sar_{columns}c_k{k}_b{bits}"
    instances = sar_instances(plan, groups)
    placed, tap_x, rows = _place(instances, width, comparator_pins(plan, groups, grid))
    escapes = _escape_rows(plan, groups, width)
    height = _height(rows, escapes)
    cv = CellCanvas(name, tech, width, height)

    # rails, wells, cells
    for net, (y, w) in SAR_RAILS.items():
        cv.hwire("met1", 0, width, y, w)
        cv.pin(net, "met1", 0, y - w / 2, width, y + w / 2)
    cv.rails.update({"VDD": SAR_RAILS["VDD"][0], "VSS": SAR_RAILS["VSS"][0]})
    rail_nets = []
    for r in range(rows + 1):
        y = _ROW0 + r * ROW_HEIGHT
        cv.hwire("met1", 0, width, y, _RAIL_W)
        rail_nets.append(("VSS" if r % 2 == 0 else "VDD", y))
    for r in range(rows):
        y0 = _ROW0 + r * ROW_HEIGHT
        lo, hi = (
            (y0 + _NWELL[0], y0 + _NWELL[1])
            if r % 2 == 0
            else (y0 + ROW_HEIGHT - _NWELL[1], y0 + ROW_HEIGHT - _NWELL[0])
        )
        cv.rect("nwell", 0, lo, width, hi)
        # one high-Vt implant band over the row's PMOS (the cells' own bands, 1.25 µm to the row's n-well
        # edge, would meet corner to corner between offset cells of neighbouring rows: hvtp.1/hvtp.2)
        h0, h1 = (y0 + _HVTP, y0 + ROW_HEIGHT) if r % 2 == 0 else (y0, y0 + ROW_HEIGHT - _HVTP)
        cv.rect("hvtp", _MARGIN, h0, width - _MARGIN, h1)
    tap = load_cell(_TAP)
    refs = [(tap, x, r) for r in range(rows) for x in tap_x] + [(p.cell, p.x, p.row) for p in placed]
    for cell, x, r in refs:
        mirror = r % 2 == 1
        y = _ROW0 + (r + 1) * ROW_HEIGHT if mirror else _ROW0 + r * ROW_HEIGHT
        cv.cell.add(gdstk.Reference(cell.cell, (x, y), x_reflection=mirror))

    router = TrackRouter(
        x0=SITE / 2,
        y0=_ROW0 + 0.17 - PITCH_Y,
        nx=int((width - SITE) / PITCH_X) + 1,
        ny=4 * rows + escapes + 1,
    )
    # the met4 power stripes over the tap columns on both sides (tapcol.STRIPE_X): 0.14 µm outside the block
    router.add(M4, (-1.5, 0, -0.14, height), "#stripe")
    router.add(M4, (width + 0.14, 0, width + 1.5, height), "#stripe")
    for net, (y, w) in SAR_RAILS.items():
        router.add("met1", (0, y - w / 2, width, y + w / 2), net)
    for net, y in rail_nets:
        router.add("met1", (0, y - _RAIL_W / 2, width, y + _RAIL_W / 2), net)
    # supply straps at the first and last grid columns: every row rail to its bottom rail
    strap = {"VSS": router.x(0), "VDD": router.x(router.nx - 1)}
    for net, x in strap.items():
        y_bottom = SAR_RAILS[net][0]
        y_top = max(y for n, y in rail_nets if n == net)
        cv.vwire("met2", x, y_bottom, y_top, 0.26)
        router.add(M2, (x - 0.13, y_bottom - 0.2, x + 0.13, y_top + 0.2), net)
        for y in [y_bottom, *(y for n, y in rail_nets if n == net)]:
            cv.via1(x, y, along="y")
    terminals: dict[str, list[list[tuple[int, int, str]]]] = {}
    _access_pins(cv, router, placed, terminals)
    _bottom_terminals(cv, router, plan, groups, terminals)
    _top_terminals(cv, router, plan, groups, grid, height, terminals, 4 * rows + 1)

    for shape in router.route_all(terminals):
        cv.rect(shape.layer, *shape.box)

    ports = [
        *[p for g in range(groups) for p in (f"OUTP_{g}", f"OUTN_{g}")],
        *[f"DB{b}_{g * k + j}" for g in range(groups) for j, b, _ in plan.lines()],
        *[f"DOUT{b}_{g}" for g in range(groups) for b in range(bits)],
        "CLK",
        "RST",
        "VDD",
        "VSS",
    ]
    lines = []
    for p in placed:
        nets = [p.inst.nets.get(port) or SUPPLY_PINS.get(port) for port in p.cell.ports]
        if None in nets:
            raise SpecError(f"SAR cell {p.inst.name} ({p.cell.name}) leaves a pin unconnected")
        lines.append(f"X{p.inst.name} {' '.join(nets)} {p.cell.name}")  # type: ignore[arg-type]
    used = {p.cell.name: p.cell for p in placed}
    library = "".join(c.spice for c in sorted(used.values(), key=lambda c: c.name))
    devices = sum(p.cell.devices for p in placed)
    drawn = cv.finish(
        "sar",
        ports,
        [],
        params={"columns": columns, "cols_per_adc": k, "adc_bits": bits, "rows": rows, "cells": len(placed)},
    )
    drawn.spice = library + subckt(name, ports, lines)
    drawn.meta["devices"] = devices
    return drawn


Terminals = dict[str, list[list[tuple[int, int, str]]]]


def _cell_frame(p: _Placed) -> tuple[float, bool]:
    """y of the cell origin in the block and whether the row is mirrored."""
    mirror = p.row % 2 == 1
    return (_ROW0 + (p.row + 1) * ROW_HEIGHT if mirror else _ROW0 + p.row * ROW_HEIGHT), mirror


def _to_block(p: _Placed, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    y0, mirror = _cell_frame(p)
    if mirror:
        return (p.x + box[0], y0 - box[3], p.x + box[2], y0 - box[1])
    return (p.x + box[0], y0 + box[1], p.x + box[2], y0 + box[3])


def _access_pins(cv: CellCanvas, router: TrackRouter, placed: list[_Placed], terminals: Terminals) -> None:
    """A contact stack (mcon, met1, via1, met2) on one access point of every signal pin, on the grid."""
    for p in placed:  # the cells' own met1 and mcon are obstacles for the pin contacts
        for layer, shapes in (("met1", p.cell.met1), ("mcon", p.cell.mcon)):
            for box, pin in shapes:
                owner = (p.inst.nets.get(pin) or SUPPLY_PINS.get(pin)) if pin else None
                router.add(layer, _to_block(p, box), owner or f"#{p.inst.name}")
    pins = [(p, pin, net) for p in placed for pin, net in p.inst.nets.items()]
    pins.sort(key=lambda t: len(t[0].cell.pins.get(t[1], [])))
    for p, pin, net in pins:
        y_origin, mirror = _cell_frame(p)
        for xl, yl in p.cell.pins.get(pin, []):
            x, y = round(p.x + xl, 4), round(y_origin - yl if mirror else y_origin + yl, 4)
            if _try_access(cv, router, net, x, y, terminals):
                break
        else:
            raise SpecError(
                f"SAR cell {p.inst.name} ({p.cell.name}): no contact fits on pin {pin}",
                hint="a placement the router cannot reach; report it with the spec",
            )


def _try_access(
    cv: CellCanvas, router: TrackRouter, net: str, x: float, y: float, terminals: Terminals
) -> bool:
    """Contact the pin at ``(x, y)`` from the nearer, else the farther, of the two grid columns beside it."""
    f = (x - router.x0) / PITCH_X
    columns = sorted({math.floor(f), math.ceil(f)}, key=lambda i: abs(i - f))
    return any(_try_column(cv, router, net, x, y, i, terminals) for i in columns if 0 < i < router.nx - 1)


def _try_column(
    cv: CellCanvas, router: TrackRouter, net: str, x: float, y: float, i: int, terminals: Terminals
) -> bool:
    xg = router.x(i)
    f = (y - router.y0) / PITCH_Y
    m = round(f)
    on_grid = abs(f - m) < 1e-6
    if on_grid:
        nodes = [(i, m, M2)]
        met2 = [(xg - 0.14, y - 0.185, xg + 0.14, y + 0.185)]
    else:
        m = math.floor(f)
        nodes = [(i, m, M2), (i, m + 1, M2)]
        met2 = [
            (xg - 0.07, router.y(m), xg + 0.07, router.y(m + 1)),
            (xg - 0.13, y - 0.16, xg + 0.13, y + 0.16),
        ]
    if not all(0 <= n[1] < router.ny for n in nodes):
        return False
    mcon = (x - R.mcon / 2, y - R.mcon / 2, x + R.mcon / 2, y + R.mcon / 2)
    port = net in router.nets_at("met1", x, y)  # the pin has a met1 port here: no mcon of ours
    if not port and not router.clear("mcon", mcon, net, spacing=R.mcon_s):
        return False
    if not all(router.clear(M2, box, net) for box in met2):
        return False
    lo, hi = min(x, xg), max(x, xg)
    for met1 in (
        (min(x - 0.115, xg - 0.13), y - 0.17, max(x + 0.115, xg + 0.13), y + 0.17),
        (lo - 0.17, y - 0.13, hi + 0.17, y + 0.13),
    ):
        if router.clear("met1", met1, net):
            break
    else:
        return False
    if not port:
        cv.box("mcon", x, y, R.mcon, R.mcon)
        router.add("mcon", mcon, net)
    cv.rect("met1", *met1)
    cv.box("via", xg, y, R.via, R.via)
    router.add("met1", met1, net)
    for box in met2:
        cv.rect("met2", *box)
        router.add(M2, box, net)
    terminals.setdefault(net, []).append(nodes)
    return True


def _riser(cv: CellCanvas, router: TrackRouter, net: str, y_from: float, i: int) -> None:
    """A met2 line from ``y_from`` up to grid node (i, 0), registered as ``net``."""
    x = router.x(i)
    box = (x - 0.13, y_from - 0.16, x + 0.13, router.y(0) + 0.185)
    cv.rect("met2", *box)
    router.add(M2, box, net)


def _riser_free(router: TrackRouter, i: int, y_from: float) -> bool:
    x = router.x(i)
    box = (x - 0.14, y_from - 0.185, x + 0.14, router.y(0) + 0.185)
    return router.clear(M2, box, "#probe")


def _bottom_terminals(
    cv: CellCanvas,
    router: TrackRouter,
    plan: DacPlan,
    groups: int,
    terminals: Terminals,
) -> None:
    """CLK and RST from their rails, and the DOUT pins (met3, bottom edge), onto the grid's first row."""
    free = [i for i in range(1, router.nx - 1) if _riser_free(router, i, 0.4)]
    if len(free) < 2:
        raise SpecError("the SAR block has no room for its clock and reset", hint="more cols_per_adc")
    used: list[int] = free[:2]
    for net, i in zip(("CLK", "RST"), used, strict=True):
        y = SAR_RAILS[net][0]
        _riser(cv, router, net, y, i)
        cv.via1(router.x(i), y, along="x")
        terminals.setdefault(net, []).append([(i, 0, M2)])
    # result pins every 1.5 grid columns (met3 pitch 0.69 µm), right of the clock and reset risers: a met2
    # riser each to a met3 jog (on the first of the lowest rows where it fits) that ends on a grid node
    half = R.m3_w / 2 + 0.02
    x_pin = router.x(max(used)) + 2 * PITCH_X
    for g in range(groups):
        for b in range(plan.adc_bits):
            net = f"DOUT{b}_{g}"
            while True:
                if x_pin + 1.5 * PITCH_X > router.x(router.nx - 2):
                    raise SpecError(
                        "the SAR block has no room for its result pins",
                        hint="more cols_per_adc (fewer ADC groups per tap segment) or fewer adc_bits",
                    )
                if _dout(cv, router, net, x_pin, half, terminals):
                    break
                x_pin = round(x_pin + PITCH_X / 2, 4)
            x_pin = round(x_pin + 1.5 * PITCH_X, 4)


def _dout(cv: CellCanvas, router: TrackRouter, net: str, x: float, half: float, terminals: Terminals) -> bool:
    """The result pin ``net`` at ``x``: met3 pin, via2, met2 riser, met3 jog to a grid column 1.5 columns
    right (its via2 clear of the riser's); False when no low row has room."""
    i = router.column(x + 1.5 * PITCH_X - 0.01)
    xg = router.x(i)
    y_via = _PIN_H - 0.2
    for m in range(4):
        y = router.y(m)
        riser = (x - 0.13, y_via - 0.185, x + 0.13, y + 0.185)
        jog = (x - 0.17, y - 0.17, xg + 0.19, y + 0.17)
        if not (router.clear(M2, riser, net) and router.clear(M3, jog, net)):
            continue
        if not router.clear("via2", (x - 0.1, y - 0.1, x + 0.1, y + 0.1), "#cut", spacing=R.via2_s):
            continue
        cv.rect("met3", x - half, 0, x + half, _PIN_H)
        cv.pin(net, "met3", x - half, 0, x + half, _PIN_H)
        router.add(M3, (x - half, 0, x + half, _PIN_H), net)
        for yv in (y_via, y):
            cv.via2(x, yv, along="y")
            router.add("via2", (x - 0.1, yv - 0.1, x + 0.1, yv + 0.1), net)
        cv.rect("met2", *riser)
        router.add(M2, riser, net)
        cv.rect("met3", *jog)
        router.add(M3, jog, net)
        terminals.setdefault(net, []).append([(i, m, M3)])
        return True
    return False


def _top_terminals(
    cv: CellCanvas,
    router: TrackRouter,
    plan: DacPlan,
    groups: int,
    grid: ColumnGrid,
    height: float,
    terminals: Terminals,
    first_escape: int,
) -> None:
    """Comparator outputs (met2) and DAC lines (met4) from the top edge onto an escape track each."""
    k = plan.cols_per_adc
    pins: list[tuple[float, str, str]] = []
    half4 = (R.via3 + 2 * R.m4_via3) / 2
    pins += [(x, net, "met2") for net, x in comparator_pins(plan, groups, grid).items()]
    for g in range(groups):
        for j, b, track in plan.lines():
            pins.append(((g * k + j) * grid.pitch + grid.m4(track), f"DB{b}_{g * k + j}", "met4"))
    for x, net, layer in sorted(pins):
        w = grid.met2_w / 2 if layer == "met2" else half4
        cv.rect(layer, x - w, height - _PIN_H, x + w, height)
        cv.pin(net, layer, x - w, height - _PIN_H, x + w, height)
        # the grid column of the escape: at x, or far enough that its via2 clears ours (via2.1a, via2.2)
        columns = [
            i for i in range(1, router.nx - 1) if abs(router.x(i) - x) < 0.005 or abs(router.x(i) - x) >= 0.4
        ]
        i = min(columns, key=lambda c: abs(router.x(c) - x))
        xg = router.x(i)
        for m in range(router.ny - 1, first_escape - 1, -1):
            y = router.y(m)
            lo, hi = min(x, xg) - 0.19, max(x, xg) + 0.19  # the via pads: 0.09 beyond a via3 along x
            if hi - lo < 0.72:
                mid = (lo + hi) / 2
                lo, hi = mid - 0.36, mid + 0.36
            jog = (lo, y - 0.17, hi, y + 0.17)
            down = (x - 0.14, y - 0.185, x + 0.14, height) if layer == "met2" else None
            if not router.clear(M3, jog, net) or (down and not router.clear(M2, down, net)):
                continue
            if not router.clear(M3, router.node_box((i, m, M3)), net):
                continue
            cv.rect("met3", *jog)
            router.add(M3, jog, net)
            if layer == "met2":
                cv.rect("met2", x - w, y, x + w, height)
                cv.via2(x, y, along="y")
                router.add(M2, down, net)  # type: ignore[arg-type]
                router.add("via2", (x - R.via2 / 2, y - R.via2 / 2, x + R.via2 / 2, y + R.via2 / 2), net)
            else:
                cv.rect("met4", x - w, y - w, x + w, height)
                cv.via3(x, y, along="x")
                router.add("met4", (x - w, y - w, x + w, height), net)
                router.add("via3", (x - R.via3 / 2, y - R.via3 / 2, x + R.via3 / 2, y + R.via3 / 2), net)
            terminals.setdefault(net, []).append([(i, m, M3)])
            break
        else:
            raise SpecError(
                f"the SAR block has no escape track left for {net}",
                hint="more cols_per_adc or fewer adc_bits",
            )


def sar_logic_subckt(plan: DacPlan, name: str) -> tuple[str, list[str]]:
    """The SAR logic of one ADC group as drawn (the cells of :func:`sar_instances`) for simulation.

    Returns the SPICE text (``.subckt name`` first, then the standard cells' subcircuits) and its port order:
    ``OUTP OUTN DB<b>_<j>... DOUT<b>... CLK RST VDD VSS VPB VNB`` (``j`` the column in the group); the
    internal nets are those of :func:`sar_instances` without the group suffix (the token ``T<b>``, ...).
    """
    instances = sar_instances(plan, 1)
    supply = {"VPWR": "VDD", "VGND": "VSS", "VPB": "VPB", "VNB": "VNB"}

    def local(net: str) -> str:  # the group's nets without the group suffix (T3_0 -> T3); DB<b>_<j> kept
        return net if net.startswith("DB") or not net.endswith("_0") else net[:-2]

    lines, used = [], {}
    for inst in instances:
        cell = load_cell(inst.cell)
        used[cell.name] = cell
        nets = [local(inst.nets[p]) if p in inst.nets else supply[p] for p in cell.ports]
        lines.append(f"X{inst.name} {' '.join(nets)} {cell.name}")
    dac = [f"DB{b}_{j}" for j, b, _ in plan.lines()]
    ports = [
        "OUTP",
        "OUTN",
        *dac,
        *[f"DOUT{b}" for b in range(plan.adc_bits)],
        "CLK",
        "RST",
        "VDD",
        "VSS",
        "VPB",
        "VNB",
    ]
    library = "".join(c.spice for c in sorted(used.values(), key=lambda c: c.name))
    return subckt(name, ports, lines) + library, ports
