"""Design-rule check of a GDS against a technology file with ``klayout.db`` region operations.

Every rule of ``tech.yaml`` is checked on the hierarchical layout (``DeepShapeStore``: regular arrays are
processed once per distinct cell/neighbourhood, so a 256×256 macro costs little more than a few cells).
Rule kinds and the region operation each maps to:

* ``width`` — ``Region.width_check(value)``; ``space`` — ``Region.space_check(value)``;
* ``size`` — exact square cuts: polygons whose bounding box is not ``value`` × ``value`` (and non-boxes);
* ``enclosure`` — ``outer.enclosing_check(inner, value)`` (``layer`` encloses ``layer2``);
* ``extension`` — like ``enclosure`` but edges the two layers share are ignored (poly/diff beyond a gate);
* ``separation`` — ``layer.separation_check(layer2, value)``;
* ``area`` — merged polygons with area below ``value`` µm²;
* ``cover`` — ``layer2`` must cover ``layer`` completely (``layer - layer2`` is empty).

Violations are reported with rule, layer and coordinates (µm), as JSON/text and as a KLayout marker
database (``.lyrdb``) that opens on top of the layout.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eda.errors import DataError
from eda.signoff.reportfiles import write_report_files
from eda.tech import Tech, load_tech

__all__ = ["Violation", "DrcReport", "run_drc"]


@dataclass(frozen=True)
class Violation:
    """One violation marker: rule, layer(s), box (µm, top-cell coordinates) and the measured value (µm)
    where known; a foundry runset's marker also names the cell it was found in and the rule's text."""

    rule: str
    layer: str
    box: tuple[float, float, float, float]
    value: float | None = None
    cell: str | None = None
    description: str | None = None


@dataclass
class DrcReport:
    """Result of :func:`run_drc` or of a foundry runset (``counts`` holds every rule, clean ones with 0).

    ``deck`` is ``"own"`` for this module's checks, else the path of the KLayout runset that ran
    (:func:`eda.signoff.foundry.run_foundry_drc`); ``tech`` is then the runset's file name.
    """

    gds: str
    top: str
    tech: str
    counts: dict[str, int]
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0
    deck: str = "own"

    @property
    def total(self) -> int:
        """Number of violations over all rules."""
        return sum(self.counts.values())

    @property
    def clean(self) -> bool:
        return self.total == 0

    def to_dict(self) -> dict[str, Any]:
        return {"gds": self.gds, "top": self.top, "tech": self.tech, "deck": self.deck, "total": self.total,
                "clean": self.clean, "seconds": round(self.seconds, 3), "counts": self.counts,
                "violations": [{"rule": v.rule, "layer": v.layer, "box_um": list(v.box), "value_um": v.value,
                                "cell": v.cell, "description": v.description} for v in self.violations]}

    def text(self) -> str:
        """Human-readable summary: one line per violated rule and the first markers."""
        deck = f"tech {self.tech}" if self.deck == "own" else f"runset {self.deck}"
        lines = [f"DRC {self.gds} (top {self.top}, {deck}): {self.total} violation(s) in {self.seconds:.2f} s"]
        described = {v.rule: v.description for v in self.violations if v.description}
        for rule, count in self.counts.items():
            if count:
                lines.append(f"  {rule}: {count}" + (f"  ({described[rule]})" if rule in described else ""))
        for v in self.violations[:50]:
            x0, y0, x1, y1 = v.box
            lines.append(f"    {v.rule} on {v.layer} at ({x0:.3f}, {y0:.3f})-({x1:.3f}, {y1:.3f})"
                         + (f" measured {v.value:.3f} um" if v.value is not None else "")
                         + (f" in cell {v.cell}" if v.cell and v.cell != self.top else ""))
        return "\n".join(lines)

    def write(self, out_dir: str | Path, stem: str = "drc") -> dict[str, Path]:
        """Write ``<stem>.json`` and ``<stem>.txt`` into ``out_dir``."""
        return write_report_files(out_dir, stem, self.to_dict(), self.text())


class _Layers:
    """Drawn and derived layers of one layout as (deep) regions, created on demand."""

    def __init__(self, layout: Any, top: Any, tech: Tech, deep: bool) -> None:
        import klayout.db as kdb

        self.kdb, self.layout, self.top, self.tech = kdb, layout, top, tech
        self.dss = kdb.DeepShapeStore() if deep else None
        self.cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.cache:
            self.cache[name] = self._make(name)
        return self.cache[name]

    def _make(self, name: str) -> Any:
        kdb = self.kdb
        if name in self.tech.derived:
            return self._expr(self.tech.derived[name])
        layer, datatype = self.tech.gds(name)
        index = self.layout.find_layer(layer, datatype)
        if index is None:
            return kdb.Region()
        shapes = self.top.begin_shapes_rec(index)
        return kdb.Region(shapes, self.dss) if self.dss is not None else kdb.Region(shapes)

    def _expr(self, expr: str) -> Any:
        tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[&|^-]", expr)
        result = self[tokens[0]]
        for op, operand in zip(tokens[1::2], tokens[2::2], strict=False):
            other = self[operand]
            result = {"&": result & other, "|": result + other, "-": result - other, "^": result ^ other}[op]
        return result


def _check(layers: _Layers, rule: Any, dbu: float) -> tuple[Any, bool]:
    """Run one rule; returns (markers, markers_are_edge_pairs)."""
    value = int(round(rule.value / dbu))
    a = layers[rule.layer]
    if rule.kind == "width":
        return a.width_check(value), True
    if rule.kind == "space":
        return a.space_check(value), True
    if rule.kind == "enclosure":
        return a.enclosing_check(layers[rule.layer2], value), True
    if rule.kind == "extension":
        kdb = layers.kdb
        return a.enclosing_check(layers[rule.layer2], value, zero_distance_mode=kdb.Region.NeverIncludeZeroDistance), True
    if rule.kind == "separation":
        return a.separation_check(layers[rule.layer2], value), True
    if rule.kind == "size":
        bad = a.with_bbox_width(value, True) + a.with_bbox_height(value, True) + a.non_rectangles()
        return bad, False
    if rule.kind == "area":
        area = int(round(rule.value / dbu / dbu))
        return a.merged().with_area(0, area, False), False
    if rule.kind == "cover":
        return a - layers[rule.layer2], False
    raise ValueError(rule.kind)  # pragma: no cover - kinds are validated by load_tech


def run_drc(gds: str | Path, tech: Tech | str | Path | None = None, *, top: str | None = None, deep: bool = True,
            max_markers: int = 200, rdb_path: str | Path | None = None) -> DrcReport:
    """Check ``gds`` against every rule of ``tech``; optionally save a KLayout marker database."""
    import klayout.db as kdb

    start = time.perf_counter()
    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    path = Path(gds)
    if not path.is_file():
        raise DataError(f"GDS file not found: {path}")
    layout = kdb.Layout()
    layout.read(str(path))
    cell = layout.cell(top) if top else layout.top_cell()
    if cell is None:
        raise DataError(f"no top cell '{top}' in {path}" if top else f"{path} has no single top cell",
                        hint="pass --top NAME")
    dbu = layout.dbu
    layers = _Layers(layout, cell, tech, deep)
    if rdb_path:
        import klayout.rdb as krdb

        rdb = krdb.ReportDatabase("DRC")
        rdb.top_cell_name = cell.name
    else:
        rdb = None
    rdb_cell = rdb.create_cell(cell.name) if rdb else None
    counts: dict[str, int] = {}
    violations: list[Violation] = []
    for rule in tech.rules:
        markers, edge_pairs = _check(layers, rule, dbu)
        count = markers.count()
        counts[rule.name] = int(count)
        if not count:
            continue
        category = rdb.create_category(f"{rule.name} ({rule.kind} {rule.value} on {rule.layer})") if rdb else None
        for marker in markers.each():
            box = marker.bbox()
            dist = marker.distance() * dbu if edge_pairs else None
            if len(violations) < max_markers:
                layer = rule.layer + (f"/{rule.layer2}" if rule.layer2 else "")
                violations.append(Violation(rule.name, layer, (box.left * dbu, box.bottom * dbu, box.right * dbu,
                                                               box.top * dbu), dist))
            if rdb:
                item = rdb.create_item(rdb_cell.rdb_id(), category.rdb_id())
                item.add_value(marker.to_dtype(dbu) if edge_pairs else marker.to_dtype(dbu))
    if rdb:
        rdb.save(str(rdb_path))
    return DrcReport(gds=str(path), top=cell.name, tech=tech.name, counts=counts, violations=violations,
                     seconds=time.perf_counter() - start)
