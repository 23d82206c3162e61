"""Flow steps ``acim.characterize`` and ``acim.verify`` (transistor-level simulation of the cells and of
one post-layout ADC group)."""

from __future__ import annotations

from pydantic import Field

from eda.acim.devicemodels import Corner
from eda.acim.spec import MAX_ADC_BITS, MAX_UNIT_CAP_FF, MIN_UNIT_CAP_FF, ACIMSpec
from eda.acim.steps import resolve_library
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult

__all__ = ["AcimCharacterize", "AcimVerify", "VERIFY_FIGURES", "verify_group_spec"]

#: the headline figures of :func:`eda.acim.verify.verify`: simulated next to modelled SNR (dB), energy per
#: conversion (fJ) and settling time (ns)
VERIFY_FIGURES = (
    "snr_db_sim",
    "snr_db_model",
    "energy_fJ_sim",
    "energy_fJ_model",
    "settling_ns_sim",
    "settling_ns_model",
)


def verify_group_spec(
    *,
    rows: int,
    local_array_size: int,
    adc_bits: int,
    cols: int | None,
    cols_per_adc: int,
    unit_cap_fF: float,
) -> ACIMSpec:
    """The spec of the macro whose ADC group 0 is verified: ``cols`` defaults to one ADC group
    (``cols_per_adc``); unit capacitance in fF. Raises when the layout would be too large to generate."""
    spec = ACIMSpec(
        rows=rows,
        cols=cols or cols_per_adc,
        local_array_size=local_array_size,
        adc_bits=adc_bits,
        unit_cap_fF=unit_cap_fF,
        cols_per_adc=cols_per_adc,
    )
    spec.check_layout_size()
    return spec


@register
class AcimCharacterize(Step):
    """Characterise a cell library's drawn cells in ngspice at a corner (YAML the models read)."""

    name = "acim.characterize"
    version = "1"
    inputs: dict[str, str] = {}
    outputs = {
        "characterization": "<corner>.yaml",
        "butterfly": "bitcell butterfly curves (PNG)",
        "transfer": "switch, precharge and comparator curves (PNG)",
    }

    class Params(StepParams):
        corner: Corner = Field(default="tt", description="process corner: tt | ff | ss | fs | sf")
        vdd: float = Field(default=1.8, gt=0.5, le=2.0, description="supply (V)")
        temperature: float = Field(default=27.0, ge=-55.0, le=150.0, description="temperature (C)")
        library: str | None = Field(
            default=None, description="cell library directory (default: the shipped sky130_acim)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.acim.characterize import characterize
        from eda.acim.ngspice import Conditions

        p = ctx.params
        data = characterize(
            resolve_library(p.library, ctx.flow_dir),
            out=ctx.workdir,
            conditions=Conditions(p.corner, p.vdd, p.temperature),
        )
        bit = data["bitcell"]
        metrics = {
            "acim__cell__hold_snm_mV": bit["hold_snm_mV"],
            "acim__cell__read_snm_mV": bit["read_snm_mV"],
            "acim__cell__write_margin_mV": bit["write_margin_mV"],
            "acim__cell__read_current_uA": bit["read_current_uA"],
            "acim__comparator__energy_fJ": data["comparator"]["energy_fJ"],
            "acim__sar__energy_per_edge_fJ": data["sar"]["energy_per_edge_fJ"],
        }
        return StepResult(
            outputs={
                "characterization": f"{p.corner}.yaml",
                "butterfly": f"{p.corner}_butterfly.png",
                "transfer": f"{p.corner}_transfer.png",
            },
            metrics=metrics,
        )


@register
class AcimVerify(Step):
    """Simulate ADC group 0 of a generated macro (extracted devices and wires) against the models."""

    name = "acim.verify"
    version = "1"
    inputs: dict[str, str] = {}
    outputs = {"verify": "verify.json", "transfer": "transfer.png"}

    class Params(StepParams):
        rows: int = Field(ge=1, description="H, bitcell rows")
        local_array_size: int = Field(ge=1, description="L, bitcells per compute capacitor (divides rows)")
        adc_bits: int = Field(
            ge=1, le=MAX_ADC_BITS, description="SAR ADC bits (2**adc_bits <= rows / L * cols_per_adc)"
        )
        cols: int | None = Field(default=None, ge=1, description="W (default: one ADC group)")
        cols_per_adc: int = Field(
            default=4, ge=1, description="adjacent columns sharing one SAR ADC (a power of two dividing cols)"
        )
        unit_cap_fF: float = Field(
            default=2.0, ge=MIN_UNIT_CAP_FF, le=MAX_UNIT_CAP_FF, description="unit compute capacitance (fF)"
        )
        corner: Corner = Field(default="tt", description="process corner: tt | ff | ss | fs | sf")
        vectors: int = Field(
            default=200, ge=1, le=100_000, description="compute cycles simulated (random inputs and weights)"
        )
        clock_MHz: float = Field(
            default=500.0, gt=0.0, description="clock of the simulated cycles and the model predictions (MHz)"
        )
        seed: int = Field(
            default=1, ge=0, description="random seed of the simulated inputs, weights and selected rows"
        )
        library: str | None = Field(
            default=None,
            description="cell library directory or shipped name (default: the shipped sky130_acim)",
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.acim.verify import verify

        p = ctx.params
        spec = verify_group_spec(
            rows=p.rows,
            local_array_size=p.local_array_size,
            adc_bits=p.adc_bits,
            cols=p.cols,
            cols_per_adc=p.cols_per_adc,
            unit_cap_fF=p.unit_cap_fF,
        )
        r = verify(
            spec,
            corner=p.corner,
            vectors=p.vectors,
            out=ctx.workdir,
            clock_MHz=p.clock_MHz,
            seed=p.seed,
            library=resolve_library(p.library, ctx.flow_dir),
            workers=1,
        )
        metrics = {f"acim__verify__{k}": r[k] for k in VERIFY_FIGURES}
        return StepResult(outputs={"verify": "verify.json", "transfer": "transfer.png"}, metrics=metrics)
