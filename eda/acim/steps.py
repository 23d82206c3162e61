"""The ``acim.generate`` step: spec (params or an exploration's ``best`` JSON) -> macro layout files."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eda.acim.generator import generate
from eda.acim.library import load_library, with_stripe_every
from eda.acim.spec import MAX_ADC_BITS, MAX_OPERAND_BITS, MAX_UNIT_CAP_FF, MIN_UNIT_CAP_FF, ACIMSpec
from eda.errors import SpecError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.shipped import resolve_library

__all__ = ["AcimGenerate", "resolve_library"]


@register
class AcimGenerate(Step):
    """Generate an ACIM macro layout (GDS, SPICE, abstract, LEF, area) from a spec."""

    name = "acim.generate"
    version = "3"
    inputs = {"spec": "JSON file with ACIMSpec fields (e.g. acim.explore's best); overrides the params"}
    optional_inputs = frozenset({"spec"})
    outputs = {
        "gds": "macro GDS",
        "netlist": "hierarchical SPICE netlist",
        "abstract": "abstract JSON",
        "lef": "LEF abstract",
        "area": "floorplan and area breakdown JSON",
        "verilog": "Verilog black box (.v)",
        "liberty": "Liberty timing/power view (.lib; when the models settle at clock_MHz)",
        "lyp": "KLayout layer properties (with klayout)",
        "lyt": "KLayout technology (with klayout)",
        "png": "layout render (PNG; with render: true)",
    }
    optional_outputs = frozenset({"png", "liberty", "lyp", "lyt"})

    class Params(StepParams):
        rows: int | None = Field(default=None, ge=1, description="H, bitcell rows")
        cols: int | None = Field(default=None, ge=1, description="W, bitcell columns")
        local_array_size: int | None = Field(
            default=None, ge=1, description="L, bitcells per compute capacitor (divides rows)"
        )
        adc_bits: int | None = Field(
            default=None,
            ge=1,
            le=MAX_ADC_BITS,
            description="SAR ADC bits (2**adc_bits <= rows / L * cols_per_adc)",
        )
        input_bits: int = Field(
            default=4,
            ge=1,
            le=MAX_OPERAND_BITS,
            description="input (activation) precision in bits (bit-serial cycles)",
        )
        weight_bits: int = Field(
            default=4,
            ge=1,
            le=MAX_OPERAND_BITS,
            description="weight precision in bits (adjacent columns per weight; divides cols)",
        )
        unit_cap_fF: float = Field(
            default=2.0, ge=MIN_UNIT_CAP_FF, le=MAX_UNIT_CAP_FF, description="unit compute capacitance (fF)"
        )
        cols_per_adc: int = Field(
            default=4, ge=1, description="adjacent columns sharing one SAR ADC (a power of two dividing cols)"
        )
        library: str | None = Field(
            default=None, description="cell library directory (default: the shipped sky130_acim)"
        )
        render: bool = Field(default=True, description="also write a PNG render (needs klayout)")
        clock_MHz: float = Field(
            default=100.0, gt=0, description="clock the Liberty view is written for (MHz)"
        )
        spice_convention: Literal["lvs", "open_pdks"] = Field(
            default="lvs",
            description="netlist devices: lvs (the foundry LVS deck's M/C devices) | open_pdks "
            "(X subcircuits, µm parameters, for ngspice/xschem with an open_pdks install)",
        )
        stripe_every: int | None = Field(
            default=None,
            ge=1,
            description="power stripe spacing in columns "
            "(default: the library's; smaller is a denser grid, less IR drop)",
        )

    def run(self, ctx: StepContext) -> StepResult:
        p = ctx.params
        spec_file = ctx.optional_input("spec")
        if spec_file is not None:
            spec = ACIMSpec.from_json(spec_file)
        else:
            missing = [n for n in ("rows", "cols", "local_array_size", "adc_bits") if getattr(p, n) is None]
            if missing:
                raise SpecError(
                    f"acim.generate needs {missing} or a `spec` input", where=f"step '{ctx.step_id}'"
                )
            spec = ACIMSpec(
                rows=p.rows,
                cols=p.cols,
                local_array_size=p.local_array_size,
                adc_bits=p.adc_bits,
                input_bits=p.input_bits,
                weight_bits=p.weight_bits,
                unit_cap_fF=p.unit_cap_fF,
                cols_per_adc=p.cols_per_adc,
            )
        spec.check_layout_size()
        library = load_library(resolve_library(p.library, ctx.flow_dir))
        if p.stripe_every is not None:
            library = with_stripe_every(library, p.stripe_every)
        macro = generate(
            spec, library, ctx.workdir, clock_MHz=p.clock_MHz, spice_convention=p.spice_convention
        )
        outputs = {kind: path.name for kind, path in macro.files.items()}
        if p.render:
            from eda.signoff.render import render_png

            outputs["png"] = render_png(
                macro.files["gds"], ctx.workdir / f"{macro.name}.png", layer_properties=macro.files.get("lyp")
            ).name
        fp = macro.floorplan
        ctx.log.info("%s: %.1f x %.1f um, %d instances", macro.name, fp.width, fp.height, len(macro.netlist))
        metrics = {
            "acim__layout__area_um2": round(fp.area_um2, 3),
            "acim__layout__width_um": round(fp.width, 3),
            "acim__layout__height_um": round(fp.height, 3),
            "acim__layout__bitcells": macro.counts.get("bitcell", 0),
            "acim__layout__instances": len(macro.netlist),
            "acim__layout__seconds": round(macro.seconds["total"], 3),
        }
        for part, area in fp.area_breakdown().items():
            metrics[f"acim__area__{part}_um2"] = area
        return StepResult(outputs=outputs, metrics=metrics)
