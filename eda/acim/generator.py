"""Template-based hierarchical ACIM macro generator: GDS (gdstk), SPICE netlist, abstract, LEF.

Every leaf cell is placed as a gdstk reference — bitcell rows as one ``columns=W`` array each (odd rows
mirrored), compute/capacitor/periphery rows as arrays with the ADC-group period — never flattened. Cells
connect by abutment (full-width met2 tracks, full-height met3/met4 column lines); the generator adds the
power grid (met4 VDD/VSS stripes with via stacks onto every rail, a VDD/VSS ring on met4/met5 with via4),
pin stubs to the macro edge with labels, and the boundary. Positions come from :func:`floorplan`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gdstk

from eda.acim.cells import ColumnPlan
from eda.acim.floorplan import Floorplan, floorplan
from eda.acim.library import CellInfo, Library, load_library
from eda.acim.momcap import draw_momcap
from eda.acim.netnames import row_template
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError
from eda.layout.cellgen import G
from eda.tech import Tech, load_tech

__all__ = ["Macro", "generate", "cap_bit"]


def cap_bit(index: int, adc_bits: int) -> int | None:
    """DAC bit of the ``index``-th capacitor of an ADC group (binary weighted), None if not in the DAC.

    Index 0 is the termination capacitor (tied to VSS); indices ``2**b .. 2**(b+1)-1`` form bit ``b``
    (``2**b`` unit capacitors); capacitors beyond ``2**adc_bits`` take part in the MAC only.
    """
    if index == 0 or index >= 2**adc_bits:
        return None
    return index.bit_length() - 1


@dataclass
class Macro:
    """A generated macro: floorplan, gdstk library and top cell, netlist text and the written files."""

    spec: ACIMSpec
    floorplan: Floorplan
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
        self.plan = ColumnPlan(**{k: v for k, v in lib.columns.items() if k in ColumnPlan.__dataclass_fields__})
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
    def leaf(self, role: str, name: str | None = None) -> tuple[gdstk.Cell, CellInfo]:
        info = self.lib.cells[name] if name else self.lib.role(role)
        if info.name not in self.cells:
            if info.gds is None or not info.gds.is_file():
                raise SpecError(f"cell '{info.name}' has no GDS file", where=str(self.lib.path))
            source = gdstk.read_gds(str(info.gds))
            cell = next((c for c in source.cells if c.name == info.name), None)
            if cell is None:
                raise SpecError(f"{info.gds} does not contain cell '{info.name}'")
            self.gds.add(cell)
            self.cells[info.name] = cell
            self.infos[info.name] = info
            self.subckts.append(info.spice.read_text() if info.spice and info.spice.is_file() else "")
        return self.cells[info.name], self.infos[info.name]

    def cap(self, bit: int | None) -> tuple[gdstk.Cell, CellInfo]:
        base = self.lib.role("cap")
        tag = f"{base.name}_{round(self.spec.unit_cap_fF * 1000)}a_{'gnd' if bit is None else f'b{bit}'}"
        if tag not in self.cells:
            params = {k: v for k, v in base.params.items() if k not in ("bit", "cap_fF", "finger_length_um")}
            compiled = draw_momcap(tag, self.tech, self.lib.column_pitch, self.plan, params, self.spec.unit_cap_fF, bit)
            if abs(compiled.meta["height_um"] - self.fp.cap_h) > 1e-6:
                raise SpecError(f"cap cell height {compiled.meta['height_um']} != floorplan {self.fp.cap_h}")
            self.gds.add(compiled.cell)
            self.cells[tag] = compiled.cell
            self.infos[tag] = CellInfo(tag, "cap", compiled.meta["width_um"], compiled.meta["height_um"],
                                       tuple(compiled.meta["ports"]), (), rails=compiled.meta["rails"])
            self.subckts.append(compiled.spice)
        return self.cells[tag], self.infos[tag]

    def abstract_sar(self, name: str) -> tuple[gdstk.Cell, CellInfo]:
        """Draw the abstract SAR block for this ``cols_per_adc`` when the library stores no such width."""
        from eda.acim.cells import LibraryOptions, sar_block

        base = self.lib.role("sar")
        if not base.abstract:
            raise SpecError(f"library has no SAR block '{name}' for cols_per_adc={self.k}",
                            hint=f"SAR blocks: {sorted(n for n in self.lib.cells if n.startswith('sar'))}")
        compiled = sar_block(self.k, self.lib.column_pitch, self.plan, LibraryOptions(sar_height=base.height),
                             self.tech)
        compiled.cell.name = name
        self.gds.add(compiled.cell)
        info = CellInfo.from_meta(compiled.meta)
        self.cells[name], self.infos[name] = compiled.cell, info
        self.subckts.append(compiled.spice.replace(f"sar_k{self.k}", name))
        return compiled.cell, info

    # -- placement -----------------------------------------------------------------------------------
    def array(self, cell: gdstk.Cell, info: CellInfo, x: float, y: float, columns: int, spacing: float, *,
              mirror: bool = False, nets: list[dict[str, Any]] | None = None, role: str,
              row: tuple[str, dict[str, Any], range] | None = None) -> None:
        """Place ``columns`` copies from (x, y) every ``spacing`` µm and write their netlist instances.

        ``nets[i]`` gives the template fields of instance i (``inst`` is its name suffix); or ``row`` =
        (name prefix, fields fixed for the whole array, column indices) when only the column ``c`` varies —
        the fast path used for the bitcell, compute and capacitor rows.
        """
        origin = (x, y + info.height) if mirror else (x, y)
        self.top.add(gdstk.Reference(cell, origin, x_reflection=mirror, columns=columns, rows=1,
                                     spacing=(spacing, 0)))
        template = row_template(info.ports, role, self.k)
        if row is not None:
            prefix, fixed, cols = row
            for key, value in fixed.items():
                template = template.replace("{" + key + "}", str(value))
            parts = template.split("{c}")
            if all("{" not in part for part in parts):
                self.lines.extend(f"X{prefix}{c} {str(c).join(parts)} {info.name}" for c in cols)
                self.counts[role] = self.counts.get(role, 0) + columns
                return
            nets = [{"inst": f"{prefix}{c}", "c": c} for c in cols]
        for values in nets or []:
            self.lines.append(f"X{values['inst']} {template.format(**values)} {info.name}")
        self.counts[role] = self.counts.get(role, 0) + columns

    def place_array(self) -> None:
        s, fp = self.spec, self.fp
        bit_cell, bit_info = self.leaf("bitcell")
        drv_cell, drv_info = self.leaf("row_driver")
        cmp_cell, cmp_info = self.leaf("compute")
        for r in range(s.rows):
            g, y, mirror = r // s.local_array_size, fp.row_y(r), fp.row_mirrored(r)
            self.array(bit_cell, bit_info, fp.array.x0, y, s.cols, fp.pitch, mirror=mirror, role="bitcell",
                       row=(f"b{r}_", {"r": r, "g": g}, range(s.cols)))
            self.array(drv_cell, drv_info, fp.array.x0 - drv_info.width, y, 1, 0, mirror=mirror,
                       role="row_driver", nets=[{"inst": f"d{r}", "r": r}])
        ctl_cell, ctl_info = self.leaf("ctrl_driver")
        for g in range(s.local_arrays_per_column):
            self.array(ctl_cell, ctl_info, fp.array.x0 - ctl_info.width, fp.compute_y(g), 1, 0, role="ctrl_driver",
                       nets=[{"inst": f"k{g}", "g": g}])
            self.array(cmp_cell, cmp_info, fp.array.x0, fp.compute_y(g), s.cols, fp.pitch, role="compute",
                       row=(f"m{g}_", {"g": g}, range(s.cols)))
            for j in range(self.k):
                cell, info = self.cap(cap_bit(g * self.k + j, s.adc_bits))
                cols = range(j, s.cols, self.k)
                self.array(cell, info, fp.column_x(j), fp.group_y(g), len(cols), fp.pitch * self.k, role="cap",
                           row=(f"c{g}_", {"g": g}, cols))

    def place_periphery(self) -> None:
        s, fp, k = self.spec, self.fp, self.k
        for j in range(k):
            last = j == k - 1
            cols = range(j, s.cols, k)
            for role, y in (("colper_end" if last else "colper", fp.colper.y0), ("adc" if last else "adc_fill", fp.adc.y0)):
                cell, info = self.leaf(role)
                self.array(cell, info, fp.column_x(j), y, len(cols), fp.pitch * k, role=role,
                           nets=[{"inst": f"{role}{c}", "c": c, "a": c // k} for c in cols])
        sar_name = f"{self.lib.role('sar').name.rsplit('_k', 1)[0]}_k{k}"
        cell, info = self.leaf("sar", sar_name) if sar_name in self.lib.cells else self.abstract_sar(sar_name)
        nets = []
        for a in range(s.adcs):
            values: dict[str, Any] = {"inst": f"sar{a}", "a": a}
            values.update({f"c{j}": a * k + j for j in range(k)})
            nets.append(values)
        self.array(cell, info, fp.array.x0, fp.sar.y0, s.adcs, fp.pitch * k, role="sar", nets=nets)

    def place_power(self) -> None:
        """Via stacks on every VDD/VSS rail under each stripe, the stripes and the ring."""
        s, fp, plan = self.spec, self.fp, self.plan
        tap_cell, _ = self.leaf("tap_vdd")
        every = int(self.lib.power.get("stripe_every", 8))
        stripes = list(fp.stripe_columns)
        if not stripes:
            return
        rows: list[tuple[float, float, bool, dict[str, float]]] = []  # (y, height, mirrored, rails)
        for r in range(s.rows):
            rows.append((fp.row_y(r), fp.bit_h, fp.row_mirrored(r), self.lib.role("bitcell").rails))
        for g in range(s.local_arrays_per_column):
            rows.append((fp.compute_y(g), fp.compute_h, False, self.lib.role("compute").rails))
            rows.append((fp.group_y(g), fp.cap_h, False, self.lib.role("cap").rails))
        for role, y in (("colper", fp.colper.y0), ("adc", fp.adc.y0), ("sar", fp.sar.y0)):
            rows.append((y, 0.0, False, self.lib.role(role).rails))
        n_taps = 0
        for y, height, mirrored, rails in rows:
            for net, dx in (("VDD", plan.vdd_stripe), ("VSS", plan.vss_stripe)):
                ry = y + (height - rails[net] if mirrored else rails[net])
                self.top.add(gdstk.Reference(tap_cell, (fp.column_x(stripes[0]) + dx, ry), columns=len(stripes),
                                             rows=1, spacing=(every * fp.pitch, 0)))
                self.lines.extend(f"Xtap{n_taps + i} {net} powertap" for i in range(len(stripes)))
                n_taps += len(stripes)
        self.counts["power_taps"] = n_taps
        s_ring, w_ring = self.lib.power["ring_space_um"], self.lib.power["ring_width_um"]
        W, H = fp.width, fp.height
        for level, net in ((0, "VDD"), (1, "VSS")):
            o = s_ring + level * (s_ring + w_ring)  # outer edge of this ring
            c = o + w_ring / 2
            for x0 in (o, W - o - w_ring):  # vertical sides on met4
                self._rect("met4", x0, o, x0 + w_ring, H - o)
            for y0 in (o, H - o - w_ring):  # horizontal bars on met5
                self._rect("met5", o, y0, W - o, y0 + w_ring)
            for x, y in ((c, c), (W - c, c), (c, H - c), (W - c, H - c)):
                self._square("via4", x, y, 0.8)
            for col in stripes:
                x = fp.column_x(col) + (plan.vdd_stripe if net == "VDD" else plan.vss_stripe)
                self._rect("met4", x - plan.stripe_w / 2, c, x + plan.stripe_w / 2, H - c)
                for y in (c, H - c):
                    self._square("met4", x, y, 1.2)
                    self._square("via4", x, y, 0.8)
            self._label(net, "met5", W / 2, c)
            self.pins.append({"name": net, "layer": "met5", "rect": [o, o, W - o, o + w_ring],
                              "use": "power" if net == "VDD" else "ground", "direction": "inout"})
        self.counts["stripes"] = 2 * len(stripes)

    # -- pins ----------------------------------------------------------------------------------------
    def place_pins(self) -> None:
        """met2 stubs from row tracks to the left edge, met3 stubs for bit lines (top) and DOUT (bottom)."""
        s, fp = self.spec, self.fp
        def left_stub(net: str, y: float, x1: float) -> None:
            self._rect("met2", 0.0, y - G.track_w / 2, x1, y + G.track_w / 2)
            self._label(net, "met2", 0.15, y)
            self.pins.append({"name": net, "layer": "met2", "rect": [0.0, round(y - G.track_w / 2, 4), 0.3,
                              round(y + G.track_w / 2, 4)], "use": "signal", "direction": "input"})
        drv = self.lib.role("row_driver")
        for r in range(s.rows):
            for port in ("WLN", "XN"):
                pin_y = drv.pin(port).center[1]
                y = fp.row_y(r) + (fp.bit_h - pin_y if fp.row_mirrored(r) else pin_y)
                left_stub(f"{port}{r}", y, fp.array.x0 - drv.width)
        ctl = self.lib.role("ctrl_driver")
        for g in range(s.local_arrays_per_column):
            for port in ("PCHN", "ENN", "SHN", "RSTN"):
                left_stub(f"{port}{g}", fp.compute_y(g) + ctl.pin(port).center[1], fp.array.x0 - ctl.width)
        for role, y0, ports in (("colper", fp.colper.y0, ("CRST", "CSH")), ("adc", fp.adc.y0, ("CLK", "VREF"))):
            info = self.lib.role(role)
            for port in ports:
                left_stub(port, y0 + info.pin(port).center[1], fp.array.x0)
        sar = self.infos[next(n for n in self.infos if self.infos[n].role == "sar")]
        left_stub("CLKSAR", fp.sar.y0 + sar.pin("CLK").center[1], fp.array.x0)
        w = G.col_w / 2
        for c in range(s.cols):
            for net in ("BL", "BLB"):
                x = fp.column_x(c) + getattr(self.plan, net)
                self._rect("met3", x - w, fp.array.y1, x + w, fp.height)
                self._label(f"{net}{c}", "met3", x, fp.height - 0.2)
                self.pins.append({"name": f"{net}{c}", "layer": "met3", "rect": [round(x - w, 4), round(fp.height - 0.4, 4),
                                  round(x + w, 4), round(fp.height, 4)], "use": "signal", "direction": "inout"})
        for a in range(s.adcs):
            x_sar = fp.array.x0 + a * self.k * fp.pitch
            for pin in sar.pins:
                if pin.name.startswith("DOUT"):
                    x = x_sar + pin.center[0]
                    net = f"{pin.name}_{a}"
                    self._rect("met3", x - w, 0.0, x + w, fp.sar.y0 + pin.rect[3])
                    self._label(net, "met3", x, 0.2)
                    self.pins.append({"name": net, "layer": "met3", "rect": [round(x - w, 4), 0.0, round(x + w, 4), 0.4],
                                      "use": "signal", "direction": "output"})

    # -- helpers -------------------------------------------------------------------------------------
    def _rect(self, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
        lay, dt = self.tech.gds(layer)
        self.top.add(gdstk.rectangle((round(x0, 4), round(y0, 4)), (round(x1, 4), round(y1, 4)), layer=lay, datatype=dt))

    def _square(self, layer: str, x: float, y: float, size: float) -> None:
        self._rect(layer, x - size / 2, y - size / 2, x + size / 2, y + size / 2)

    def _label(self, text: str, layer: str, x: float, y: float) -> None:
        lay, tt = self.tech.label(layer)
        self.top.add(gdstk.Label(text, (round(x, 4), round(y, 4)), layer=lay, texttype=tt))

    def place_net_labels(self) -> None:
        """Name every internal macro net with a top-level label on its wire (KLayout browsing, LVS hints)."""
        s, fp, plan, k = self.spec, self.fp, self.plan, self.k
        m2, m3, m4 = (self.tech.label(n) for n in ("met2", "met3", "met4"))
        Label = gdstk.Label  # noqa: N806
        labels: list[gdstk.Label] = []
        y_mid = fp.row_y(0) + fp.bit_h / 2
        groups = range(s.local_arrays_per_column)
        y_lrbl = [fp.row_y(g * s.local_array_size) + fp.bit_h / 2 for g in groups]
        y_ctop = [fp.compute_y(g) + 0.1 for g in groups]
        for c in range(s.cols):
            x = fp.column_x(c)
            labels.append(Label(f"CBL{c}", (x + plan.CBL, y_mid), layer=m3[0], texttype=m3[1]))
            labels += [Label(f"DB{b}_{c}", (x + plan.db(b), y_mid), layer=m4[0], texttype=m4[1]) for b in range(8)]
            x_l, x_c = x + plan.LRBL, x + plan.CTOP
            labels += [Label(f"LRBL{g}_{c}", (x_l, y_lrbl[g]), layer=m3[0], texttype=m3[1]) for g in groups]
            labels += [Label(f"CTOP{g}_{c}", (x_c, y_ctop[g]), layer=m3[0], texttype=m3[1]) for g in groups]
        comp = self.lib.role("compute")
        for port in ("PCHB", "EN", "SH", "RST"):
            pin_y = comp.pin(port).center[1]
            labels += [Label(f"{port}{g}", (fp.array.x0 + 0.15, fp.compute_y(g) + pin_y), layer=m2[0], texttype=m2[1])
                       for g in groups]
        bit = self.lib.role("bitcell")
        for port in ("WL", "RWL"):
            pin_y = bit.pin(port).center[1]
            for r in range(s.rows):
                y = fp.row_y(r) + (fp.bit_h - pin_y if fp.row_mirrored(r) else pin_y)
                labels.append(Label(f"{port}{r}", (fp.array.x0 + 0.15, y), layer=m2[0], texttype=m2[1]))
        for a in range(s.adcs):
            x = fp.column_x(a * k + k - 1)
            labels.append(Label(f"ADCIN{a}", (x + plan.ADCIN, fp.colper.y0 + 0.1), layer=m3[0], texttype=m3[1]))
            for net in ("OUTP", "OUTN"):
                labels.append(Label(f"{net}{a}", (x + getattr(plan, net), fp.adc.y0 + 0.1), layer=m3[0], texttype=m3[1]))
        self.top.add(*labels)

    def build(self, net_labels: bool = True) -> Macro:
        self.place_array()
        self.place_periphery()
        self.place_power()
        self.place_pins()
        if net_labels:
            self.place_net_labels()
        self._rect("boundary", 0, 0, self.fp.width, self.fp.height)
        self.gds.add(self.top)
        return Macro(self.spec, self.fp, self.gds, self.top, self.lines, self.pins, self.counts)


def _netlist_text(builder: _Builder, macro: Macro) -> str:
    ports = sorted({p["name"] for p in macro.pins}, key=_natural)
    head = [f"* ACIM macro {macro.name}: {json.dumps(builder.spec.to_dict())}",
            f"* library {builder.lib.name}, {len(macro.netlist)} instances", ""]
    body = [".subckt " + macro.name + " " + " ".join(ports), *macro.netlist, f".ends {macro.name}", ""]
    return "\n".join(head) + "\n".join(builder.subckts) + "\n" + "\n".join(body)


def _natural(text: str) -> tuple[Any, ...]:
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def generate(spec: ACIMSpec, library: Library | str | Path | None = None, out_dir: str | Path | None = None, *,
             name: str | None = None, write_netlist: bool = True, net_labels: bool = True) -> Macro:
    """Generate the macro of ``spec`` with ``library``; write GDS, SPICE, abstract JSON, LEF, area JSON.

    ``net_labels`` adds a top-level label naming every internal net (bit/word/compute/DAC lines) on its
    wire. Returns the :class:`Macro` (``files`` maps ``gds``/``netlist``/``abstract``/``lef``/``area`` to paths
    when ``out_dir`` is given).
    """
    t0 = time.perf_counter()
    lib = library if isinstance(library, Library) else load_library(library)
    tech = load_tech(lib.tech_file if lib.tech_file.is_file() else None)
    builder = _Builder(spec, lib, tech, name or spec.name)
    macro = builder.build(net_labels)
    macro.seconds["build"] = time.perf_counter() - t0
    if out_dir is None:
        return macro
    from eda.acim.abstract import write_abstract, write_lef

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    macro.files["gds"] = out / f"{macro.name}.gds"
    macro.library.write_gds(macro.files["gds"])
    macro.seconds["gds"] = time.perf_counter() - t1
    if write_netlist:
        t2 = time.perf_counter()
        macro.files["netlist"] = out / f"{macro.name}.spice"
        macro.files["netlist"].write_text(_netlist_text(builder, macro))
        macro.seconds["netlist"] = time.perf_counter() - t2
    macro.files["abstract"] = write_abstract(macro, out / f"{macro.name}.abstract.json")
    macro.files["lef"] = write_lef(macro, out / f"{macro.name}.lef")
    area = {**macro.floorplan.to_dict(), "instances": macro.counts}
    macro.files["area"] = out / f"{macro.name}.area.json"
    macro.files["area"].write_text(json.dumps(area, indent=1))
    macro.seconds["total"] = time.perf_counter() - t0
    return macro
