"""The ``macro.pdn`` step: a generated ACIM macro's power grid as static and dynamic PDN netlists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from eda.acim.spec import ACIMSpec
from eda.errors import SpecError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult

__all__ = ["MacroPdn", "strap_current_density"]


def strap_current_density(
    grid, voltage: np.ndarray, widths: dict[str, float] | None = None
) -> dict[str, float]:
    """Highest current density (mA per µm of drawn width) per conductor kind, from a static solution (V per
    node). Widths are each resistor's own (``grid.r_width_um``) unless ``widths`` gives one per kind; vias
    (no width) are left out."""
    current = np.abs(voltage[grid.r_a] - voltage[grid.r_b]) / grid.r_ohm
    kinds = np.array(grid.r_kind)
    width = np.asarray(grid.r_width_um, dtype=float)
    if widths is not None or len(width) != len(current):
        width = np.array([(widths or {}).get(kind, 0.0) for kind in grid.r_kind])
    out = {}
    for kind in dict.fromkeys(grid.r_kind):
        mask = (kinds == kind) & (width > 0)
        if mask.any():
            out[kind] = float((current[mask] / width[mask]).max() * 1e3)
    return out


def _library_as_drawn(lib, spec: ACIMSpec, area: dict):
    """The library with the tap-column (stripe) spacing the generator used, read back from the area JSON
    (``tap_columns.every``, checked against the drawn tap columns' x)."""
    from eda.acim.floorplan import floorplan
    from eda.acim.library import with_stripe_every

    taps = area.get("tap_columns") or {}
    drawn_x = [round(float(x), 4) for x in taps.get("x_um", [])]
    candidates = [int(taps["every"])] if taps.get("every") else list(range(1, spec.cols + 1))
    for every in [None, *candidates]:
        candidate = lib if every is None else with_stripe_every(lib, every)
        fp = floorplan(spec, candidate)
        xs = [fp.tap_x(i) for i in range(fp.n_taps)]
        if (drawn_x and xs == drawn_x) or (
            not drawn_x and list(fp.stripe_columns) == area.get("stripe_columns")
        ):
            return candidate
    raise SpecError(
        f"cannot reproduce the drawn tap columns (x = {drawn_x} µm) with library {lib.name}",
        hint="extract with the library the macro was generated with (param `library`)",
    )


def _load_workload(path: Path):
    from eda.workloads.workload import Workload

    return Workload.load(path)


@register
class MacroPdn(Step):
    """Extract a generated macro's power grid with workload-driven cell currents (static + dynamic netlists)."""

    name = "macro.pdn"
    version = "7"
    inputs = {
        "area": "acim.generate's area JSON (spec + floorplan of the generated macro)",
        "workload": "optional Workload (YAML/JSON) whose activity drives the cell currents",
        "gds": "optional GDS of the macro, to cross-check the extracted stripes against the drawing",
    }
    optional_inputs = frozenset({"workload", "gds"})
    outputs = {
        "static": "static.sp (DC cell currents)",
        "dynamic": "dynamic.sp (PWL currents, decaps, .tran)",
        "current_map": "current_map.csv (A per 1 µm tile, rows index x)",
        "peak_current_map": "peak_current_map.csv (each cell's peak current in the dynamic window, A per tile)",
        "time_slices": "time_slices.npz: `slices` [8, X, Y], the dynamic window folded by the compute cycle "
        "(each node's largest mean over every eighth of a cycle, A per tile)",
        "eff_dist": "eff_dist_map.csv (effective distance to the pads, µm)",
        "pdn_density": "pdn_density.csv (met4 stripes per 100 µm)",
        "summary": "macro_pdn.json",
    }

    class Params(StepParams):
        net: Literal["VDD", "VSS"] = Field(default="VDD", description="supply net whose grid is extracted")
        clock_MHz: float = Field(default=200.0, gt=0, description="compute clock (MHz)")
        stripe_every: int | None = Field(
            default=None, ge=1, description="override the library's stripe spacing"
        )
        cycles: int = Field(
            default=6, ge=1, le=200, description="compute cycles per segment in the dynamic window"
        )
        window: Literal["worst", "trace"] = Field(
            default="worst",
            description="dynamic window: the most demanding "
            "layer, or the workload's trace (segment after segment)",
        )
        trace_segments: int = Field(
            default=16, ge=1, le=400, description="segments of the trace (window: trace)"
        )
        library: str | None = Field(
            default=None, description="cell library directory (default: the shipped one)"
        )
        decaps: bool = Field(
            default=True,
            description="add each cell's gate capacitance (gate area x C_ox) "
            "as a decap in the dynamic netlist",
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.acim.library import load_library, with_stripe_every
        from eda.macro.activity import (
            Segment,
            activity_segments,
            cycle_slice_maps,
            drawn_waveforms,
            macro_power,
            node_decaps_f,
            static_currents,
            worst_segment,
        )
        from eda.macro.grid import STRIPE_WIDTH_UM, extract_power_grid, stripes_in_gds
        from eda.macro.spice import write_grid_spice
        from eda.pdn.maps import write_map
        from eda.pdn.netlist import read_netlist
        from eda.pdn.static import solve_static
        from eda.tech import load_tech

        p = ctx.params
        area = json.loads(ctx.input("area").read_text())
        spec = ACIMSpec.from_dict(area["spec"], where=str(ctx.input("area")))
        lib = load_library(p.library)
        if p.stripe_every:
            lib = with_stripe_every(lib, p.stripe_every)
        elif area.get("tap_columns") is not None or area.get("stripe_columns") is not None:
            lib = _library_as_drawn(lib, spec, area)
        grid = extract_power_grid(spec, lib, net=p.net)
        gds = ctx.optional_input("gds")
        if gds is not None:
            tech = load_tech(lib.tech_file if lib.tech_file.is_file() else None)
            drawn = stripes_in_gds(gds, tech.gds("met4"), STRIPE_WIDTH_UM, min_length=grid.height_um / 2)
            missing = [x for x in grid.stripes_x_um if not any(abs(x - d) < 1e-3 for d in drawn)]
            if missing:
                raise SpecError(
                    f"extracted {p.net} stripes at x={missing} µm are not drawn in {gds.name}",
                    hint="extract with the same library and stripe_every as the generator used",
                )
        power = macro_power(spec, p.clock_MHz, lib)
        workload = ctx.optional_input("workload")
        segments = (
            activity_segments(_load_workload(workload), spec, p.clock_MHz)
            if workload
            else [Segment("full-activity", 1.0)]
        )
        power.segments = segments
        current = static_currents(grid, power, segments)
        worst = worst_segment(segments)
        window = [worst] if p.window == "worst" else segments[: p.trace_segments]
        times, drawing, waves = drawn_waveforms(grid, power, window, p.cycles)  # rows of the drawing nodes
        decap = node_decaps_f(grid, lib) if p.decaps else np.zeros(grid.n_nodes)
        write_grid_spice(grid, ctx.path("static.sp"), current=current, title=f"{spec.name} static")
        label = worst.name if p.window == "worst" else f"trace of {len(window)} segments"
        write_grid_spice(
            grid,
            ctx.path("dynamic.sp"),
            times=times,
            waves=waves,
            drawing=drawing,
            decap_f=decap if p.decaps else None,
            title=f"{spec.name} dynamic ({label})",
        )
        net = read_netlist(ctx.path("static.sp"))  # what every PDN tool will read
        solution = solve_static(net)
        # conservation: the current the pads deliver equals what the cells draw
        pad_rows = np.isin(net.r_a, net.v_pos) | np.isin(net.r_b, net.v_pos)
        v = solution.voltage
        flow = (v[net.r_a[pad_rows]] - v[net.r_b[pad_rows]]) / net.r_ohm[pad_rows]
        into = np.where(np.isin(net.r_a[pad_rows], net.v_pos), flow, -flow)
        pad_current = float(into.sum())
        drawn = float(net.i_amp.sum())
        order = {
            (name.decode() if isinstance(name, bytes) else str(name)): i for i, name in enumerate(net.names)
        }
        vmap = v[[order[name] for name in grid.node_names()]]
        density = strap_current_density(grid, vmap)
        nx, ny = grid.map_shape
        write_map(ctx.path("current_map.csv"), grid.tile_current_map(current))
        # the dynamic checkpoint's inputs: the window folded by the cycle, and the cells' peaks
        slice_maps, peak_map = cycle_slice_maps(grid, times, drawing, waves, power.cycle_s)
        write_map(ctx.path("peak_current_map.csv"), peak_map)
        np.savez_compressed(ctx.path("time_slices.npz"), slices=slice_maps)
        # the contest's other two input maps, so learned predictors apply to the macro too
        from eda.pdn.features import effective_distance_map, pdn_density_map

        write_map(ctx.path("eff_dist_map.csv"), effective_distance_map(net, (nx, ny), snap_um=None))
        write_map(ctx.path("pdn_density.csv"), pdn_density_map(net, (nx, ny), layer=4))
        summary = {
            "spec": spec.to_dict(),
            "net": p.net,
            "nodes": grid.n_nodes,
            "resistors": len(grid.r_ohm),
            "pads": len(grid.pads),
            "stripes_x_um": grid.stripes_x_um,
            "sinks": {k: len(v) for k, v in grid.sinks.items()},
            "power": power.to_dict(),
            "dynamic_window": {
                "segments": [s.name for s in window],
                "cycles": p.cycles,
                "stop_s": float(times[-1]),
            },
            "total_current_a": drawn,
            "pad_current_a": pad_current,
            "decap_total_f": float(decap.sum()),
            "current_density_ma_per_um": density,
            "static_worst_drop_mv_check": float(solution.drop.max() * 1e3),
        }
        ctx.path("macro_pdn.json").write_text(json.dumps(summary, indent=2) + "\n")
        metrics = {
            "macro__pdn__nodes": grid.n_nodes,
            "macro__pdn__total_current_ma": drawn * 1e3,
            "macro__pdn__pad_current_ma": pad_current * 1e3,
            "macro__pdn__conservation_error": abs(pad_current - drawn) / max(drawn, 1e-30),
            "macro__pdn__max_strap_current_density_ma_per_um": max(density.values()),
            "macro__pdn__decap_pf": float(decap.sum() * 1e12),
            "macro__pdn__stripes": len(grid.stripes_x_um),
        }
        return StepResult(
            outputs={
                "static": "static.sp",
                "dynamic": "dynamic.sp",
                "current_map": "current_map.csv",
                "peak_current_map": "peak_current_map.csv",
                "time_slices": "time_slices.npz",
                "eff_dist": "eff_dist_map.csv",
                "pdn_density": "pdn_density.csv",
                "summary": "macro_pdn.json",
            },
            metrics=metrics,
        )


@register
class MacroIrDrop(Step):
    """Compare the golden static/dynamic IR drop of a macro with a prediction; heat maps over the floorplan."""

    name = "macro.irdrop"
    version = "2"
    inputs = {
        "area": "acim.generate's area JSON (floorplan blocks)",
        "golden": "static ir_drop_map.csv (golden)",
        "dynamic": "dynamic_drop_map.csv (golden transient, worst over time)",
        "predicted": "ir_drop_map.csv predicted without solving (irdrop.predict)",
        "predicted_dynamic": "worst dynamic drop predicted without a transient (irdrop.predict, macro-dynamic)",
    }
    optional_inputs = frozenset({"dynamic", "predicted", "predicted_dynamic"})
    outputs = {
        "static_png": "golden (and predicted) static maps over the floorplan",
        "dynamic_png": "dynamic map over the floorplan",
        "report": "irdrop_compare.json",
    }
    optional_outputs = frozenset({"dynamic_png"})

    class Params(StepParams):
        pass

    def run(self, ctx: StepContext) -> StepResult:
        from eda.macro.compare import plot_overlay
        from eda.pdn.maps import read_map

        blocks = json.loads(ctx.input("area").read_text()).get("blocks", {})
        golden = read_map(ctx.input("golden"))
        maps = {"golden static": golden}
        metrics: dict[str, float] = {"macro__irdrop__golden_worst_mv": float(golden.max() * 1e3)}
        predicted_path = ctx.optional_input("predicted")
        report: dict[str, object] = {"golden_worst_mv": metrics["macro__irdrop__golden_worst_mv"]}
        if predicted_path is not None:
            maps["predicted (PDNNet)"] = predicted = read_map(predicted_path)
            report["prediction_vs_golden"] = _score(predicted, golden, "predict", metrics)
        plot_overlay(maps, blocks, ctx.path("static_overlay.png"), title="Static IR drop of the macro")
        outputs = {"static_png": "static_overlay.png", "report": "irdrop_compare.json"}
        dynamic_path = ctx.optional_input("dynamic")
        if dynamic_path is not None:
            dynamic = read_map(dynamic_path)
            dynamic_maps = {"golden dynamic (worst over time)": dynamic}
            predicted_dynamic = ctx.optional_input("predicted_dynamic")
            if predicted_dynamic is not None:
                dynamic_maps["predicted (PDNNet, dynamic)"] = guess = read_map(predicted_dynamic)
                report["dynamic_prediction_vs_golden"] = _score(guess, dynamic, "predict_dynamic", metrics)
            plot_overlay(
                dynamic_maps,
                blocks,
                ctx.path("dynamic_overlay.png"),
                title="Dynamic IR drop of the macro",
            )
            outputs["dynamic_png"] = "dynamic_overlay.png"
            metrics["macro__irdrop__dynamic_worst_mv"] = float(dynamic.max() * 1e3)
            report["dynamic_worst_mv"] = metrics["macro__irdrop__dynamic_worst_mv"]
        ctx.path("irdrop_compare.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
        return StepResult(outputs=outputs, metrics=metrics)


def _score(
    predicted: np.ndarray, golden: np.ndarray, kind: str, metrics: dict[str, float]
) -> dict[str, float]:
    """Score a predicted map (V) against its golden one into ``metrics`` (``macro__<kind>__*``, mV); the scores."""
    from eda.pdn.metrics import map_metrics

    if predicted.shape != golden.shape:
        raise SpecError(
            f"{kind} map {predicted.shape} and golden map {golden.shape} differ in shape",
            hint="predict on the maps of the same macro.pdn run the golden solve used",
        )
    scores = map_metrics(predicted, golden)
    for name in ("mae", "max_error"):
        metrics[f"macro__{kind}__{name}_mv"] = scores[name] * 1e3
    for name in ("nmae", "f1", "correlation"):
        metrics[f"macro__{kind}__{name}"] = scores[name]
    return scores
