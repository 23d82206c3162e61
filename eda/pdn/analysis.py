"""One call from a netlist file to every artifact a user wants: the engine of ``eda pdn solve``/``pdn.solve``.

Outputs written into ``out_dir``:

* ``ir_drop_map.csv`` — contest format (V per 1 µm tile, rows index x); grid from ``like`` when given;
* ``voltages.csv.gz`` — per node ``node,x_um,y_um,layer,voltage_v,drop_v``;
* ``heatmap.png`` (map, mV colour bar, worst marker) and ``layers.png`` (per-layer nodes);
* ``metrics.json`` — flat metrics ``pdn__static__worst_drop_mv`` ... (and ``pdn__dynamic__*``,
  ``pdn__map__*`` against a golden map);
* with a transient: ``dynamic_drop_map.csv``, ``dynamic_heatmap.png``, ``waveforms.csv``.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eda.errors import NetlistError
from eda.pdn.maps import read_map, write_map
from eda.pdn.netlist import PdnNetlist, read_netlist

__all__ = ["SolveOutputs", "analyze", "write_voltages", "parse_transient_arg"]


@dataclass
class SolveOutputs:
    """Paths (relative to the output directory) and metrics of one analysis."""

    files: dict[str, str]
    metrics: dict[str, Any]


def parse_transient_arg(text: str) -> tuple[float, float]:
    """``"5n,10p"`` -> ``(5e-9, 1e-11)`` (stop, step in s)."""
    from eda.errors import UserError
    from eda.pdn.netlist import parse_value
    from eda.pdn.transient import check_transient_args

    parts = [p for p in text.replace(" ", "").split(",") if p]
    try:
        if len(parts) != 2:
            raise ValueError
        stop, step = parse_value(parts[0]), parse_value(parts[1])
    except ValueError:
        raise UserError(
            f"--transient expects STOP,STEP, got '{text}'", hint="e.g. --transient 5n,10p"
        ) from None
    check_transient_args(stop, step, where="--transient")
    return stop, step


def write_voltages(net: PdnNetlist, voltage: np.ndarray, drop: np.ndarray, path: str | Path) -> Path:
    """Per-node CSV (gzip when ``path`` ends with ``.gz``)."""
    cols = [
        net.names.astype(str),
        np.char.mod("%.4f", net.x_um),
        np.char.mod("%.4f", net.y_um),
        net.layer.astype(str),
        np.char.mod("%.9g", voltage),
        np.char.mod("%.6e", drop),
    ]
    body = cols[0]
    for c in cols[1:]:
        body = np.char.add(np.char.add(body, ","), c)
    text = "node,x_um,y_um,layer,voltage_v,drop_v\n" + "\n".join(body.tolist()) + "\n"
    p = Path(path)
    data = text.encode()
    p.write_bytes(gzip.compress(data, compresslevel=3, mtime=0) if p.suffix == ".gz" else data)
    return p


def _warn_coverage(net: PdnNetlist, shape: tuple[int, int], like: str | Path | None) -> None:
    """Warn when the ``like`` map's grid (1 µm tiles) does not match the die the nodes span."""
    from eda.pdn.raster import grid_shape

    die = grid_shape(net.x_um[np.isfinite(net.x_um)], net.y_um[np.isfinite(net.y_um)])
    if abs(shape[0] - die[0]) > 1 or abs(shape[1] - die[1]) > 1:
        verb = "does not cover" if shape[0] < die[0] - 1 or shape[1] < die[1] - 1 else "is larger than"
        logging.getLogger("eda.pdn").warning(
            f"{like}: the map's {shape[0]} x {shape[1]} tiles (1 µm) {verb} the die the netlist spans "
            f"({die[0]} x {die[1]} µm); the IR-drop map is cut or padded to it: give the design's own map"
        )


def analyze(
    netlist: str | Path | PdnNetlist,
    out_dir: str | Path,
    *,
    like: str | Path | None = None,
    golden: str | Path | None = None,
    transient: tuple[float, float] | str | None = None,
    method: str = "trap",
    backend: str = "auto",
    plots: bool = True,
    dbu_per_um: float = 2000.0,
    step_tolerance: float | None = None,
) -> SolveOutputs:
    """Solve ``netlist`` (static, plus transient when ``(stop, step)`` is given, or ``"netlist"`` to take them
    from its ``.tran`` line) and write all outputs. Node-name coordinates are in ``dbu_per_um`` DBU per µm
    (:func:`eda.pdn.defunits.resolve_dbu`). ``step_tolerance``: halve the transient's step until two
    successive steps agree on the worst drop within it (relative; :func:`eda.pdn.transient.converged_transient`)."""
    from eda.pdn.heatmap import plot_layers, plot_map
    from eda.pdn.metrics import map_metrics
    from eda.pdn.raster import rasterize
    from eda.pdn.static import solve_static

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    net = netlist if isinstance(netlist, PdnNetlist) else read_netlist(netlist, dbu_per_um=dbu_per_um)
    t_parse = time.perf_counter() - t0
    if transient == "netlist":
        if net.tran is None:
            raise NetlistError(
                "no .tran line",
                where=str(net.source),
                hint="add `.tran STEP STOP` or give the transient's stop and step",
            )
        transient = (net.tran[1], net.tran[0])  # .tran STEP STOP
    if transient is not None:
        from eda.pdn.transient import check_transient_args

        check_transient_args(*transient, where=str(net.source))  # before the static solve, not after
    like_map = read_map(like) if like is not None else None
    res = solve_static(net, backend=backend)
    files: dict[str, str] = {}
    vdd = res.vdd
    metrics: dict[str, Any] = {
        "pdn__netlist__nodes": net.n_nodes,
        "pdn__netlist__resistors": len(net.r_a),
        "pdn__netlist__pads": len(net.v_pos),
        "pdn__netlist__current_sources": len(net.i_a),
        "pdn__netlist__parse_s": round(t_parse, 4),
        "pdn__static__vdd_v": vdd,
        "pdn__static__worst_drop_mv": res.worst_drop * 1e3,
        "pdn__static__worst_drop_pct_vdd": 100.0 * res.worst_drop / vdd if vdd else 0.0,
        "pdn__static__avg_drop_mv": res.avg_drop * 1e3,
        "pdn__static__worst_node": net.describe_node(res.worst_node),
        "pdn__static__total_current_a": float(np.sum(net.i_amp)),
        "pdn__static__backend": res.info.backend,
        "pdn__static__residual": res.info.residual,
        "pdn__static__solve_s": round(res.timings["solve_s"], 4),
    }
    for lay, st in res.layer_stats().items():
        tag = f"m{lay}" if lay >= 0 else "unplaced"
        metrics[f"pdn__layer_{tag}__worst_drop_mv"] = st["worst_drop_v"] * 1e3
        metrics[f"pdn__layer_{tag}__avg_drop_mv"] = st["avg_drop_v"] * 1e3
    write_voltages(net, res.voltage, res.drop, out / "voltages.csv.gz")
    files["voltages"] = "voltages.csv.gz"
    has_xy = bool(np.any(np.isfinite(net.x_um)))
    shape = like_map.shape if like_map is not None else None
    if has_xy and shape is not None:
        _warn_coverage(net, shape, like)
    if has_xy:
        drop_map = rasterize(net, res.drop, shape)
        write_map(out / "ir_drop_map.csv", drop_map)
        files["ir_drop_map"] = "ir_drop_map.csv"
        metrics["pdn__map__worst_drop_mv"] = float(drop_map.max()) * 1e3
        if golden is not None:
            for k, v in map_metrics(drop_map, read_map(golden)).items():
                metrics[f"pdn__map__{k}" + ("_mv" if k in ("mae", "max_error") else "")] = (
                    v * 1e3 if k in ("mae", "max_error") else v
                )
        if plots:
            plot_map(drop_map, out / "heatmap.png", title=f"Static IR drop — {Path(str(net.source)).name}")
            plot_layers(net, res.drop, out / "layers.png")
            files["heatmap"] = "heatmap.png"
            files["layers"] = "layers.png"
    if transient is not None:
        from eda.pdn.transient import converged_transient, solve_transient

        stop, step = transient
        probes = np.unique(np.concatenate([[res.worst_node], net.v_pos]))[:16]
        if step_tolerance:
            study = converged_transient(
                net,
                stop,
                step,
                tolerance=step_tolerance,
                method=method,
                check=False,
                backend=backend,
                probes=probes,
            )
            tr = study.result
            metrics["pdn__dynamic__time_step_s"] = study.step
            metrics["pdn__dynamic__step_converged"] = study.converged
        else:
            tr = solve_transient(net, stop, step, method=method, backend=backend, probes=probes, check=False)
        metrics.update(
            {
                "pdn__dynamic__worst_drop_mv": tr.worst * 1e3,
                "pdn__dynamic__worst_drop_pct_vdd": 100.0 * tr.worst / vdd if vdd else 0.0,
                "pdn__dynamic__worst_node": net.describe_node(int(np.argmax(tr.worst_drop))),
                "pdn__dynamic__steps": int(tr.timings["steps"]),
                "pdn__dynamic__step_s": tr.timings["step_s"],
                "pdn__dynamic__method": method,
            }
        )
        header = "time_s," + ",".join(net.node_name(int(p)) for p in probes)
        np.savetxt(
            out / "waveforms.csv",
            np.column_stack([tr.time, tr.waveforms]),
            delimiter=",",
            header=header,
            comments="",
            fmt="%.9g",
        )
        files["waveforms"] = "waveforms.csv"
        if has_xy:
            dyn_map = rasterize(net, tr.worst_drop, shape)
            write_map(out / "dynamic_drop_map.csv", dyn_map)
            files["dynamic_drop_map"] = "dynamic_drop_map.csv"
            if plots:
                plot_map(dyn_map, out / "dynamic_heatmap.png", title="Worst dynamic IR drop over time")
                files["dynamic_heatmap"] = "dynamic_heatmap.png"
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
    files["metrics"] = "metrics.json"
    return SolveOutputs(files=files, metrics=metrics)
