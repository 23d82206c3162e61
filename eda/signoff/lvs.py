"""Layout-versus-schematic with ``klayout.db.LayoutVsSchematic``, in the SKY130 foundry deck's conventions.

The own deck extracts the devices the foundry runset (``sky130.lvs``) extracts, from the same derived
layers, so the two decks agree on the project's cells, and reads the netlists that deck reads:

* NMOS/PMOS ``sky130_fd_pr__nfet_01v8`` / ``__pfet_01v8`` (``DeviceExtractorMOS4Transistor``): gate =
  poly & diff outside tap and ``npc``, split by the ``nsdm``/``psdm`` implants and the n-well; a PMOS
  gate under ``hvtp`` (78/44) is ``sky130_fd_pr__pfet_01v8_hvt`` (the foundry standard cells' PMOS);
  source/drain = the implanted diff beside a gate. PMOS bulk is the n-well (a cell names it with a label on
  64/5, ``VPB``), NMOS bulk the global substrate net :data:`SUBSTRATE` (``VNB``: unlabelled, the foundry
  deck's ``sky130_gnd``; p-taps join it);
* MIM capacitors ``sky130_fd_pr__model__cap_mim`` (``DeviceExtractorCapacitor``): ``capm`` over met3, with
  area ``A`` (µm²) and perimeter ``P`` (µm) of the overlap and 2 fF/µm²; the top plate connects through
  via3 only and met3 under ``capm`` is the bottom plate;
* connectivity diff/tap -licon- li1 -mcon- met1 -via- met2 -via2- met3 -via3- met4 -via4- met5, where
  poly reaches licon **only inside npc** (a poly contact without npc leaves its gate unconnected, as in
  the foundry deck); net names come from labels on the ``label`` layers of ``tech.yaml``.

The schematic is SPICE in the foundry convention: ``M`` lines with the foundry model names and
lower-case ``w=0.42u l=0.15u`` in microns, bulk on the cell's ``VNB``/``VPB`` ports, and capacitors as
``C1 CTOP TOP sky130_fd_pr__model__cap_mim A=1.5p P=5u`` (a ``C`` line needs no value, as the foundry
reader adds one). The comparison is the foundry deck's: the extracted netlist is simplified (top-level
pins, floating nets and empty circuits purged, parallel devices combined), circuits that exist on one
side only are flattened (``align``: a tap cell or an abstract block the schematic lacks dissolves into
its parent; one present in both is compared by its pins), the schematic is taken as written. W/L are
compared exactly, MIM ``A`` and ``P`` within 1 %. Two checks go beyond the foundry deck: every labelled
top-level net must reach a device or a cell pin (a pin label off its wire), and a matched net must carry
the name of its schematic net (swapped labels). Mismatched circuits, devices, pins and nets are reported
by name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eda.errors import DataError, NetlistError
from eda.signoff.reportfiles import write_report_files
from eda.tech import Tech, load_tech

__all__ = [
    "LvsReport",
    "run_lvs",
    "devices_by_class",
    "read_schematic",
    "NMOS",
    "PMOS",
    "PMOS_HVT",
    "MIM",
    "SUBSTRATE",
]

NMOS = "SKY130_FD_PR__NFET_01V8"
PMOS = "SKY130_FD_PR__PFET_01V8"
PMOS_HVT = "SKY130_FD_PR__PFET_01V8_HVT"
MIM = "SKY130_FD_PR__MODEL__CAP_MIM"
#: global net of the p-substrate (NMOS bulk, p-taps): a cell's ``VNB`` port
SUBSTRATE = "VNB"
#: MIM area capacitance (F/µm²) the foundry deck extracts with
MIM_F_PER_UM2 = 2e-15
#: relative tolerance of the MIM area and perimeter
MIM_TOLERANCE = 0.01
_DRAWN = (
    "nwell",
    "diff",
    "tap",
    "poly",
    "npc",
    "nsdm",
    "psdm",
    "hvtp",
    "licon",
    "li1",
    "mcon",
    "met1",
    "via",
    "met2",
    "via2",
    "met3",
    "capm",
    "via3",
    "met4",
    "via4",
    "met5",
)
_LABELLED = ("nwell", "tap", "diff", "poly", "li1", "met1", "met2", "met3", "met4", "met5")


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
        return {
            k: getattr(self, k)
            for k in (
                "gds",
                "netlist",
                "deck",
                "match",
                "devices_layout",
                "devices_schematic",
                "nets_layout",
                "nets_schematic",
                "devices_layout_by_class",
                "devices_schematic_by_class",
                "mismatches",
            )
        } | {"seconds": round(self.seconds, 3)}

    def text(self) -> str:
        status = "MATCH" if self.match else "MISMATCH"
        deck = "" if self.deck == "own" else f" (runset {self.deck})"
        lines = [
            f"LVS {self.gds} vs {self.netlist}{deck}: {status} in {self.seconds:.2f} s",
            f"  devices: layout {self.devices_layout}, schematic {self.devices_schematic}",
            f"  nets:    layout {self.nets_layout}, schematic {self.nets_schematic}",
        ]
        for name in sorted(self.devices_layout_by_class.keys() | self.devices_schematic_by_class.keys()):
            lines.append(
                f"    {name}: layout {self.devices_layout_by_class.get(name, 0)}, "
                f"schematic {self.devices_schematic_by_class.get(name, 0)}"
            )
        lines += [f"  {m}" for m in self.mismatches[:100]]
        return "\n".join(lines)

    def write(self, out_dir: str | Path, stem: str = "lvs") -> dict[str, Path]:
        """Write ``<stem>.json`` and ``<stem>.txt`` into ``out_dir``."""
        return write_report_files(out_dir, stem, self.to_dict(), self.text())


def _layers(layout: Any, tech: Tech, lvs: Any) -> dict[str, Any]:
    """Drawn layers, the foundry deck's derived device/connection layers and the label layers, registered
    with ``lvs`` (names as in ``sky130.lvs``)."""

    def drawn(name: str) -> Any:
        layer, datatype = tech.gds(name)
        return lvs.make_polygon_layer(layout.layer(layer, datatype), name)

    L = {name: drawn(name) for name in _DRAWN}  # noqa: N806
    d = {"sd": L["diff"] - L["poly"] - L["tap"], "tgate": (L["poly"] & L["diff"]) - L["tap"] - L["npc"]}
    d["ngate"] = (L["nsdm"] & d["tgate"]) - L["nwell"] - L["psdm"]
    d["pgate_any"] = (L["psdm"] & d["tgate"] & L["nwell"]) - L["nsdm"]
    d["pgate"] = d["pgate_any"] - L["hvtp"]
    d["pgate_hvt"] = d["pgate_any"] & L["hvtp"]
    d["nsd"] = ((L["nsdm"] & d["sd"]) - L["nwell"]).interacting(d["ngate"])
    d["psd"] = (L["psdm"] & d["sd"] & L["nwell"]).interacting(d["pgate_any"])
    d["ptap"] = (L["tap"] & L["psdm"]) - L["nwell"]
    d["ntap"] = L["tap"] & L["nsdm"] & L["nwell"]
    d["licon_npc"] = L["licon"] & L["npc"]
    d["met3_ncap"] = L["met3"] - L["capm"]
    for name, region in d.items():
        lvs.register(region, name)
    d["sub"] = lvs.make_layer("sub")
    for name in _LABELLED:
        layer, texttype = tech.label(name)
        d[f"{name}_label"] = lvs.make_text_layer(layout.layer(layer, texttype), f"{name}_label")
    return L | d


def _extract(layout: Any, tech: Tech, lvs: Any) -> None:
    """Extract MOS and MIM devices and the nets of ``layout`` into ``lvs``."""
    import klayout.db as kdb

    x = _layers(layout, tech, lvs)
    lvs.extract_devices(
        kdb.DeviceExtractorMOS4Transistor(NMOS),
        {"SD": x["nsd"], "G": x["ngate"], "P": x["poly"], "W": x["sub"]},
    )
    lvs.extract_devices(
        kdb.DeviceExtractorMOS4Transistor(PMOS),
        {"SD": x["psd"], "G": x["pgate"], "P": x["poly"], "W": x["nwell"]},
    )
    lvs.extract_devices(
        kdb.DeviceExtractorMOS4Transistor(PMOS_HVT),
        {"SD": x["psd"], "G": x["pgate_hvt"], "P": x["poly"], "W": x["nwell"]},
    )
    lvs.extract_devices(kdb.DeviceExtractorCapacitor(MIM, MIM_F_PER_UM2), {"P1": x["met3"], "P2": x["capm"]})
    pairs = [
        ("nwell", "ntap"),
        ("ptap", "licon"),
        ("ntap", "licon"),
        ("psd", "licon"),
        ("nsd", "licon"),
        ("poly", "licon_npc"),
        ("licon_npc", "licon"),
        ("licon", "li1"),
        ("li1", "mcon"),
        ("mcon", "met1"),
        ("met1", "via"),
        ("via", "met2"),
        ("met2", "via2"),
        ("via2", "met3_ncap"),
        ("met3_ncap", "via3"),
        ("via3", "met4"),
        ("met4", "via4"),
        ("via4", "met5"),
        ("capm", "via3"),
        ("met3_ncap", "met3"),
        ("nwell", "nwell_label"),
        ("tap", "tap_label"),
        ("nsd", "diff_label"),
        ("psd", "diff_label"),
        ("poly", "poly_label"),
        ("li1", "li1_label"),
        ("met1", "met1_label"),
        ("met2", "met2_label"),
        ("met3_ncap", "met3_label"),
        ("met4", "met4_label"),
        ("met5", "met5_label"),
    ]
    for name in {n for pair in pairs for n in pair if not n.endswith("_label")}:
        lvs.connect(x[name])
    for a, b in pairs:
        lvs.connect(x[a], x[b])
    lvs.connect_global(x["sub"], SUBSTRATE)
    lvs.connect_global(x["ptap"], SUBSTRATE)
    lvs.extract_netlist()


class _FoundryReader:
    """SPICE reading as the foundry deck does it: a ``C`` line without a value gets ``C=2e-16``."""

    @staticmethod
    def make() -> Any:
        import klayout.db as kdb

        class Delegate(kdb.NetlistSpiceReaderDelegate):  # type: ignore[misc]
            def parse_element(self, s: str, element: str) -> Any:
                return super().parse_element(s + " C=2e-16" if element == "C" else s, element)

        return kdb.NetlistSpiceReader(Delegate())


def read_schematic(path: str | Path) -> Any:
    """Read a SPICE netlist (foundry convention, see the module docstring) into a ``klayout.db.Netlist``."""
    import klayout.db as kdb

    netlist = kdb.Netlist()
    try:
        netlist.read(str(path), _FoundryReader.make())
    except RuntimeError as exc:
        raise NetlistError(f"cannot read SPICE netlist: {exc}", where=str(path)) from None
    return netlist


def _tolerances(*netlists: Any) -> None:
    """Compare MIM capacitors on area and perimeter within :data:`MIM_TOLERANCE`, not on C (as the foundry
    deck's ``MIMCap`` class: A and P primary, C not)."""
    import klayout.db as kdb

    for netlist in netlists:
        cls = netlist.device_class_by_name(MIM)
        if cls is not None:
            cls.enable_parameter("C", False)
            cls.enable_parameter("A", True)
            cls.enable_parameter("P", True)
            cls.equal_parameters = kdb.EqualDeviceParameters(
                kdb.DeviceClassCapacitor.PARAM_A, 0.0, MIM_TOLERANCE
            ) + kdb.EqualDeviceParameters(kdb.DeviceClassCapacitor.PARAM_P, 0.0, MIM_TOLERANCE)


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


def _dangling(circuit: Any) -> list[Any]:
    return [
        net for net in circuit.each_net() if net.terminal_count() == 0 and net.subcircuit_pin_count() == 0
    ]


def _floating_pins(netlist: Any, top: str, reference_top: Any) -> list[str]:
    """Labelled top-cell nets that reach no device and no cell pin (a pin label or stub off its wire),
    unless the schematic net of that name is unconnected too or absent (a feed-through line of a leaf cell,
    such as the write bit lines crossing the compute cell)."""
    circuit = netlist.circuit_by_name(top)
    if circuit is None:
        return []
    known = {net.name.upper() for net in reference_top.each_net() if net.name}
    allowed = {net.name.upper() for net in _dangling(reference_top) if net.name}
    allowed |= {name for net in _dangling(circuit) if net.name for name in _label_names(net.name)} - known
    return sorted(
        net.name
        for net in _dangling(circuit)
        if net.name and not _label_names(net.name) <= allowed and _label_names(net.name)
    )


def _label_names(name: str) -> set[str]:
    """The label names of a layout net (KLayout joins several with commas; the global substrate net's name
    is no label)."""
    return {n.upper() for n in name.split(",") if n and n.upper() != SUBSTRATE}


def _name_mismatches(lvs: Any, top: str) -> list[str]:
    """Top-level nets whose layout labels do not include the name of the schematic net they matched."""
    xref = lvs.xref()
    out = []
    for pair in xref.each_circuit_pair():
        if pair.first() is None or pair.first().name != top:
            continue
        for net in xref.each_net_pair(pair):
            a, b = net.first(), net.second()
            if a is None or b is None or not a.name or not b.name:
                continue
            labels = _label_names(a.name)
            if labels and b.name.upper() not in labels:
                out.append(f"net labelled {a.name} in the layout is {b.name} in the schematic")
    return out


def _align(comparer: Any, extracted: Any, reference: Any) -> None:
    """Flatten the circuits that exist in one netlist only (the LVS DSL's ``align``)."""
    extracted.flatten_circuits(comparer.unmatched_circuits_a(extracted, reference))
    reference.flatten_circuits(comparer.unmatched_circuits_b(extracted, reference))


def _reference(netlist: Path, name: str) -> tuple[Any, Any]:
    """The schematic netlist reduced to subcircuit ``name`` and what it instantiates, and that circuit."""
    reference = read_schematic(netlist)
    top = reference.circuit_by_name(name)
    if top is None:
        raise NetlistError(
            f"netlist has no subcircuit '{name}'",
            where=str(netlist),
            hint="pass --subckt NAME (the layout's top cell name is the default)",
        )
    keep = {c.name for c in _descendants(top)} | {name}
    for circuit in list(reference.each_circuit_top_down()):
        if circuit.name not in keep:
            reference.remove(circuit)
    return reference, top


def run_lvs(
    gds: str | Path,
    netlist: str | Path,
    tech: Tech | str | Path | None = None,
    *,
    top: str | None = None,
    subckt: str | None = None,
) -> LvsReport:
    """Extract ``gds`` (cell ``top``, default its top cell) and compare it with the SPICE ``netlist``
    (subcircuit ``subckt``, default the cell's name)."""
    import klayout.db as kdb

    from eda.signoff.foundry_results import mismatches

    start = time.perf_counter()
    from eda.signoff.gdsfile import read_layout

    gds, netlist = Path(gds), Path(netlist)
    if not netlist.is_file():
        raise DataError(f"file not found: {netlist}")
    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    layout = read_layout(gds)  # missing, directory, empty, non-GDS, truncated or corrupt: DataError
    cell = layout.cell(top) if top else layout.top_cell()
    if cell is None:
        raise DataError(f"no top cell '{top}' in {gds}" if top else f"{gds} has no single top cell")
    lvs = kdb.LayoutVsSchematic(kdb.RecursiveShapeIterator(layout, cell, []))
    _extract(layout, tech, lvs)
    reference, ref_top = _reference(netlist, (subckt or cell.name).upper())
    extracted = lvs.netlist()
    floating = _floating_pins(extracted, cell.name, ref_top)
    comparer = kdb.NetlistComparer()
    comparer.max_resistance = 1e9
    comparer.min_capacitance = 1e-16
    layout_top = extracted.circuit_by_name(cell.name)
    if layout_top is not None and layout_top.name.upper() != ref_top.name.upper():
        comparer.same_circuits(layout_top, ref_top)
    _align(comparer, extracted, reference)  # before simplify, in the foundry deck's order
    extracted.simplify()
    _tolerances(extracted, reference)
    lvs.reference = reference
    lvs_ok = bool(lvs.compare(comparer))
    dl, nl = _count(extracted)
    ds, ns = _count(reference)
    mism = [] if lvs_ok else mismatches(lvs)
    renamed = _name_mismatches(lvs, cell.name) if lvs_ok else []
    if floating or renamed:
        lvs_ok = False
        mism = [f"pin {name} is not connected to any device or cell" for name in floating] + renamed + mism
    return LvsReport(
        gds=str(gds),
        netlist=str(netlist),
        match=lvs_ok,
        devices_layout=dl,
        devices_schematic=ds,
        nets_layout=nl,
        nets_schematic=ns,
        mismatches=mism,
        seconds=time.perf_counter() - start,
        devices_layout_by_class=devices_by_class(extracted),
        devices_schematic_by_class=devices_by_class(reference),
    )


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
