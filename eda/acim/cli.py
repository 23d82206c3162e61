"""``eda acim generate`` (macro layout) and ``eda acim cells`` (rebuild a cell library)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer()


@app.command("generate")
def generate_command(
    rows: Annotated[int | None, typer.Option("--rows", help="H: bitcell rows.")] = None,
    cols: Annotated[int | None, typer.Option("--cols", help="W: bitcell columns.")] = None,
    local_array_size: Annotated[
        int | None, typer.Option("--local-array-size", help="L: bitcells per compute capacitor.")
    ] = None,
    adc_bits: Annotated[int | None, typer.Option("--adc-bits", help="SAR ADC resolution.")] = None,
    input_bits: Annotated[int, typer.Option("--input-bits")] = 4,
    weight_bits: Annotated[int, typer.Option("--weight-bits")] = 4,
    unit_cap_ff: Annotated[float, typer.Option("--unit-cap-ff", help="Compute capacitor (fF).")] = 2.0,
    cols_per_adc: Annotated[int, typer.Option("--cols-per-adc")] = 4,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="JSON file with ACIMSpec fields (overrides the options).")
    ] = None,
    library: Annotated[
        Path | None,
        typer.Option("--library", help="Cell library directory (default: the shipped sky130_acim)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("acim_out"),
    clock_mhz: Annotated[float, typer.Option("--clock-mhz", help="Clock of the Liberty view (MHz).")] = 100.0,
    spice_convention: Annotated[
        str,
        typer.Option(
            "--spice-convention",
            help="Netlist devices: lvs (foundry LVS deck) | open_pdks (X subcircuits, µm; ngspice/xschem).",
        ),
    ] = "lvs",
) -> None:
    """Generate an ACIM macro: GDS, SPICE netlist, abstract JSON + LEF, Liberty + Verilog views, KLayout
    tech files and the area breakdown."""
    from eda.acim.generator import generate
    from eda.acim.spec import ACIMSpec
    from eda.errors import SpecError
    from eda.paths import output_dir

    output_dir(out)
    if spec is not None:
        the_spec = ACIMSpec.from_json(spec)
    else:
        missing = [
            n
            for n, v in (
                ("--rows", rows),
                ("--cols", cols),
                ("--local-array-size", local_array_size),
                ("--adc-bits", adc_bits),
            )
            if v is None
        ]
        if missing:
            raise SpecError(f"missing {', '.join(missing)}", hint="give all four or --spec FILE.json")
        the_spec = ACIMSpec(
            rows=rows,
            cols=cols,
            local_array_size=local_array_size,
            adc_bits=adc_bits,  # type: ignore[arg-type]
            input_bits=input_bits,
            weight_bits=weight_bits,
            unit_cap_fF=unit_cap_ff,
            cols_per_adc=cols_per_adc,
        )
    the_spec.check_layout_size()
    if clock_mhz <= 0:
        raise SpecError(f"--clock-mhz {clock_mhz:g} must be positive", where="--clock-mhz")
    macro = generate(the_spec, library, out, clock_MHz=clock_mhz, spice_convention=spice_convention)
    fp = macro.floorplan
    typer.echo(
        f"{macro.name}: {fp.width:.1f} x {fp.height:.1f} um = {fp.area_um2:.0f} um2, "
        f"{macro.counts.get('bitcell', 0)} bitcells, {len(macro.netlist)} instances "
        f"in {macro.seconds['total']:.2f} s"
    )
    for kind, path in macro.files.items():
        typer.echo(f"  {kind}: {path}")
    typer.echo(json.dumps(fp.area_breakdown()))


@app.command("cells")
def cells_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Library directory to (re)write (default: the shipped sky130_acim, eda/share/cells/sky130_acim).",
        ),
    ] = None,
    tech: Annotated[
        Path | None, typer.Option("--tech", help="Technology YAML (default: bundled SKY130).")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Library name.")] = "sky130_acim",
    extra_pitch: Annotated[
        float, typer.Option(min=0.0, max=10.0, help="Extra column pitch in um (a wider bitcell and column).")
    ] = 0.0,
    stripe_every: Annotated[
        int, typer.Option(min=1, max=1024, help="Columns between two well-tap/power-stripe columns.")
    ] = 8,
) -> None:
    """Rebuild a cell library (GDS + SPICE + YAML per cell, library.yaml, tech.yaml) from code."""
    from eda.acim.celllib.build import LibraryOptions, build_library
    from eda.paths import output_dir
    from eda.shipped import default_library_dir

    out = output_dir(out if out is not None else default_library_dir())
    opt = LibraryOptions(name=name, extra_pitch=extra_pitch, stripe_every=stripe_every)
    path = build_library(out, opt, tech)
    typer.echo(f"library '{name}' written to {path}")
