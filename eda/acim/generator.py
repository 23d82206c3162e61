"""Template-based hierarchical ACIM macro generator: GDS (gdstk), SPICE netlist, abstract, LEF.

Every leaf cell is placed as a gdstk reference — rows as arrays between the well-tap columns (odd
bitcell rows mirrored), never flattened. Cells connect by abutment (full-width met1 rails, full-height met2
column lines). Drawn per macro on top: the MIM compute capacitors over every local array
(:mod:`eda.acim.celllib.mimcap`), the met4 DAC and VSS lines that tie their top plates
(:mod:`eda.acim.dacplan`), the standard-cell SAR blocks (one per tap segment,
:mod:`eda.acim.celllib.sar`), the power grid (a met4 stripe over every tap column, VDD and VSS alternating, strapped to the tap columns' met2 lines and to a VDD/VSS ring on met4/met5), pin
stubs to the macro edge with labels, and the boundary. Positions come from :func:`floorplan`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gdstk

from eda.acim.celllib.cell import DrawnCell
from eda.acim.celllib.grid import ColumnGrid
from eda.acim.celllib.mimcap import mimcap
from eda.acim.celllib.sar import sar_block
from eda.acim.celllib.tapcol import STRIPE_X, TAP_VDD_X, TAP_VSS_X, tap_cell
from eda.acim.dacplan import VSS_NET, DacPlan, dac_plan
from eda.acim.floorplan import Floorplan, floorplan
from eda.acim.library import CellInfo, Library, load_library
from eda.acim.netnames import row_template
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError
from eda.layout.sky130 import R
from eda.tech import Tech, load_tech

__all__ = ["Macro", "generate"]

_M4 = R.via3 + 2 * R.m4_via3  # 0.33: DAC line width (via3 pad)


@dataclass
class Macro:
    """A generated macro: floorplan, DAC plan, gdstk library and top cell, netlist lines and written files."""

    spec: ACIMSpec
    floorplan: Floorplan
    plan: DacPlan
    library: gdstk.Library
    top: gdstk.Cell
    netlist: list[str]
    pins: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.top.name


class _Builder:
    def __init__(self, spec: ACIMSpec, lib: Library, tech: Tech, name: str) -> None:
        self.spec, self.lib, self.tech = spec, lib, tech
        self.fp = floorplan(spec, lib)
        self.grid = ColumnGrid.for_pitch(lib.column_pitch)
        self.plan = dac_plan(spec.local_arrays_per_column, spec.cols_per_adc, spec.adc_bits)
        self.gds = gdstk.Library(name=name, unit=1e-6, precision=1e-9)
        self.top = gdstk.Cell(name)
        self.cells: dict[str, gdstk.Cell] = {}
        self.infos: dict[str, CellInfo] = {}
        self.lines: list[str] = []
        self.counts: dict[str, int] = {}
        self.pins: list[dict[str, Any]] = []
        self.subckts: list[str] = []
        self.k = spec.cols_per_adc

    # -- cells ---------------------------------------------------------------------------------------
    def leaf(self, role: str) -> tuple[gdstk.Cell, CellInfo]:
        info = self.lib.role(role)
        if info.name not in self.cells:
            if info.gds is None or not info.gds.is_file():
                raise SpecError(f"cell '{info.name}' has no GDS file", where=str(self.lib.path))
            source = gdstk.read_gds(str(info.gds))
            cell = next((c for c in source.cells if c.name == info.name), None)
            if cell is None:
                raise SpecError(f"{info.gds} does not contain cell '{info.name}'")
            self.gds.add(cell)
            self.cells[info.name], self.infos[info.name] = cell, info
            if info.spice and info.spice.is_file() and info.devices:
                self.subckts.append(info.spice.read_text())
        return self.cells[info.name], self.infos[info.name]

    def drawn(self, drawn: DrawnCell, *, netlist: bool = True) -> tuple[gdstk.Cell, CellInfo]:
        """Add a cell drawn for this macro (capacitors, SAR blocks, their tap cells)."""
        name = drawn.cell.name
        if name not in self.cells:
            self.gds.add(drawn.cell)
            self.cells[name], self.infos[name] = drawn.cell, CellInfo.from_meta(drawn.meta)
            if netlist and self.infos[name].devices:
                self.subckts.append(drawn.spice)
        return self.cells[name], self.infos[name]

    def cap(self, track: int) -> tuple[gdstk.Cell, CellInfo]:
        compute = self.lib.role("compute")
        via2 = tuple(compute.params["ctop_via2"])
        name = f"mimcap_{round(self.spec.unit_cap_fF * 1000)}a_t{track}"
        if name in self.cells:
            return self.cells[name], self.infos[name]
        return self.drawn(
            mimcap(self.tech, self.spec.unit_cap_fF, track, via2, compute.height, self.grid, name)
        )

    # -- placement -----------------------------------------------------------------------------------
    def place(
        self,
        cell: gdstk.Cell,
        x: float,
        y: float,
        height: float,
        *,
        columns: int = 1,
        spacing: float = 0.0,
        mirror: bool = False,
    ) -> None:
        origin = (round(x, 4), round(y + height, 4) if mirror else round(y, 4))
        self.top.add(
            gdstk.Reference(cell, origin, x_reflection=mirror, columns=columns, rows=1, spacing=(spacing, 0))
        )

    def instances(
        self,
        info: CellInfo,
        role: str,
        prefix: str,
        fields: dict[str, Any],
        cols: range | list[int],
        extra: dict[int, dict[str, Any]] | None = None,
    ) -> None:
        """Netlist lines of ``info`` placed in columns ``cols`` (``fields`` fixed, ``c`` = the column); cells
        without devices (fillers) are layout only."""
        if not info.devices:
            return
        template = row_template(info.ports, role, self.k)
        for key, value in fields.items():
            template = template.replace("{" + key + "}", str(value))
        if extra is None and "{" not in template.replace("{c}", ""):
            parts = template.split("{c}")
            self.lines.extend(f"X{prefix}{c} {str(c).join(parts)} {info.name}" for c in cols)
        else:
            for c in cols:
                values = {"c": c, **(extra or {}).get(c, {})}
                self.lines.append(f"X{prefix}{c} {template.format(**values)} {info.name}")
        self.counts[role] = self.counts.get(role, 0) + len(cols)

    def segment(self, kind: str, roles: tuple[str, ...], tap: gdstk.Cell | None, height: float) -> gdstk.Cell:
        """The repeat unit of a row: a tap cell (when given) then ``tap_every`` columns, column j of every ADC
        group drawn by ``roles[j]``. A layout-only level of hierarchy (LVS flattens it)."""
        name = f"{self.top.name}__seg_{kind}"
        if name in self.cells:
            return self.cells[name]
        fp, k = self.fp, self.k
        unit = gdstk.Cell(name)
        x0 = fp.tap_w if tap is not None else 0.0
        if tap is not None:
            unit.add(gdstk.Reference(tap, (0, 0)))
        for j, role in enumerate(roles):
            cell = self.leaf(role)[0] if role in self.lib.roles else self.cells[role]
            unit.add(
                gdstk.Reference(
                    cell,
                    (round(x0 + j * fp.pitch, 4), 0),
                    columns=fp.tap_every // k,
                    rows=1,
                    spacing=(k * fp.pitch, 0),
                )
            )
        self.gds.add(unit)
        self.cells[name] = unit
        return unit

    def row(
        self,
        unit: gdstk.Cell,
        y: float,
        height: float,
        *,
        mirror: bool = False,
        last_tap: gdstk.Cell | None = None,
    ) -> None:
        """Place a row of segments from the first tap column, and the closing tap column."""
        fp = self.fp
        self.place(
            unit,
            fp.tap_x(0),
            y,
            height,
            columns=fp.n_taps - 1,
            spacing=fp.tap_w + fp.tap_every * fp.pitch,
            mirror=mirror,
        )
        if last_tap is not None:
            self.place(last_tap, fp.tap_x(fp.n_taps - 1), y, height, mirror=mirror)

    def place_array(self) -> None:
        s, fp, k = self.spec, self.fp, self.k
        _, bit_info = self.leaf("bitcell")
        drv_cell, drv_info = self.leaf("row_driver")
        tap_bit, _ = self.leaf("tap_bitcell")
        _, cmp_info = self.leaf("compute")
        ctl_cell, ctl_info = self.leaf("ctrl_driver")
        tap_cmp, _ = self.leaf("tap_compute")
        bit_unit = self.segment("bitcells", ("bitcell",) * k, tap_bit, fp.bit_h)
        cmp_unit = self.segment("compute", ("compute",) * k, tap_cmp, fp.compute_h)
        cols = range(s.cols)
        for r in range(s.rows):
            g, y, mirror = r // s.local_array_size, fp.row_y(r), fp.row_mirrored(r)
            self.row(bit_unit, y, fp.bit_h, mirror=mirror, last_tap=tap_bit)
            self.place(drv_cell, fp.array.x0 - drv_info.width, y, fp.bit_h, mirror=mirror)
            self.instances(bit_info, "bitcell", f"b{r}_", {"r": r, "g": g}, cols)
            self.instances(drv_info, "row_driver", "d", {"r": r}, [r])
        for g in range(s.local_arrays_per_column):
            y = fp.compute_y(g)
            self.row(cmp_unit, y, fp.compute_h, last_tap=tap_cmp)
            self.place(ctl_cell, fp.array.x0 - ctl_info.width, y, fp.compute_h)
            self.instances(cmp_info, "compute", f"m{g}_", {"g": g}, cols)
            self.instances(ctl_info, "ctrl_driver", "k", {"g": g}, [g])
        self.counts["tap_columns"] = fp.n_taps

    def place_caps(self) -> None:
        s, fp, k = self.spec, self.fp, self.k
        for g in range(s.local_arrays_per_column):
            tracks = tuple(self.plan.columns[j].track(g) for j in range(k))
            names = tuple(self.cap(t)[0].name for t in tracks)
            unit = self.segment("caps_" + "".join(str(t) for t in tracks), names, None, 0.0)
            self.place(
                unit,
                fp.column_x(0),
                fp.compute_y(g),
                0.0,
                columns=fp.n_taps - 1,
                spacing=fp.tap_w + fp.tap_every * fp.pitch,
            )
            for j in range(k):
                column = self.plan.columns[j]
                _, info = self.cap(column.track(g))
                net = column.net(g)
                top = "VSS" if net == VSS_NET else f"{net}_{{c}}"
                self.instances(info, "cap", f"c{g}_", {"g": g, "top": top}, range(j, s.cols, k))

    def place_periphery(self) -> None:
        s, fp, k = self.spec, self.fp, self.k
        last = k - 1
        for kind, roles, y0, h, tap_role in (
            (
                "colper",
                tuple("colper_end" if j == last else "colper" for j in range(k)),
                fp.colper.y0,
                fp.colper_h,
                "tap_colper",
            ),
            (
                "adc",
                tuple("adc" if j == last else "adc_fill" for j in range(k)),
                fp.adc.y0,
                fp.adc_h,
                "tap_adc",
            ),
        ):
            tap, _ = self.leaf(tap_role)
            self.row(self.segment(kind, roles, tap, h), y0, h, last_tap=tap)
            for j, role in enumerate(roles):
                _, info = self.leaf(role)
                cols = list(range(j, s.cols, k))
                self.instances(info, role, role[:2], {}, cols, {c: {"a": c // k} for c in cols})
        every = fp.tap_every
        sar = sar_block(self.tech, self.plan, every, self.grid, name=f"{self.top.name}__sar")
        if abs(float(sar.meta["height_um"]) - fp.sar_h) > 1e-6:
            raise SpecError(
                f"SAR block height {sar.meta['height_um']} µm differs from the floorplan's {fp.sar_h}"
            )
        sar_cell, sar_info = self.drawn(sar)
        for dependency in sar_cell.dependencies(True):  # the foundry standard cells it places
            if dependency.name not in self.cells:
                self.gds.add(dependency)
                self.cells[dependency.name] = dependency
        tap_sar, _ = self.drawn(tap_cell(sar, self.tech, name=f"{self.top.name}__tap_sar"), netlist=False)
        unit = gdstk.Cell(f"{self.top.name}__seg_sar")
        unit.add(gdstk.Reference(tap_sar, (0, 0)), gdstk.Reference(sar_cell, (fp.tap_w, 0)))
        self.gds.add(unit)
        self.cells[unit.name] = unit
        self.row(unit, fp.sar.y0, fp.sar_h, last_tap=tap_sar)
        groups = every // k
        for seg in range(s.cols // every):
            nets = [_sar_net(port, seg, every, groups) for port in sar_info.ports]
            self.lines.append(f"Xsar{seg} {' '.join(nets)} {sar_info.name}")
        self.counts["sar"] = s.cols // every

    def place_dac_lines(self) -> None:
        """met4 DAC lines from the SAR (VSS lines from a via stack in the column periphery) up to the top of
        their capacitors' run, with the one jog of :class:`~eda.acim.dacplan.ColumnPlan`."""
        s, fp, plan, grid = self.spec, self.fp, self.plan, self.grid
        compute = self.lib.role("compute")
        via_y = [
            fp.compute_y(g) + compute.height + R.m3_capm + self.lib.cap_size(s.unit_cap_fF)[1] / 2
            for g in range(s.local_arrays_per_column)
        ]
        colper_vss = fp.colper.y0 + fp.colper_h / 2
        n_lines = 0
        for c in range(s.cols):
            x0 = fp.column_x(c)
            column = plan.columns[c % self.k]
            for i, (net, _) in enumerate(column.runs):
                first, last = column.extent(i)
                xb, xa = x0 + grid.m4(column.tracks[i]), x0 + grid.m4(column.after[i])
                y_top = via_y[last] + _M4 / 2
                if net == VSS_NET:
                    y_bottom = colper_vss - _M4 / 2
                    self._vss_drop(xb, x0 + grid.met2("VSS"), colper_vss)
                else:
                    y_bottom = fp.sar.y1 - 0.5
                if xa == xb:
                    self._rect("met4", xb - _M4 / 2, y_bottom, xb + _M4 / 2, y_top)
                else:
                    y_jog = fp.compute_y(first) + fp.compute_h / 2
                    self._rect("met4", xb - _M4 / 2, y_bottom, xb + _M4 / 2, y_jog + _M4 / 2)
                    self._rect(
                        "met4", min(xa, xb) - _M4 / 2, y_jog - _M4 / 2, max(xa, xb) + _M4 / 2, y_jog + _M4 / 2
                    )
                    self._rect("met4", xa - _M4 / 2, y_jog - _M4 / 2, xa + _M4 / 2, y_top)
                n_lines += 1
        self.counts["dac_lines"] = n_lines

    def _vss_drop(self, x_m4: float, x_m2: float, y: float) -> None:
        """via3 from a VSS DAC line down to met3, across to the column's VSS met2 line, via2 onto it."""
        pad = R.via3 + 2 * R.m3_via3_adj
        self._square("via3", x_m4, y, R.via3)
        self._rect("met3", min(x_m4, x_m2) - pad / 2, y - pad / 2, max(x_m4, x_m2) + pad / 2, y + pad / 2)
        self._square("via2", x_m2, y, R.via2)
        self._rect("met2", x_m2 - 0.14, y - 0.185, x_m2 + 0.14, y + 0.185)

    def place_power(self) -> None:
        """A met4 stripe over every tap column (VDD on even, VSS on odd ones), strapped to that column's met2
        line in every compute row and the SAR row, and the VDD/VSS ring (met4 sides, met5 bars, via4)."""
        s, fp = self.spec, self.fp
        tap, _ = self.leaf("powertap")
        s_ring, w_ring = self.lib.power["ring_space_um"], self.lib.power["ring_width_um"]
        W, H = fp.width, fp.height  # noqa: N806
        centres = {}
        for level, net in ((0, "VDD"), (1, "VSS")):
            o = s_ring + level * (s_ring + w_ring)  # outer edge of this ring
            c = o + w_ring / 2
            centres[net] = c
            for x0 in (o, W - o - w_ring):  # vertical sides on met4
                self._rect("met4", x0, o, x0 + w_ring, H - o)
            for y0 in (o, H - o - w_ring):  # horizontal bars on met5
                self._rect("met5", o, y0, W - o, y0 + w_ring)
            for x, y in ((c, c), (W - c, c), (c, H - c), (W - c, H - c)):
                self._square("via4", x, y, R.via4)
            self._label(net, "met5", W / 2, c)
            self.pins.append(
                {
                    "name": net,
                    "layer": "met5",
                    "rect": [o, o, W - o, o + w_ring],
                    "use": "power" if net == "VDD" else "ground",
                    "direction": "inout",
                }
            )
        rows = [fp.compute_y(g) + fp.compute_h / 2 for g in range(s.local_arrays_per_column)]
        rows.append(fp.sar.y0 + fp.sar_h / 2)
        n_taps = 0
        for i in range(fp.n_taps):
            net = "VDD" if i % 2 == 0 else "VSS"
            x = fp.tap_x(i)
            line = x + (TAP_VDD_X if net == "VDD" else TAP_VSS_X)
            c = centres[net]
            self._rect("met4", x + STRIPE_X[0], c - 0.7, x + STRIPE_X[1], H - c + 0.7)
            for y in (c, H - c):
                self._square("via4", (2 * x + STRIPE_X[0] + STRIPE_X[1]) / 2, y, R.via4)
            for y in rows:
                self.place(tap, line, y, 0.0)
                n_taps += 1
        self.counts["power_taps"] = n_taps
        self.counts["stripes"] = fp.n_taps

    # -- pins ----------------------------------------------------------------------------------------
    def place_pins(self) -> None:
        """met1 stubs from the left edge to the drivers' and periphery rows' inputs, met2 bit-line pins at the
        top, met3 DOUT stubs at the bottom."""
        s, fp, grid = self.spec, self.fp, self.grid

        def left_stub(net: str, y0: float, y1: float, x1: float) -> None:
            self._rect("met1", 0.0, y0, x1, y1)
            self._label(net, "met1", 0.15, (y0 + y1) / 2)
            self.pins.append(
                {
                    "name": net,
                    "layer": "met1",
                    "rect": [0.0, round(y0, 4), 0.3, round(y1, 4)],
                    "use": "signal",
                    "direction": "input",
                }
            )

        drv = self.lib.role("row_driver")
        for r in range(s.rows):
            for port in ("WLN", "XN"):
                _, py0, _, py1 = drv.pin(port).rect
                y0, y1 = (fp.bit_h - py1, fp.bit_h - py0) if fp.row_mirrored(r) else (py0, py1)
                left_stub(f"{port}{r}", fp.row_y(r) + y0, fp.row_y(r) + y1, fp.array.x0 - drv.width)
        ctl = self.lib.role("ctrl_driver")
        for g in range(s.local_arrays_per_column):
            for port in ("PCHN", "ENN", "SHN", "RSTN"):
                _, py0, _, py1 = ctl.pin(port).rect
                left_stub(f"{port}{g}", fp.compute_y(g) + py0, fp.compute_y(g) + py1, fp.array.x0 - ctl.width)
        for role, y0, ports in (
            ("colper", fp.colper.y0, ("CRST", "CSH")),
            ("adc", fp.adc.y0, ("CLK", "VREF")),
        ):
            info = self.lib.role(role)
            for port in ports:
                _, py0, _, py1 = info.pin(port).rect
                left_stub(port, y0 + py0, y0 + py1, fp.array.x0)
        sar = next(i for i in self.infos.values() if i.role == "sar")
        for port in ("CLK", "RST"):
            _, py0, _, py1 = sar.pin(port).rect
            left_stub(f"{port}SAR", fp.sar.y0 + py0, fp.sar.y0 + py1, fp.array.x0)
        half = grid.met2_w / 2
        for c in range(s.cols):
            for net in ("BL", "BLB"):
                x = fp.column_x(c) + grid.met2(net)
                self._rect("met2", x - half, fp.array.y1, x + half, fp.height)
                self._label(f"{net}{c}", "met2", x, fp.height - 0.2)
                self.pins.append(
                    {
                        "name": f"{net}{c}",
                        "layer": "met2",
                        "rect": [
                            round(x - half, 4),
                            round(fp.height - 0.4, 4),
                            round(x + half, 4),
                            round(fp.height, 4),
                        ],
                        "use": "signal",
                        "direction": "inout",
                    }
                )
        groups = fp.tap_every // self.k
        for seg in range(s.cols // fp.tap_every):
            x_sar = fp.column_x(seg * fp.tap_every)
            for pin in sar.pins:
                if pin.name.startswith("DOUT"):
                    x0, _, x1, y1 = pin.rect
                    name, g = pin.name.rsplit("_", 1)
                    net = f"{name}_{seg * groups + int(g)}"
                    self._rect("met3", x_sar + x0, 0.0, x_sar + x1, fp.sar.y0 + y1)
                    self._label(net, "met3", x_sar + (x0 + x1) / 2, 0.2)
                    self.pins.append(
                        {
                            "name": net,
                            "layer": "met3",
                            "rect": [round(x_sar + x0, 4), 0.0, round(x_sar + x1, 4), 0.4],
                            "use": "signal",
                            "direction": "output",
                        }
                    )

    def place_net_labels(self) -> None:
        """Name internal macro nets with top-level labels on their wires (KLayout browsing, LVS names)."""
        s, fp, grid, k = self.spec, self.fp, self.grid, self.k
        m1, m2, m3, m4 = (self.tech.label(n) for n in ("met1", "met2", "met3", "met4"))
        Label = gdstk.Label  # noqa: N806
        labels: list[gdstk.Label] = []
        groups = range(s.local_arrays_per_column)
        compute = self.lib.role("compute")
        vx, vy = compute.params["ctop_via2"]
        dac_lines = self.plan.lines()
        for c in range(s.cols):
            x = fp.column_x(c)
            y_mid = fp.row_y(0) + fp.bit_h / 2
            labels.append(Label(f"CBL{c}", (x + grid.met2("CBL"), y_mid), layer=m2[0], texttype=m2[1]))
            for g in groups:
                y_row = fp.row_y(g * s.local_array_size) + fp.bit_h / 2
                labels.append(
                    Label(f"LRBL{g}_{c}", (x + grid.met2("LRBL"), y_row), layer=m2[0], texttype=m2[1])
                )
                labels.append(
                    Label(f"CTOP{g}_{c}", (x + vx, fp.compute_y(g) + vy), layer=m3[0], texttype=m3[1])
                )
            for j, b, track in dac_lines:
                if j == c % k:
                    labels.append(
                        Label(
                            f"DB{b}_{c}",
                            (x + grid.m4(track), fp.colper.y0 + fp.colper_h / 2),
                            layer=m4[0],
                            texttype=m4[1],
                        )
                    )
        for port in ("PCHB", "EN", "SH", "RST"):
            _, py0, _, py1 = compute.pin(port).rect
            labels += [
                Label(
                    f"{port}{g}",
                    (fp.column_x(0) + 0.15, fp.compute_y(g) + (py0 + py1) / 2),
                    layer=m1[0],
                    texttype=m1[1],
                )
                for g in groups
            ]
        bit = self.lib.role("bitcell")
        for port in ("WL", "RWL"):
            _, py0, _, py1 = bit.pin(port).rect
            pin_y = (py0 + py1) / 2
            for r in range(s.rows):
                y = fp.row_y(r) + (fp.bit_h - pin_y if fp.row_mirrored(r) else pin_y)
                labels.append(Label(f"{port}{r}", (fp.column_x(0) + 0.15, y), layer=m1[0], texttype=m1[1]))
        for a in range(s.adcs):
            x = fp.column_x(a * k + k - 1)
            y = (
                fp.colper.y0
                + (
                    self.lib.role("colper_end").pin("ADCIN").rect[1]
                    + self.lib.role("colper_end").pin("ADCIN").rect[3]
                )
                / 2
            )
            labels.append(Label(f"ADCIN{a}", (x + 0.3, y), layer=m1[0], texttype=m1[1]))
            for net, slot in (("OUTP", 0), ("OUTN", 4)):
                labels.append(
                    Label(f"{net}{a}", (x + grid.c(slot), fp.sar.y1 + 0.1), layer=m2[0], texttype=m2[1])
                )
        self.top.add(*labels)

    # -- helpers -------------------------------------------------------------------------------------
    def _rect(self, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
        lay, dt = self.tech.gds(layer)
        self.top.add(
            gdstk.rectangle(
                (round(x0, 4), round(y0, 4)), (round(x1, 4), round(y1, 4)), layer=lay, datatype=dt
            )
        )

    def _square(self, layer: str, x: float, y: float, size: float) -> None:
        self._rect(layer, x - size / 2, y - size / 2, x + size / 2, y + size / 2)

    def _label(self, text: str, layer: str, x: float, y: float) -> None:
        lay, tt = self.tech.label(layer)
        self.top.add(gdstk.Label(text, (round(x, 4), round(y, 4)), layer=lay, texttype=tt))

    def build(self, net_labels: bool = True) -> Macro:
        self.place_array()
        self.place_caps()
        self.place_periphery()
        self.place_dac_lines()
        self.place_power()
        self.place_pins()
        if net_labels:
            self.place_net_labels()
        self._rect("boundary", 0, 0, self.fp.width, self.fp.height)
        self.gds.add(self.top)
        return Macro(self.spec, self.fp, self.plan, self.gds, self.top, self.lines, self.pins, self.counts)


def _netlist_text(builder: _Builder, macro: Macro) -> str:
    ports = sorted({p["name"] for p in macro.pins}, key=_natural)
    head = [
        f"* ACIM macro {macro.name}: {json.dumps(builder.spec.to_dict())}",
        f"* library {builder.lib.name}, {len(macro.netlist)} instances",
        "",
    ]
    body = [".subckt " + macro.name + " " + " ".join(ports), *macro.netlist, f".ends {macro.name}", ""]
    return "\n".join(head) + "\n".join(builder.subckts) + "\n" + "\n".join(body)


def _sar_net(port: str, seg: int, every: int, groups: int) -> str:
    """Macro net of a port of the SAR block of tap segment ``seg`` (see :mod:`eda.acim.celllib.sar`)."""
    if port in ("CLK", "RST"):
        return f"{port}SAR"
    if port in ("VDD", "VSS"):
        return port
    name, index = port.rsplit("_", 1)
    if name.startswith("DB"):  # DB<b>_<column in the segment>
        return f"{name}_{seg * every + int(index)}"
    if name in ("OUTP", "OUTN"):
        return f"{name}{seg * groups + int(index)}"
    return f"{name}_{seg * groups + int(index)}"  # DOUT<b>_<group in the segment>


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def generate(
    spec: ACIMSpec,
    library: Library | str | Path | None = None,
    out_dir: str | Path | None = None,
    *,
    name: str | None = None,
    write_netlist: bool = True,
    net_labels: bool = True,
    views: bool = True,
    clock_MHz: float = 100.0,
    spice_convention: str = "lvs",
) -> Macro:
    """Generate the macro of ``spec`` with ``library``; write GDS, SPICE, abstract JSON, LEF, area JSON and
    (``views``) the Liberty view at ``clock_MHz``, Verilog black box and KLayout tech files
    (:mod:`eda.acim.views`). ``spice_convention`` is the netlist's device convention
    (:mod:`eda.acim.spice_convention`: ``lvs`` for the foundry LVS deck, ``open_pdks`` for ngspice/xschem).

    ``net_labels`` adds a top-level label naming every internal net (bit/word/compute/DAC lines) on its
    wire. Returns the :class:`Macro` (``files`` maps ``gds``/``netlist``/``abstract``/``lef``/``area`` to paths
    when ``out_dir`` is given).
    """
    from eda.acim.spice_convention import SPICE_CONVENTIONS

    if spice_convention not in SPICE_CONVENTIONS:
        raise SpecError(
            f"unknown SPICE convention '{spice_convention}'",
            where="spice_convention",
            hint=f"one of {', '.join(SPICE_CONVENTIONS)}",
        )
    t0 = time.perf_counter()
    lib = library if isinstance(library, Library) else load_library(library)
    tech = load_tech(lib.tech_file if lib.tech_file.is_file() else None)
    builder = _Builder(spec, lib, tech, name or spec.name)
    macro = builder.build(net_labels)
    macro.seconds["build"] = time.perf_counter() - t0
    if out_dir is None:
        return macro
    from eda.acim.abstract import write_abstract, write_lef
    from eda.acim.spice_convention import convert_netlist

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    macro.files["gds"] = out / f"{macro.name}.gds"
    macro.library.write_gds(macro.files["gds"])
    macro.seconds["gds"] = time.perf_counter() - t1
    if write_netlist:
        t2 = time.perf_counter()
        macro.files["netlist"] = out / f"{macro.name}.spice"
        macro.files["netlist"].write_text(convert_netlist(_netlist_text(builder, macro), spice_convention))
        macro.seconds["netlist"] = time.perf_counter() - t2
    macro.files["abstract"] = write_abstract(macro, out / f"{macro.name}.abstract.json")
    macro.files["lef"] = write_lef(macro, out / f"{macro.name}.lef")
    if views:  # Liberty + Verilog black box for digital flows, KLayout tech files (eda.acim.views)
        from eda.acim.abstract import abstract_dict
        from eda.acim.views import write_macro_views

        macro.files.update(
            write_macro_views(
                abstract_dict(macro),
                macro.files.get("netlist"),
                out,
                tech_file=lib.tech_file if lib.tech_file.is_file() else None,
                library=lib.path,
                clock_MHz=clock_MHz,
            )
        )
    area = {
        **macro.floorplan.to_dict(),
        "instances": macro.counts,
        "dac_plan": [[list(run) for run in col.runs] for col in macro.plan.columns],
    }
    macro.files["area"] = out / f"{macro.name}.area.json"
    macro.files["area"].write_text(json.dumps(area, indent=1))
    macro.seconds["total"] = time.perf_counter() - t0
    return macro
