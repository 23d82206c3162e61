"""Layout-versus-schematic with ``klayout.db.LayoutVsSchematic``: MOS and capacitor extraction.

Extraction runs on the hierarchical layout (SKY130 stack from ``tech.yaml``):

* NMOS/PMOS (``DeviceExtractorMOS4Transistor``): gate = poly & diff, source/drain = diff - gate, split by
  the ``nsdm``/``psdm`` implants; PMOS bulk is the n-well (joined to VDD by its tap), NMOS bulk the
  global substrate net (joined to VSS by the substrate taps);
* MOM capacitors (``DeviceExtractorCapacitor``): met1/met2 overlap inside the ``momcap`` ID layer, with the
  area coefficient the library derived from the finger geometry (so C matches the netlist value);
* connectivity diff/tap/poly -licon- li1 -mcon- met1 -via- met2 -via2- met3 -via3- met4 -via4- met5; net
  names come from labels on the ``label`` layers.

Both netlists are flattened to devices, parallel devices combined and floating nets purged, then
compared (plus: every labelled top-level net must reach a device or a cell pin, and carry the name of
the schematic net it matched);
abstract blocks (cells without devices such as the SAR logic) are black boxes by construction.
Mismatched nets and devices are reported by name. Device parameters: W/L exact, C within 1 %.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eda.errors import DataError, NetlistError
from eda.signoff.reportfiles import write_report_files
from eda.tech import Tech, load_tech

__all__ = ["LvsReport", "run_lvs", "devices_by_class", "NMOS", "PMOS"]

NMOS = "SKY130_FD_PR__NFET_01V8"
PMOS = "SKY130_FD_PR__PFET_01V8"


@dataclass
class LvsReport:
    """Result of :func:`run_lvs` or of a foundry runset (:func:`eda.signoff.foundry.run_foundry_lvs`).

    Device and net counts are per circuit definition (a cell placed many times counts once);
    ``devices_*_by_class`` count devices per device class (model name, lower case). ``deck`` is ``"own"``
    for this module's extraction, else the path of the KLayout runset that ran.
    """

    gds: str
    netlist: str
    match: bool
    devices_layout: int
    devices_schematic: int
    nets_layout: int
    nets_schematic: int
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0
    devices_layout_by_class: dict[str, int] = field(default_factory=dict)
    devices_schematic_by_class: dict[str, int] = field(default_factory=dict)
    deck: str = "own"

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("gds", "netlist", "deck", "match", "devices_layout",
                                               "devices_schematic", "nets_layout", "nets_schematic",
                                               "devices_layout_by_class", "devices_schematic_by_class",
                                               "mismatches")} | {"seconds": round(self.seconds, 3)}

    def text(self) -> str:
        status = "MATCH" if self.match else "MISMATCH"
        deck = "" if self.deck == "own" else f" (runset {self.deck})"
        lines = [f"LVS {self.gds} vs {self.netlist}{deck}: {status} in {self.seconds:.2f} s",
                 f"  devices: layout {self.devices_layout}, schematic {self.devices_schematic}",
                 f"  nets:    layout {self.nets_layout}, schematic {self.nets_schematic}"]
        for name in sorted(self.devices_layout_by_class.keys() | self.devices_schematic_by_class.keys()):
            lines.append(f"    {name}: layout {self.devices_layout_by_class.get(name, 0)}, "
                         f"schematic {self.devices_schematic_by_class.get(name, 0)}")
        lines += [f"  {m}" for m in self.mismatches[:100]]
        return "\n".join(lines)

    def write(self, out_dir: str | Path, stem: str = "lvs") -> dict[str, Path]:
        """Write ``<stem>.json`` and ``<stem>.txt`` into ``out_dir``."""
        return write_report_files(out_dir, stem, self.to_dict(), self.text())


def _lvs_area_cap(tech: Tech, gds: Path) -> float:
    """MOM area coefficient (fF/µm²): from the cell library next to the GDS or the technology file."""
    cap = tech.data.get("capacitor") or {}
    if "lvs_area_cap_fF_per_um2" in cap:
        return float(cap["lvs_area_cap_fF_per_um2"])
    import yaml

    for candidate in (tech.path.parent / "momcap.yaml", gds.parent / "momcap.yaml"):
        if candidate.is_file():
            return float(yaml.safe_load(candidate.read_text())["params"]["lvs_area_cap_fF_per_um2"])
    from eda.acim.library import default_library_dir

    meta = default_library_dir() / "momcap.yaml"
    return float(yaml.safe_load(meta.read_text())["params"]["lvs_area_cap_fF_per_um2"])


def _extract(layout: Any, top: Any, tech: Tech, lvs: Any, area_cap_fF: float) -> None:
    import klayout.db as kdb

    def drawn(name: str) -> Any:
        layer, datatype = tech.gds(name)
        return lvs.make_polygon_layer(layout.layer(layer, datatype), name)

    names = ["nwell", "diff", "tap", "poly", "licon", "li1", "mcon", "met1", "via", "met2", "via2", "met3",
             "via3", "met4", "via4", "met5", "nsdm", "psdm", "momcap"]
    L = {n: drawn(n) for n in names}
    labels = {}
    for metal in ("li1", "met1", "met2", "met3", "met4", "met5"):
        layer, texttype = tech.label(metal)
        labels[metal] = lvs.make_text_layer(layout.layer(layer, texttype), f"{metal}_lbl")
    bulk = lvs.make_layer("bulk")
    derived = {
        "ndiff": L["diff"] & L["nsdm"], "pdiff": L["diff"] & L["psdm"],
        "ntap": L["tap"] & L["nsdm"], "ptap": L["tap"] & L["psdm"],
        "m1cap": L["met1"] & L["momcap"], "m2cap": L["met2"] & L["momcap"],
    }
    derived["ngate"] = derived["ndiff"] & L["poly"]
    derived["pgate"] = derived["pdiff"] & L["poly"]
    derived["nsd"] = derived["ndiff"] - derived["ngate"]
    derived["psd"] = derived["pdiff"] - derived["pgate"]
    for name, region in derived.items():
        lvs.register(region, name)
    d = derived
    lvs.extract_devices(kdb.DeviceExtractorMOS4Transistor(NMOS),
                        {"SD": d["nsd"], "G": d["ngate"], "P": L["poly"], "W": bulk})
    lvs.extract_devices(kdb.DeviceExtractorMOS4Transistor(PMOS),
                        {"SD": d["psd"], "G": d["pgate"], "P": L["poly"], "W": L["nwell"]})
    lvs.extract_devices(kdb.DeviceExtractorCapacitor("CAP", area_cap_fF * 1e-15), {"P1": d["m1cap"], "P2": d["m2cap"]})
    for region in (*L.values(), d["nsd"], d["psd"], d["ntap"], d["ptap"], d["m1cap"], d["m2cap"]):
        lvs.connect(region)
    lvs.connect(L["nwell"], d["ntap"])
    for lower in (d["nsd"], d["psd"], d["ntap"], d["ptap"], L["poly"]):
        lvs.connect(lower, L["licon"])
    chain = ["licon", "li1", "mcon", "met1", "via", "met2", "via2", "met3", "via3", "met4", "via4", "met5"]
    for a, b in zip(chain, chain[1:], strict=False):
        lvs.connect(L[a], L[b])
    lvs.connect(d["m1cap"], L["met1"])
    lvs.connect(d["m2cap"], L["met2"])
    for metal, text in labels.items():
        lvs.connect(L[metal], text)
    lvs.connect_global(bulk, "VSS")
    lvs.connect_global(d["ptap"], "VSS")
    lvs.extract_netlist()


def _prepare(netlist: Any) -> None:
    import klayout.db as kdb

    netlist.combine_devices()
    for cls in netlist.each_device_class():
        if isinstance(cls, kdb.DeviceClassCapacitor):
            cls.equal_parameters = kdb.EqualDeviceParameters(kdb.DeviceClassCapacitor.PARAM_C, 0.0, 0.01)


def _count(netlist: Any) -> tuple[int, int]:
    devices = nets = 0
    for circuit in netlist.each_circuit():
        devices += sum(1 for _ in circuit.each_device())
        nets += sum(1 for _ in circuit.each_net())
    return devices, nets


def devices_by_class(netlist: Any) -> dict[str, int]:
    """Number of devices per device class (lower-case name) over every circuit of a ``klayout.db.Netlist``."""
    counts: dict[str, int] = {}
    for circuit in netlist.each_circuit():
        for device in circuit.each_device():
            name = device.device_class().name.lower()
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def _mismatches(lvs: Any, limit: int = 200) -> list[str]:
    import klayout.db as kdb

    xref = lvs.xref()
    out: list[str] = []
    ok = (kdb.NetlistCrossReference.Match, kdb.NetlistCrossReference.MatchWithWarning)
    for pair in xref.each_circuit_pair():
        for net in xref.each_net_pair(pair):
            if net.status() not in ok and len(out) < limit:
                a, b = net.first(), net.second()
                out.append(f"net layout={a.expanded_name() if a else '-'} schematic={b.expanded_name() if b else '-'}")
        for dev in xref.each_device_pair(pair):
            if dev.status() not in ok and len(out) < limit:
                out.append(f"device layout={_desc(dev.first())} schematic={_desc(dev.second())}")
    return out


def _dangling(circuit: Any) -> list[Any]:
    return [net for net in circuit.each_net() if net.terminal_count() == 0 and net.subcircuit_pin_count() == 0]


def _floating_pins(netlist: Any, top: str, reference_top: Any) -> list[str]:
    """Labelled top-cell nets that reach no device and no cell pin (a pin label or stub off its wire),
    unless the schematic net of that name is unconnected too (a pass-through line of a leaf cell)."""
    circuit = netlist.circuit_by_name(top)
    if circuit is None:
        return []
    allowed = {net.name.upper() for net in _dangling(reference_top) if net.name}
    return sorted(net.name for net in _dangling(circuit) if net.name and net.name.upper() not in allowed)


def _name_mismatches(lvs: Any, top: str) -> list[str]:
    """Top-level nets whose layout label differs from the name of the schematic net they matched."""
    xref = lvs.xref()
    out = []
    for pair in xref.each_circuit_pair():
        if pair.first() is None or pair.first().name != top:
            continue
        for net in xref.each_net_pair(pair):
            a, b = net.first(), net.second()
            if a is not None and b is not None and a.name and b.name and a.name.upper() != b.name.upper():
                out.append(f"net labelled {a.name} in the layout is {b.name} in the schematic")
    return out


def _desc(device: Any) -> str:
    return f"{device.device_class().name}:{device.expanded_name()}" if device else "-"


def run_lvs(gds: str | Path, netlist: str | Path, tech: Tech | str | Path | None = None, *,
            top: str | None = None, subckt: str | None = None) -> LvsReport:
    """Extract ``gds`` and compare it with the SPICE ``netlist`` (top subcircuit ``subckt``)."""
    import klayout.db as kdb

    start = time.perf_counter()
    gds, netlist = Path(gds), Path(netlist)
    for path in (gds, netlist):
        if not path.is_file():
            raise DataError(f"file not found: {path}")
    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    layout = kdb.Layout()
    layout.read(str(gds))
    cell = layout.cell(top) if top else layout.top_cell()
    lvs = kdb.LayoutVsSchematic(kdb.RecursiveShapeIterator(layout, cell, []))
    _extract(layout, cell, tech, lvs, _lvs_area_cap(tech, gds))
    reference = kdb.Netlist()
    try:
        reference.read(str(netlist), kdb.NetlistSpiceReader())
    except RuntimeError as exc:
        raise NetlistError(f"cannot read SPICE netlist: {exc}", where=str(netlist)) from None
    name = (subckt or cell.name).upper()
    ref_top = reference.circuit_by_name(name)
    if ref_top is None:
        raise NetlistError(f"netlist has no subcircuit '{name}'", where=str(netlist),
                           hint="pass --subckt NAME (the layout's top cell name is the default)")
    for circuit in list(reference.each_circuit_top_down()):
        if circuit.name != name and circuit.name not in {c.name for c in _descendants(ref_top)}:
            reference.remove(circuit)
    extracted = lvs.netlist()
    _prepare(extracted)
    _prepare(reference)
    lvs.reference = reference
    lvs_ok = bool(lvs.compare(kdb.NetlistComparer()))
    dl, nl = _count(extracted)
    ds, ns = _count(reference)
    mism = [] if lvs_ok else _mismatches(lvs)
    floating = _floating_pins(extracted, cell.name, ref_top)
    renamed = _name_mismatches(lvs, cell.name) if lvs_ok else []
    if floating or renamed:
        lvs_ok = False
        mism = [f"pin {name} is not connected to any device or cell" for name in floating] + renamed + mism
    return LvsReport(gds=str(gds), netlist=str(netlist), match=lvs_ok, devices_layout=dl, devices_schematic=ds,
                     nets_layout=nl, nets_schematic=ns, mismatches=mism, seconds=time.perf_counter() - start,
                     devices_layout_by_class=devices_by_class(extracted),
                     devices_schematic_by_class=devices_by_class(reference))


def _descendants(circuit: Any) -> list[Any]:
    out, stack = [], [circuit]
    while stack:
        c = stack.pop()
        for sc in c.each_subcircuit():
            ref = sc.circuit_ref()
            if ref not in out:
                out.append(ref)
                stack.append(ref)
    return out
