"""Design-rule check of a GDS against a technology file with ``klayout.db`` region operations.

Every rule of ``tech.yaml`` is checked on the hierarchical layout (``DeepShapeStore``: regular arrays are
processed once per distinct cell/neighbourhood, so a 256×256 macro costs little more than a few cells).
Rule kinds and the region operation each maps to (values in µm, µm² for areas, degrees for angles):

* ``width`` — ``Region.width_check(value)``; ``space`` — ``Region.space_check(value)``;
* ``size`` — exact square cuts: polygons whose bounding box is not ``value`` × ``value`` (and non-boxes);
* ``enclosure`` — ``outer.enclosing_check(inner, value)`` (``layer`` encloses ``layer2``);
* ``extension`` — like ``enclosure`` but edges the two layers share are ignored (poly/diff beyond a gate);
* ``adjacent`` — the SKY130 "two adjacent edges" enclosures (``m1.5``, ``via.5a``, ``li.5``, ...) as the
  foundry deck checks them: the edges of ``layer2`` enclosed by less than ``value`` (projection metrics),
  and a ``layer2`` shape is an error where two such edges meet at a corner;
* ``separation`` — ``layer.separation_check(layer2, value)``;
* ``area`` — merged polygons with area below ``value`` µm²; ``holes`` — holes below ``value`` µm²;
* ``cover`` — ``layer2`` must cover ``layer`` completely (``layer - layer2`` is empty);
* ``overlap`` — ``layer`` and ``layer2`` must not overlap (``layer & layer2`` is empty);
* ``isolated`` — distinct polygons of ``layer`` at least ``value`` apart, gaps covered by ``layer2`` excused
  (``capm.2b``: MIM bottom plates);
* ``wide_space`` — the parts of ``layer`` wider than ``over`` µm keep ``value`` to every other edge
  (``m1.3ab``, ...), as the foundry deck computes them;
* ``grid`` — vertices off the ``value`` µm grid; ``angle`` — corners sharper than ``value`` degrees.

Several rules may share a name (one rule of the manual checked two ways, e.g. ``m1.4`` enclosure and
cover); their markers are counted together. Violations are reported with rule, layer and coordinates
(µm), as JSON/text and as a KLayout marker database (``.lyrdb``) that opens on top of the layout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eda.errors import DataError
from eda.signoff.reportfiles import write_report_files
from eda.tech import Tech, load_tech
from eda.tech.tech import Rule, derived_tokens

__all__ = ["Violation", "DrcReport", "run_drc", "FOUNDRY_RULE_NAMES", "own_rule_name"]

#: foundry-deck rule names (``sky130A_mr.drc``) whose check the own deck reports under another name: the
#: deck splits a manual rule into parts (``ct.1_a``/``ct.1_b`` for ``ct.1``), numbers the implant rules the
#: other way round (its ``nsdm.1`` is the manual's spacing ``nsd.2``) or prefixes them (``791_m1.4``).
#: Every other rule the deck reports on the project's layers has the same name in both decks.
FOUNDRY_RULE_NAMES: dict[str, str] = {
    "791_m1.4": "m1.4",
    "MR_licon.SP.1": "licon.2",
    "licon.1_c": "licon.1",
    "ct.1_a": "ct.1",
    "ct.1_b": "ct.1",
    "via.1a_a": "via.1a",
    "via.1a_b": "via.1a",
    "via2.1a_a": "via2.1a",
    "via2.1a_b": "via2.1a",
    "via3.1_a": "via3.1",
    "via3.1_b": "via3.1",
    "via4.1_a": "via4.1",
    "via4.1_b": "via4.1",
    "difftap.1_a": "difftap.1",
    "difftap.1_c": "difftap.1",
    "nsdm.1": "nsd.2",
    "nsdm.2": "nsd.1",
    "psdm.1": "psd.2",
    "psdm.2": "psd.1",
}


def own_rule_name(foundry_rule: str) -> str:
    """The own deck's name for the foundry deck's rule ``foundry_rule`` (see :data:`FOUNDRY_RULE_NAMES`)."""
    return FOUNDRY_RULE_NAMES.get(foundry_rule, foundry_rule)


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
        return {
            "gds": self.gds,
            "top": self.top,
            "tech": self.tech,
            "deck": self.deck,
            "total": self.total,
            "clean": self.clean,
            "seconds": round(self.seconds, 3),
            "counts": self.counts,
            "violations": [
                {
                    "rule": v.rule,
                    "layer": v.layer,
                    "box_um": list(v.box),
                    "value_um": v.value,
                    "cell": v.cell,
                    "description": v.description,
                }
                for v in self.violations
            ],
        }

    def text(self) -> str:
        """Human-readable summary: one line per violated rule and the first markers."""
        deck = f"tech {self.tech}" if self.deck == "own" else f"runset {self.deck}"
        lines = [
            f"DRC {self.gds} (top {self.top}, {deck}): {self.total} violation(s) in {self.seconds:.2f} s"
        ]
        described = {v.rule: v.description for v in self.violations if v.description}
        for rule, count in self.counts.items():
            if count:
                lines.append(f"  {rule}: {count}" + (f"  ({described[rule]})" if rule in described else ""))
        for v in self.violations[:50]:
            x0, y0, x1, y1 = v.box
            lines.append(
                f"    {v.rule} on {v.layer} at ({x0:.3f}, {y0:.3f})-({x1:.3f}, {y1:.3f})"
                + (f" measured {v.value:.3f} um" if v.value is not None else "")
                + (f" in cell {v.cell}" if v.cell and v.cell != self.top else "")
            )
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
        """Evaluate a derived-layer expression left to right (see :func:`eda.tech.tech.derived_tokens`)."""
        tokens = derived_tokens(expr)
        result = self[tokens[0]]
        position = 1
        while position < len(tokens):
            op, operand = tokens[position], tokens[position + 1]
            position += 2
            if op == "sized":
                result = result.sized(int(round(float(operand) / self.layout.dbu)))
                continue
            other = self[operand]
            binary = {"&": result.__and__, "|": result.__add__, "-": result.__sub__, "^": result.__xor__}
            result = binary[op](other) if op in binary else getattr(result, op)(other)
        return result


@dataclass(frozen=True)
class _Markers:
    """What one rule found: a region (polygon markers) or edge pairs, and whether an edge pair's distance is
    the measured width/space/enclosure."""

    shapes: Any
    edge_pairs: bool
    measured: bool = True


def _adjacent(layers: _Layers, rule: Rule, value: int) -> Any:
    """Shapes of ``layer2`` with two adjacent edges enclosed by ``layer`` by less than ``value`` (dbu)."""
    kdb = layers.kdb
    inner = layers[rule.layer2]
    thin = layers[rule.layer].enclosing_check(inner, value, False, kdb.Region.Projection).second_edges()
    corners = thin.width_check(1, False, kdb.Region.Euclidian, 100.0)
    return inner.interacting(corners.polygons(1))


def _wide_space(layers: _Layers, rule: Rule, value: int, dbu: float) -> Any:
    """Edge pairs closer than ``value`` (dbu) where one edge bounds a part of ``layer`` wider than ``over``."""
    a = layers[rule.layer]
    half = int(round((rule.over or 0.0) / 2 / dbu))
    grid = int(round(layers.tech.grid / dbu))
    huge = a.sized(-half).sized(half).snapped(grid, grid) & a
    rest = a.edges() - huge
    huge_edges = huge.edges().outside_part(a.merged())
    return huge_edges.separation_check(rest, value) + huge_edges.space_check(value)


def _check(layers: _Layers, rule: Rule, dbu: float) -> _Markers:
    """Run one rule on the layout."""
    kdb = layers.kdb
    value = int(round(rule.value / dbu))
    a = layers[rule.layer]
    b = layers[rule.layer2] if rule.layer2 else None
    kind = rule.kind
    if kind == "width":
        return _Markers(a.width_check(value), True)
    if kind == "space":
        return _Markers(a.space_check(value), True)
    if kind == "enclosure":
        return _Markers(a.enclosing_check(b, value), True)
    if kind == "extension":
        return _Markers(
            a.enclosing_check(b, value, zero_distance_mode=kdb.Region.NeverIncludeZeroDistance), True
        )
    if kind == "separation":
        return _Markers(a.separation_check(b, value), True)
    if kind == "adjacent":
        return _Markers(_adjacent(layers, rule, value), False)
    if kind == "wide_space":
        return _Markers(_wide_space(layers, rule, value, dbu), True)
    if kind == "isolated":
        gaps = a.isolated_check(value).polygons()
        return _Markers(gaps - b if b is not None else gaps, False)
    if kind == "size":
        bad = a.with_bbox_width(value, True) + a.with_bbox_height(value, True) + a.non_rectangles()
        return _Markers(bad, False)
    if kind in ("area", "holes"):
        area = int(round(rule.value / dbu / dbu))
        shapes = a.merged() if kind == "area" else a.holes()
        return _Markers(shapes.with_area(0, area, False), False)
    if kind == "cover":
        return _Markers(a - b, False)
    if kind == "overlap":
        return _Markers(a & b, False)
    if kind == "grid":
        return _Markers(a.grid_check(value, value), True, measured=False)
    if kind == "angle":
        return _Markers(a.with_angle(0.0, rule.value, False), True, measured=False)
    raise ValueError(rule.kind)  # pragma: no cover - kinds are validated by load_tech


def run_drc(
    gds: str | Path,
    tech: Tech | str | Path | None = None,
    *,
    top: str | None = None,
    deep: bool = True,
    max_markers: int = 200,
    rdb_path: str | Path | None = None,
) -> DrcReport:
    """Check ``gds`` against every rule of ``tech``; optionally save a KLayout marker database."""
    from eda.signoff.gdsfile import read_layout

    start = time.perf_counter()
    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    path = Path(gds)
    layout = read_layout(path)  # missing, directory, empty, non-GDS, truncated or corrupt: DataError
    cell = layout.cell(top) if top else layout.top_cell()
    if cell is None:
        raise DataError(
            f"no top cell '{top}' in {path}" if top else f"{path} has no single top cell",
            hint="pass --top NAME",
        )
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
    categories: dict[str, Any] = {}
    for rule in tech.rules:
        found = _check(layers, rule, dbu)
        count = int(found.shapes.count())
        counts[rule.name] = counts.get(rule.name, 0) + count
        if not count:
            continue
        if rdb and rule.name not in categories:
            categories[rule.name] = rdb.create_category(
                f"{rule.name} ({rule.kind} {rule.value} on {rule.layer})"
            )
        layer = rule.layer + (f"/{rule.layer2}" if rule.layer2 else "")
        for marker in found.shapes.each():
            box = marker.bbox()
            dist = marker.distance() * dbu if found.edge_pairs and found.measured else None
            if len(violations) < max_markers:
                violations.append(
                    Violation(
                        rule.name,
                        layer,
                        (box.left * dbu, box.bottom * dbu, box.right * dbu, box.top * dbu),
                        dist,
                    )
                )
            if rdb:
                item = rdb.create_item(rdb_cell.rdb_id(), categories[rule.name].rdb_id())
                item.add_value(marker.to_dtype(dbu))
    if rdb:
        rdb.save(str(rdb_path))
    return DrcReport(
        gds=str(path),
        top=cell.name,
        tech=tech.name,
        counts=counts,
        violations=violations,
        seconds=time.perf_counter() - start,
    )
