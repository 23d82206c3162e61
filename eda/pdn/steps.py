"""Flow steps ``pdn.generate`` (synthetic grid), ``pdn.solve`` (static/transient IR drop),
``pdn.from_openroad`` (a placed design's current map and PDN netlist) and ``pdn.example_block`` (the
example placed design's files)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eda.errors import SpecError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.pdn.defunits import dbu_per_um_field

__all__ = ["PdnGenerate", "PdnSolve", "PdnFromOpenroad", "PdnExampleBlock"]


@register
class PdnGenerate(Step):
    """Generate a synthetic BeGAN-style multi-layer PDN netlist and its current map (deterministic by seed)."""

    name = "pdn.generate"
    version = "2"
    outputs = {"netlist": "netlist.sp.gz", "current_map": "current_map.csv.gz", "spec": "spec.json"}

    class Params(StepParams):
        nodes: int = Field(default=20000, ge=16, description="approximate node count (sets the die size)")
        width_um: float | None = Field(default=None, gt=0, description="die width; overrides nodes")
        height_um: float | None = Field(default=None, gt=0, description="die height (default: width)")
        seed: int = Field(default=0, ge=0, description="seed of the current map, hotspots and waveforms")
        pads: Literal["bump", "periphery"] = Field(
            default="bump", description="supply pads: a bump array on the top layer or along the die edge"
        )
        pad_pitch_um: float = Field(default=100.0, gt=0, description="distance between pads (µm)")
        current_density_a_um2: float = Field(
            default=2e-7, ge=0, description="mean load current per area (A/µm²)"
        )
        hotspots: int = Field(default=4, ge=0, description="high-current regions added to the map")
        waveform: Literal["dc", "pwl"] = Field(
            default="dc",
            description="load currents: constant (dc) or piecewise-linear over time (pwl, for transients)",
        )
        package_r_ohm: float = Field(
            default=0.0, ge=0, description="package resistance in series with each pad (Ω)"
        )
        package_l_h: float = Field(
            default=0.0, ge=0, description="package inductance in series with each pad (H)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        import json
        from dataclasses import asdict

        from eda.pdn.generate import generate_pdn, sized_spec
        from eda.pdn.maps import write_map
        from eda.pdn.netlist import write_netlist

        p = ctx.params
        spec = sized_spec(
            p.nodes,
            p.width_um,
            p.height_um,
            seed=p.seed,
            pads=p.pads,
            pad_pitch_um=p.pad_pitch_um,
            current_density_a_um2=p.current_density_a_um2,
            hotspots=p.hotspots,
            waveform=p.waveform,
            package_r_ohm=p.package_r_ohm,
            package_l_h=p.package_l_h,
        )
        gen = generate_pdn(spec)
        write_netlist(gen.netlist, ctx.path("netlist.sp.gz"), title=f"synthetic PDN seed={p.seed}")
        write_map(ctx.path("current_map.csv.gz"), gen.current_map)
        ctx.path("spec.json").write_text(json.dumps(asdict(spec), indent=2, default=str))
        s = gen.netlist.summary()
        ctx.log.info(
            f"generated {s['nodes']} nodes, {s['resistors']} resistors, {s['pads']} pads "
            f"on {spec.width_um} x {spec.height_um} µm"
        )
        return StepResult(
            outputs=dict(self.outputs),
            metrics={
                "pdn__generate__nodes": s["nodes"],
                "pdn__generate__resistors": s["resistors"],
                "pdn__generate__pads": s["pads"],
                "pdn__generate__width_um": spec.width_um,
            },
        )


@register
class PdnSolve(Step):
    """Static (and optional transient) IR drop of a PDN netlist: contest map, voltages, heat map, metrics."""

    name = "pdn.solve"
    version = "3"
    inputs = {
        "netlist": "PDN SPICE netlist",
        "like": "contest map giving the output grid",
        "golden": "golden ir_drop_map to score against",
        "def": "the design's DEF (its UNITS give the node names' DBU)",
    }
    optional_inputs = frozenset({"like", "golden", "def"})
    outputs = {
        "ir_drop_map": "ir_drop_map.csv",
        "voltages": "voltages.csv.gz",
        "heatmap": "heatmap.png",
        "metrics": "metrics.json",
        "layers": "layers.png (per-layer node drops)",
        "dynamic_drop_map": "dynamic_drop_map.csv (worst transient drop per tile; with a transient)",
        "dynamic_heatmap": "dynamic_heatmap.png (with a transient)",
        "waveforms": "waveforms.csv (probe voltages over time; with a transient)",
    }
    optional_outputs = frozenset(
        {"layers", "dynamic_drop_map", "dynamic_heatmap", "waveforms", "heatmap", "ir_drop_map"}
    )

    class Params(StepParams):
        backend: Literal["auto", "direct", "cholmod", "splu", "amg", "cg", "spsolve"] = Field(
            default="auto",
            description="linear solver (auto: CHOLMOD when installed, else SuperLU; AMG/CG for "
            "the largest grids)",
        )
        transient_stop_s: float | None = Field(default=None, gt=0, description="run a transient to this time")
        transient_step_s: float | None = Field(default=None, gt=0, description="transient time step")
        method: Literal["trap", "be"] = Field(
            default="trap", description="transient integration: trapezoidal or backward Euler"
        )
        transient_from_netlist: bool = Field(
            default=False,
            description="take STOP and STEP from the netlist's .tran line (e.g. macro.pdn's dynamic.sp)",
        )
        step_tolerance: float | None = Field(
            default=None,
            gt=0,
            lt=1,
            description="halve the transient step until two successive steps agree on the worst drop "
            "within this fraction (e.g. 0.005; the trapezoidal rule rings on one-step pulse edges)",
        )
        plots: bool = Field(default=True, description="write heat maps (PNG)")
        dbu_per_um: float | None = dbu_per_um_field()

    def run(self, ctx: StepContext) -> StepResult:
        from eda.errors import FlowError
        from eda.pdn.analysis import analyze
        from eda.pdn.defunits import resolve_dbu

        p = ctx.params
        transient = None
        if (p.transient_stop_s is None) != (p.transient_step_s is None):
            raise FlowError("give both transient_stop_s and transient_step_s", where=f"step '{ctx.step_id}'")
        if p.transient_stop_s is not None:
            transient = (p.transient_stop_s, p.transient_step_s)
        elif p.transient_from_netlist:
            transient = "netlist"
        res = analyze(
            ctx.input("netlist"),
            ctx.workdir,
            like=ctx.optional_input("like"),
            golden=ctx.optional_input("golden"),
            transient=transient,
            method=p.method,
            backend=p.backend,
            plots=p.plots,
            dbu_per_um=resolve_dbu(p.dbu_per_um, ctx.optional_input("def")),
            step_tolerance=p.step_tolerance,
        )
        m = res.metrics
        ctx.log.info(
            f"worst static IR drop {m['pdn__static__worst_drop_mv']:.4f} mV at {m['pdn__static__worst_node']}"
        )
        metrics = {k: v for k, v in m.items() if isinstance(v, int | float | str)}
        return StepResult(outputs=dict(res.files), metrics=metrics)


@register
class PdnFromOpenroad(Step):
    """A placed design's current map (A per 1 µm tile) and, given its PDN netlist, that PDN with the instance
    currents as m1 sinks (:mod:`eda.pdn.design_currents`): ``eda pdn from-openroad`` as a step."""

    name = "pdn.from_openroad"
    version = "1"
    inputs = {
        "power_report": "instance power report (W per instance)",
        "pdn": "the PDN as a SPICE netlist (R and V elements)",
        "def": "the placed DEF (die area, component locations, units)",
        "tech_lef": "technology LEF (units; read before the cell LEF)",
        "lef": "cell LEF giving each cell's size (a current spread over the cell's box instead of its origin)",
    }
    optional_inputs = frozenset({"pdn", "def", "tech_lef", "lef"})
    outputs = {
        "current_map": "current_map.csv",
        "netlist": "pdn.sp.gz (with a pdn input)",
        "summary": "design.json",
    }
    optional_outputs = frozenset({"netlist"})

    class Params(StepParams):
        vdd: float | None = Field(
            default=None, gt=0, description="supply voltage of I = P/VDD (V; default: the report's P/G-volt)"
        )
        dbu_per_um: float | None = dbu_per_um_field("the PDN's node names")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.pdn.design_currents import build_design_inputs

        p = ctx.params
        lefs = [f for f in (ctx.optional_input("tech_lef"), ctx.optional_input("lef")) if f is not None]
        if lefs and ctx.optional_input("def") is None:
            raise SpecError(
                "a LEF input needs the def input", hint="the LEF gives the sizes of the cells the DEF places"
            )
        result = build_design_inputs(
            ctx.input("power_report"),
            ctx.workdir,
            pdn=ctx.optional_input("pdn"),
            def_file=ctx.optional_input("def"),
            lef_files=lefs,
            vdd=p.vdd,
            dbu_per_um=p.dbu_per_um,
        )
        s = result.summary
        if "warning" in s:
            ctx.log.warning(s["warning"])
        outputs = {"current_map": "current_map.csv", "summary": "design.json"}
        if result.netlist is not None:
            outputs["netlist"] = "pdn.sp.gz"
        return StepResult(
            outputs=outputs,
            metrics={
                "pdn__design__instances": s["instances"],
                "pdn__design__total_current_a": s["total_current_a"],
                "pdn__design__total_power_w": s["total_power_w"],
                "pdn__design__vdd_v": s["vdd_v"],
                "pdn__design__max_tile_current_a": s["map_max_tile_a"],
            },
        )


@register
class PdnExampleBlock(Step):
    """Write the example placed design ``pdn-block`` (:mod:`eda.pdn.example_block`): a DEF, an instance power
    report and a PDN netlist, the three files a user's own design brings to ``pdn.from_openroad``."""

    name = "pdn.example_block"
    outputs = {
        "def": "pdn_block.def.gz (placement, 1000 DBU/µm)",
        "power_report": "pdn_block.inst.power.rpt.gz (instance power, W)",
        "pdn": "pdn_block.pdn.sp.gz (VDD grid resistors and pads, no loads)",
    }

    def run(self, ctx: StepContext) -> StepResult:
        from eda.pdn.example_block import write_example_block

        paths = write_example_block(ctx.workdir)
        return StepResult(outputs={role: path.name for role, path in paths.items()})
