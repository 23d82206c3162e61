"""``eda acim characterize`` (cells at transistor level) and ``eda acim verify`` (post-layout ADC group)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer()

CORNER_HELP = "Process corner: tt | ff | ss | fs | sf."


@app.command("characterize")
def characterize_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for <corner>.yaml and the plots.")],
    corner: Annotated[str, typer.Option("--corner", help=CORNER_HELP)] = "tt",
    library: Annotated[Path | None, typer.Option("--library", help="Cell library directory.")] = None,
    vdd: Annotated[float, typer.Option("--vdd", min=0.5, max=2.0, help="Supply (V).")] = 1.8,
    temperature: Annotated[
        float, typer.Option("--temperature", min=-55.0, max=150.0, help="Temperature (C).")
    ] = 27.0,
) -> None:
    """Simulate the library's drawn cells in ngspice (SKY130 models) and write the characterisation YAML."""
    from eda.acim.characterize import characterize
    from eda.acim.ngspice import Conditions
    from eda.paths import output_dir

    output_dir(out)
    data = characterize(library, conditions=Conditions(corner, vdd, temperature), out=out)
    bit, cmp_ = data["bitcell"], data["comparator"]
    typer.echo(
        f"{data['library']} at {corner}, {vdd:g} V, {temperature:g} C: hold SNM {bit['hold_snm_mV']:.0f} mV, "
        f"read SNM {bit['read_snm_mV']:.0f} mV, write margin {bit['write_margin_mV']:.0f} mV, "
        f"read current {bit['read_current_uA']:.1f} uA, comparator {cmp_['delay_ps']:.0f} ps / "
        f"{cmp_['energy_fJ']:.1f} fJ, SAR {data['sar']['energy_per_edge_fJ']:.1f} fJ per edge"
    )
    typer.echo(f"  written: {out / (corner + '.yaml')}")


@app.command("verify")
def verify_command(
    rows: Annotated[int, typer.Option("--rows", help="H: bitcell rows.")],
    local_array_size: Annotated[
        int, typer.Option("--local-array-size", help="L: bitcells per compute capacitor.")
    ],
    adc_bits: Annotated[int, typer.Option("--adc-bits", help="SAR ADC resolution.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (verify.json, transfer.png, macro/).")],
    cols: Annotated[
        int | None, typer.Option("--cols", help="W: bitcell columns (default: one ADC group).")
    ] = None,
    cols_per_adc: Annotated[int, typer.Option("--cols-per-adc")] = 4,
    unit_cap_ff: Annotated[float, typer.Option("--unit-cap-ff", help="Compute capacitor (fF).")] = 2.0,
    corner: Annotated[str, typer.Option("--corner", help=CORNER_HELP)] = "tt",
    vectors: Annotated[int, typer.Option("--vectors", min=1, max=100_000, help="Random MAC vectors.")] = 200,
    clock: Annotated[
        float, typer.Option("--clock-mhz", min=1.0, max=5000.0, help="Control clock (MHz).")
    ] = 500.0,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Parallel ngspice runs.")] = 2,
    library: Annotated[Path | None, typer.Option("--library", help="Cell library directory.")] = None,
) -> None:
    """Generate the macro, extract ADC group 0 and simulate MACs + conversions next to the models."""
    from eda.acim.circuit_steps import VERIFY_FIGURES, verify_group_spec
    from eda.acim.verify import verify
    from eda.paths import output_dir

    output_dir(out)
    spec = verify_group_spec(
        rows=rows,
        local_array_size=local_array_size,
        adc_bits=adc_bits,
        cols=cols,
        cols_per_adc=cols_per_adc,
        unit_cap_fF=unit_cap_ff,
    )
    r = verify(
        spec,
        corner=corner,
        vectors=vectors,
        out=out,
        library=library,
        clock_MHz=clock,
        seed=seed,
        workers=workers,
    )
    typer.echo(json.dumps({k: r[k] for k in (*VERIFY_FIGURES, "vectors", "seconds")}))
    typer.echo(f"  written: {out / 'verify.json'}")
