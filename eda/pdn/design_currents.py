"""A placed design's cell currents: the contest current map and the current sinks of its PDN netlist.

Inputs are what a place-and-route flow (OpenROAD, or a commercial one) leaves behind: an instance power
report (:mod:`eda.pdn.powerreport`, W per instance), the placement (a DEF read by :mod:`eda.pdn.defplace`,
or else the report's own ``bbox`` column) and the PDN as a SPICE netlist of resistors and pads
(:mod:`eda.pdn.netlist`; e.g. OpenROAD's ``write_pg_spice``-style output). Each instance draws the static
current ``I = P_total / VDD`` (A), spread uniformly over its box where the box is known (a large macro is
not a point), else drawn at its DEF location:

* the **current map** sums the instance currents per 1 µm tile (contest format, rows index x; the tile
  ``(i, j)`` covers ``i <= x < i + 1``, ``j <= y < j + 1`` µm), each tile taking the share of a box it
  overlaps; it covers the die from the origin and every PDN node;
* the **PDN netlist** gets one current sink ``I<k> <node> 0 <A>`` per lowest-layer (m1) node: an instance's
  current is shared equally by the m1 nodes inside its box, or drawn from the m1 node nearest its centre
  when none is inside (a standard cell between two rails; the netlist's own current sources are replaced).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from eda.errors import DataError
from eda.pdn.defplace import DefPlacement, normalize_instance_name
from eda.pdn.netlist import PdnNetlist, Waveforms
from eda.pdn.powerreport import InstancePower

__all__ = [
    "InstanceCurrents",
    "DesignInputs",
    "instance_currents",
    "map_shape",
    "current_map",
    "attach_currents",
    "build_design_inputs",
]


@dataclass
class InstanceCurrents:
    """Static current of every report row at its location.

    Attributes:
        names: instance names (one per report row); ``amps``: ``P_total / VDD`` (A).
        xy_um: ``[n, 2]`` location (µm): box centre, else the DEF location.
        box_um: ``[n, 4]`` box ``x0, y0, x1, y1`` (µm; NaN where unknown).
        die_um: ``(x0, y0, x1, y1)`` die box (µm).
        vdd: the supply voltage the currents are taken at (V).
        placement: where the locations came from per row: ``"def"`` or ``"bbox"``.
    """

    names: np.ndarray
    amps: np.ndarray
    xy_um: np.ndarray
    box_um: np.ndarray
    die_um: tuple[float, float, float, float]
    vdd: float
    placement: np.ndarray

    @property
    def total_a(self) -> float:
        """Sum of all instance currents (A)."""
        return float(np.sum(self.amps))


def instance_currents(
    report: InstancePower, vdd: float, placement: DefPlacement | None = None
) -> InstanceCurrents:
    """Currents ``P_total / vdd`` (A) of the report's rows placed by the DEF ``placement`` where it has the
    instance, else by the row's ``bbox``. A DEF-placed instance's box is the DEF's (from LEF sizes), else the
    report's box size laid from the DEF location. A :class:`DataError` names the instances placed by neither."""
    if not vdd > 0:
        raise DataError(f"supply voltage {vdd:g} V must be positive", where="--vdd")
    xy = report.centre_um.copy()
    box = report.bbox_um.copy()
    source = np.where(report.has_bbox, "bbox", "").astype("<U4")
    if placement is not None:
        rows = placement.index()
        hit = np.array(
            [rows.get(normalize_instance_name(n), -1) for n in report.names.tolist()], dtype=np.int64
        )
        found = hit >= 0
        xy[found] = placement.xy_um[hit[found]]
        # the box: the DEF's (LEF sizes given), else the report's box size from the DEF location (its lower left)
        size = report.bbox_um[:, 2:] - report.bbox_um[:, :2]
        box[found] = placement.box_um[hit[found]]
        resize = found & ~np.all(np.isfinite(box), axis=1) & report.has_bbox
        box[resize] = np.c_[xy[resize], xy[resize] + size[resize]]
        xy[resize] += 0.5 * size[resize]
        source[found] = "def"
        die = placement.die_um
    else:
        boxes = report.bbox_um[report.has_bbox]
        die = (0.0, 0.0, float(boxes[:, 2].max()), float(boxes[:, 3].max())) if len(boxes) else (0.0,) * 4
    lost = np.flatnonzero(source == "")
    if lost.size:
        where = "the DEF's COMPONENTS" if placement is not None else "a bbox column"
        raise DataError(
            f"{lost.size} instance(s) of the power report have no placement in {where}, e.g. "
            f"{', '.join(report.names[lost[:3]].tolist())}",
            where=report.source,
            hint="give the DEF of the same design (--def) or a report with a bbox column",
        )
    return InstanceCurrents(
        names=report.names,
        amps=report.total_w / vdd,
        xy_um=xy,
        box_um=box,
        die_um=die,
        vdd=vdd,
        placement=source,
    )


def map_shape(die_um: tuple[float, float, float, float], net: PdnNetlist | None = None) -> tuple[int, int]:
    """Tiles ``(X, Y)`` of the 1 µm map covering the die from the origin and every PDN node with
    coordinates: ``floor(max) + 1`` per axis, as :func:`eda.pdn.raster.grid_shape`."""
    from eda.pdn.raster import grid_shape

    xs, ys = [die_um[2]], [die_um[3]]
    if net is not None and np.any(np.isfinite(net.x_um)):
        xs.append(float(np.nanmax(net.x_um)))
        ys.append(float(np.nanmax(net.y_um)))
    return grid_shape(np.array(xs), np.array(ys))


def _tile(coord: np.ndarray, n: int) -> np.ndarray:
    return np.clip(np.floor(coord).astype(np.int64), 0, n - 1)


def _overlaps(lo: float, hi: float, n: int) -> tuple[int, np.ndarray]:
    """First tile and the length (µm) of ``[lo, hi]`` inside each tile from it on (clipped to ``n`` tiles)."""
    first, last = int(_tile(np.array(lo), n)), int(_tile(np.array(hi), n))
    edges = np.arange(first, last + 2, dtype=np.float64)
    edges[0], edges[-1] = min(lo, edges[0]), max(hi, edges[-1])  # a box past the map's edge stays on it
    return first, np.diff(np.clip(edges, lo, hi))


def current_map(currents: InstanceCurrents, shape: tuple[int, int]) -> np.ndarray:
    """Instance currents summed per 1 µm tile ``[X, Y]`` (A), each box's current shared by the tiles it
    overlaps in proportion to the overlap area; an instance without a box (or one inside a single tile) adds
    to the tile of its location; points past an edge land in the edge tile."""
    out = np.zeros(shape)
    box = np.nan_to_num(
        currents.box_um, nan=-1.0
    )  # unknown boxes: only their ``sized`` test below reads them
    ix0, ix1 = _tile(box[:, 0], shape[0]), _tile(box[:, 2], shape[0])
    iy0, iy1 = _tile(box[:, 1], shape[1]), _tile(box[:, 3], shape[1])
    with np.errstate(invalid="ignore"):
        sized = np.all(np.isfinite(currents.box_um), axis=1) & (
            (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]) > 0
        )
    spread = sized & ((ix0 != ix1) | (iy0 != iy1))
    point = ~spread
    np.add.at(
        out,
        (_tile(currents.xy_um[point, 0], shape[0]), _tile(currents.xy_um[point, 1], shape[1])),
        currents.amps[point],
    )
    # boxes across at most 2 x 2 tiles inside the map (most standard cells), vectorised
    small = (
        spread
        & (ix1 - ix0 <= 1)
        & (iy1 - iy0 <= 1)
        & np.all(box >= 0, axis=1)
        & (box[:, 2] < shape[0])
        & (box[:, 3] < shape[1])
    )
    b, i, j = box[small], ix0[small], iy0[small]
    wx = np.stack([np.minimum(b[:, 2], i + 1) - b[:, 0], np.maximum(b[:, 2] - (i + 1), 0.0)])
    wy = np.stack([np.minimum(b[:, 3], j + 1) - b[:, 1], np.maximum(b[:, 3] - (j + 1), 0.0)])
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    for dx in (0, 1):
        for dy in (0, 1):
            w = wx[dx] * wy[dy]
            on = w > 0
            np.add.at(out, (i[on] + dx, j[on] + dy), currents.amps[small][on] * w[on] / area[on])
    spread &= ~small
    for k in np.flatnonzero(spread):
        x0, y0, x1, y1 = box[k]
        i, wx = _overlaps(x0, x1, shape[0])
        j, wy = _overlaps(y0, y1, shape[1])
        share = np.outer(wx, wy)
        out[i : i + len(wx), j : j + len(wy)] += currents.amps[k] * share / share.sum()
    return out


def attach_currents(net: PdnNetlist, currents: InstanceCurrents) -> PdnNetlist:
    """A copy of ``net`` whose current sources are the instance currents (one sink per node, A, into ground):
    an instance's current is shared equally by the lowest-layer nodes inside its box, or drawn from the one
    nearest its location when its box holds none."""
    from eda.pdn.raster import bottom_layer_nodes

    low = bottom_layer_nodes(net)
    xy = np.c_[net.x_um[low], net.y_um[low]]
    tree = cKDTree(xy)
    _, nearest = tree.query(currents.xy_um)
    node, amp = [nearest], [currents.amps]
    spread = np.zeros(len(nearest), dtype=bool)
    box = currents.box_um
    for k in np.flatnonzero(np.all(np.isfinite(box), axis=1)):
        x0, y0, x1, y1 = box[k]
        near = np.array(
            tree.query_ball_point(currents.xy_um[k], r=max(x1 - x0, y1 - y0) / 2, p=np.inf), np.int64
        )
        inside = near[(xy[near, 0] >= x0) & (xy[near, 0] <= x1) & (xy[near, 1] >= y0) & (xy[near, 1] <= y1)]
        if inside.size:
            spread[k] = True
            node.append(inside)
            amp.append(np.full(inside.size, currents.amps[k] / inside.size))
    amp[0] = np.where(spread, 0.0, currents.amps)
    amps = np.bincount(np.concatenate(node), weights=np.concatenate(amp), minlength=low.size)
    keep = np.flatnonzero(amps > 0)
    nodes = low[keep]
    n = nodes.size
    return replace(
        net,
        i_a=nodes.astype(np.int64),
        i_b=np.full(n, -1, np.int64),
        i_amp=amps[keep],
        waves=Waveforms.dc(n),
        i_line=np.zeros(n, np.int64),
        tran=None,
        warnings=list(net.warnings),
    )


@dataclass
class DesignInputs:
    """What :func:`build_design_inputs` wrote (paths) and measured (``summary``)."""

    current_map: Path
    netlist: Path | None
    summary: dict[str, Any] = field(default_factory=dict)


def build_design_inputs(
    power_report: str | Path,
    out_dir: str | Path,
    *,
    pdn: str | Path | None = None,
    def_file: str | Path | None = None,
    lef_files: list[str | Path] | tuple = (),
    vdd: float | None = None,
    dbu_per_um: float | None = None,
) -> DesignInputs:
    """Write ``current_map.csv`` (A per 1 µm tile), with ``pdn`` also ``pdn.sp.gz`` (the PDN with the
    instance current sinks, node names as in ``pdn``) and ``design.json`` (the summary) into ``out_dir``.

    ``vdd`` defaults to the report's ``P/G-volt``; the PDN's node names are decoded with ``dbu_per_um``,
    else the DEF's units (:func:`eda.pdn.defunits.resolve_dbu`).
    """
    from eda.pdn.defplace import read_def_placement
    from eda.pdn.defunits import resolve_dbu
    from eda.pdn.maps import write_map
    from eda.pdn.netlist import read_netlist, write_netlist
    from eda.pdn.powerreport import read_power_report, supply_voltage

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = read_power_report(power_report)
    supply = supply_voltage(report, vdd)
    placement = read_def_placement(def_file, lef_files) if def_file is not None else None
    currents = instance_currents(report, supply, placement)
    net = read_netlist(pdn, dbu_per_um=resolve_dbu(dbu_per_um, def_file)) if pdn is not None else None
    shape = map_shape(currents.die_um, net)
    cmap = current_map(currents, shape)
    summary: dict[str, Any] = {
        "instances": int(np.unique(report.names).size),
        "report_rows": len(report),
        "placed_by_def": int(np.sum(currents.placement == "def")),
        "placed_by_bbox": int(np.sum(currents.placement == "bbox")),
        "vdd_v": supply,
        "total_power_w": float(np.sum(report.total_w)),
        "total_current_a": currents.total_a,
        "die_um": list(currents.die_um),
        "map_tiles": list(shape),
        "map_max_tile_a": float(cmap.max()),
    }
    map_path = write_map(out / "current_map.csv", cmap)
    net_path = None
    if net is not None:
        sinks = attach_currents(net, currents)
        pad_v = net.supply_v
        summary.update(
            {
                "pdn_nodes": net.n_nodes,
                "pdn_pads": len(net.v_pos),
                "pdn_pad_v": pad_v,
                "current_sinks": len(sinks.i_a),
                "replaced_current_sources": len(net.i_a),
            }
        )
        if pad_v and abs(pad_v - supply) > 1e-6 * supply:
            summary["warning"] = (
                f"the PDN's pads are at {pad_v:g} V but the currents are taken at {supply:g} V "
                "(--vdd or the report's P/G-volt)"
            )
        net_path = write_netlist(
            sinks,
            out / "pdn.sp.gz",
            title=f"{Path(str(pdn)).name} with the instance currents of {Path(str(power_report)).name}",
        )
    (out / "design.json").write_text(json.dumps(summary, indent=1))
    return DesignInputs(current_map=map_path, netlist=net_path, summary=summary)
