"""Reading what a foundry KLayout runset wrote into the project's report types.

* DRC: the marker database (``.lyrdb``, XML: a ``<categories>`` list with each rule's name and text, then
  one ``<item>`` per marker with its ``<category>``, ``<cell>`` and ``<values>``), read with
  ``klayout.rdb``. A marker lives in the cell where the hierarchical check found it, in that cell's
  coordinates; the database records, per cell, a reference into its parent, which is followed up to the
  top cell so every box is reported in top-cell µm (at the cell's first placement).
* LVS: the LVS database (``.lvsdb``, ``#%lvsdb-klayout``: extracted and reference netlists plus their
  cross-reference), read with ``klayout.db.LayoutVsSchematic``; every circuit, net, pin, device and
  subcircuit pair whose status is not a match is listed by name.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from eda.errors import DataError
from eda.signoff.drc import DrcReport, Violation
from eda.signoff.lvs import LvsReport, devices_by_class

__all__ = ["drc_report", "lvs_report", "mismatches", "rule_layer"]

_MAX_MISMATCHES = 200


def rule_layer(rule: str) -> str:
    """The layer group a SKY130 rule name belongs to: the text before its first dot (``m1.2`` -> ``m1``)."""
    return rule.split(".", 1)[0]


def _value_bbox(value: Any) -> Any | None:
    """Bounding box (``DBox``, µm) of one marker value; ``None`` for a number or a string."""
    for test, get in (
        ("is_box", "box"),
        ("is_polygon", "polygon"),
        ("is_edge_pair", "edge_pair"),
        ("is_edge", "edge"),
        ("is_path", "path"),
        ("is_text", "text"),
    ):
        if getattr(value, test)():
            shape = getattr(value, get)()
            return shape.bbox() if hasattr(shape, "bbox") else None
    return None


def _distance(value: Any) -> float | None:
    """The measured distance (µm) of an edge-pair marker (width, space, enclosure), else ``None``."""
    if not value.is_edge_pair():
        return None
    return round(float(value.edge_pair().distance()), 6)


def _to_top(rdb: Any, cell: Any, box: Any) -> Any:
    """``box`` (in ``cell``'s coordinates) moved into the top cell along each cell's first reference."""
    seen = set()
    while cell is not None and cell.name() != rdb.top_cell_name and cell.rdb_id() not in seen:
        seen.add(cell.rdb_id())
        ref = next(iter(cell.each_reference()), None)
        if ref is None:
            break
        box = ref.trans * box
        cell = rdb.cell_by_id(ref.parent_cell_id)
    return box


def _violation(rdb: Any, item: Any, rule: str, description: str) -> Violation:
    cell = rdb.cell_by_id(item.cell_id())
    boxes = [b for b in (_value_bbox(v) for v in item.each_value()) if b is not None and not b.empty()]
    values = [d for d in (_distance(v) for v in item.each_value()) if d is not None]
    box = (0.0, 0.0, 0.0, 0.0)
    if boxes:
        union = boxes[0]
        for extra in boxes[1:]:
            union = union + extra
        union = _to_top(rdb, cell, union)
        box = tuple(round(c, 6) for c in (union.left, union.bottom, union.right, union.top))
    return Violation(
        rule=rule,
        layer=rule_layer(rule),
        box=box,
        value=min(values) if values else None,
        cell=cell.name() if cell is not None else None,
        description=description or None,
    )


def drc_report(
    rdb_path: str | Path, *, gds: str, runset: Path, max_markers: int = 200, seconds: float = 0.0
) -> DrcReport:
    """A :class:`DrcReport` from a KLayout marker database: ``counts`` holds every category (rule) of the
    runset, ``violations`` the first ``max_markers`` markers with cell, box (µm) and rule text."""
    import klayout.db  # noqa: F401 - binds the geometry types (DBox, DEdgePair, ...) marker values return
    import klayout.rdb as krdb

    rdb = krdb.ReportDatabase("")
    try:
        rdb.load(str(rdb_path))
    except RuntimeError as exc:
        raise DataError(f"cannot read the marker database: {exc}", where=str(rdb_path)) from None
    categories: dict[int, tuple[str, str]] = {}
    for category in rdb.each_category():
        categories[category.rdb_id()] = (category.name(), category.description or "")
    counts = {name: 0 for name, _ in categories.values()}
    violations: list[Violation] = []
    for item in rdb.each_item():
        rule, description = categories.get(item.category_id(), (f"category {item.category_id()}", ""))
        counts[rule] = counts.get(rule, 0) + 1
        if len(violations) < max_markers:
            violations.append(_violation(rdb, item, rule, description))
    return DrcReport(
        gds=gds,
        top=rdb.top_cell_name or "",
        tech=runset.name,
        counts=counts,
        violations=violations,
        seconds=seconds,
        deck=str(runset),
    )


def _describe(obj: Any, kind: str) -> str:
    """``class:name (W=.., L=..)`` for a device (its primary parameters), the name for anything else."""
    if obj is None:
        return "-"
    if kind != "device":
        return obj.expanded_name() if hasattr(obj, "expanded_name") else obj.name
    cls = obj.device_class()
    params = [f"{p.name}={_fmt(obj.parameter(p.id()))}" for p in cls.parameter_definitions() if p.is_primary]
    return f"{cls.name.lower()}:{obj.expanded_name()}" + (f" ({', '.join(params)})" if params else "")


def _fmt(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def _pairs(xref: Any, circuits: Any) -> list[tuple[str, Any, Any, Any]]:
    """``(kind, layout object, schematic object, status)`` for every device, subcircuit, pin and net pair
    of one circuit pair (devices first: a missing or changed device is usually the cause, nets the effect)."""
    out = []
    for kind, each in (
        ("device", xref.each_device_pair),
        ("subcircuit", xref.each_subcircuit_pair),
        ("pin", xref.each_pin_pair),
        ("net", xref.each_net_pair),
    ):
        out += [(kind, pair.first(), pair.second(), pair.status()) for pair in each(circuits)]
    return out


def mismatches(lvs: Any, limit: int = _MAX_MISMATCHES) -> list[str]:
    """Every unmatched circuit, device, subcircuit, pin and net of an LVS cross-reference (a
    ``klayout.db.LayoutVsSchematic``), by name; at most ``limit`` lines."""
    import klayout.db as kdb

    ok = (kdb.NetlistCrossReference.Match, kdb.NetlistCrossReference.MatchWithWarning)
    xref, out = lvs.xref(), []
    for circuits in xref.each_circuit_pair():
        layout, schematic = circuits.first(), circuits.second()
        where = layout.name if layout is not None else schematic.name
        if circuits.status() not in ok:
            out.append(
                f"circuit layout={layout.name if layout else '-'} schematic={schematic.name if schematic else '-'}"
                f" ({str(circuits.status()).lower()})"
            )
        for kind, first, second, status in _pairs(xref, circuits):
            if status not in ok:
                out.append(
                    f"{kind} layout={_describe(first, kind)} schematic={_describe(second, kind)} (in {where})"
                )
    return out[:limit]


def _nets(netlist: Any) -> int:
    return sum(1 for circuit in netlist.each_circuit() for _ in circuit.each_net())


def lvs_report(
    lvsdb_path: str | Path, *, gds: str, netlist: str, runset: Path, match: bool, seconds: float = 0.0
) -> LvsReport:
    """An :class:`LvsReport` from a KLayout LVS database and the runset's verdict ``match``."""
    import klayout.db as kdb

    lvs = kdb.LayoutVsSchematic()
    try:
        lvs.read(str(lvsdb_path))
    except RuntimeError as exc:
        raise DataError(f"cannot read the LVS database: {exc}", where=str(lvsdb_path)) from None
    extracted, reference = lvs.netlist(), lvs.reference
    layout_classes = devices_by_class(extracted) if extracted is not None else {}
    schematic_classes = devices_by_class(reference) if reference is not None else {}
    found = [] if match else mismatches(lvs)
    if not match and not found:
        found = [
            "the runset reports a mismatch its cross-reference does not locate (see the .lvsdb and .log)"
        ]
    return LvsReport(
        gds=gds,
        netlist=netlist,
        match=match,
        devices_layout=sum(layout_classes.values()),
        devices_schematic=sum(schematic_classes.values()),
        nets_layout=_nets(extracted) if extracted is not None else 0,
        nets_schematic=_nets(reference) if reference is not None else 0,
        mismatches=found,
        seconds=seconds,
        devices_layout_by_class=layout_classes,
        devices_schematic_by_class=schematic_classes,
        deck=str(runset),
    )
