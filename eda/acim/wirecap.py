"""Wire capacitance of a layout's named nets, extracted from the GDS geometry (KLayout connectivity).

The metal stack is connected as drawn (li1-mcon-met1-via-met2-via2-met3-via3-met4-via4-met5; a via3
over ``capm`` lands on the MIM top plate, not on the met3 bottom plate), the layout is flattened into
nets, and each net's shapes on every metal layer are measured: a wire of length ``l`` has half its
perimeter ≈ ``l``, so a layer contributes ``cap_fF_per_um`` (the technology file's capacitance per µm of
a minimum-pitch wire, to ground and neighbours) × perimeter / 2. Nets are named by the layout's labels;
a net that carries several labels (a top-level name and its cells' pin names) is reported under each
of them. Device capacitances (gates, junctions, MIM plates) are not wires and belong to the devices.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["net_capacitance", "METAL_STACK"]

#: conductors in stack order with the cut above each
METAL_STACK: tuple[tuple[str, str | None], ...] = (
    ("li1", "mcon"),
    ("met1", "via"),
    ("met2", "via2"),
    ("met3", "via3"),
    ("met4", "via4"),
    ("met5", None),
)


def net_capacitance(gds: str | Path, tech: object, names: set[str] | None = None) -> dict[str, float]:
    """Wire capacitance (fF) of the labelled nets of ``gds``'s top cell (only ``names`` when given).

    ``tech`` is a :class:`~eda.tech.Tech`: GDS layer numbers, label layers and ``cap_fF_per_um`` per layer.
    """
    import klayout.db as kdb

    layout = kdb.Layout()
    layout.read(str(gds))
    top = layout.top_cells()[0]
    l2n = kdb.LayoutToNetlist(kdb.RecursiveShapeIterator(layout, top, []))

    def layer(name: str) -> object:
        number, datatype = tech.gds(name)  # type: ignore[attr-defined]
        return l2n.make_layer(layout.layer(number, datatype), name)

    conductors = {name: layer(name) for name, _ in METAL_STACK}
    cuts = {cut: layer(cut) for _, cut in METAL_STACK if cut}
    capm = layer("capm")
    via3_cap = cuts["via3"] & capm
    via3_m3 = cuts["via3"] - capm
    l2n.register(via3_cap, "via3_cap")
    l2n.register(via3_m3, "via3_m3")
    for region in (*conductors.values(), *cuts.values(), via3_cap, via3_m3, capm):
        l2n.connect(region)
    for (lower, cut), (upper, _) in zip(METAL_STACK, METAL_STACK[1:], strict=False):
        cut_region = via3_m3 if cut == "via3" else cuts[cut]  # type: ignore[index]
        l2n.connect(conductors[lower], cut_region)
        l2n.connect(cut_region, conductors[upper])
    l2n.connect(capm, via3_cap)
    l2n.connect(via3_cap, conductors["met4"])
    for name in conductors:
        lay = tech.label(name)  # type: ignore[attr-defined]
        texts = l2n.make_text_layer(layout.layer(lay[0], lay[1]), f"{name}_label")
        l2n.connect(conductors[name], texts)
    l2n.extract_netlist()
    circuit = l2n.netlist().circuit_by_name(top.name)
    per_um = {
        name: float(tech.prop(name, "cap_fF_per_um"))
        for name in conductors  # type: ignore[attr-defined]
        if _has(tech, name)
    }
    out: dict[str, float] = {}
    for net in circuit.each_net():
        labels = [n for n in (net.name or "").split(",") if n]
        wanted = [n for n in labels if names is None or n in names]
        if not wanted:
            continue
        cap = 0.0
        for name, coefficient in per_um.items():
            shapes = l2n.shapes_of_net(net, conductors[name], True)
            cap += coefficient * shapes.perimeter() * layout.dbu / 2
        for n in wanted:
            out[n] = cap
    return out


def _has(tech: object, layer: str) -> bool:
    try:
        return tech.prop(layer, "cap_fF_per_um") is not None  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a layer without the property has no wire capacitance
        return False
