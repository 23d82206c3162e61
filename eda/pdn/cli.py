"""``eda pdn solve``, ``eda pdn generate``, ``eda pdn maps`` and ``eda pdn from-openroad``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app", "DbuOption", "DefOption"]

#: ``--dbu`` / ``--def`` of every command that reads PDN node names (eda.pdn.defunits.resolve_dbu)
DbuOption = Annotated[
    float | None,
    typer.Option("--dbu", help="DBU per µm of the node names (default: the DEF's, else 2000)."),
]
DefOption = Annotated[
    Path | None, typer.Option("--def", help="The design's DEF: its UNITS DISTANCE MICRONS give the DBU.")
]

app = typer.Typer()


@app.command("solve")
def solve_command(
    netlist: Annotated[Path, typer.Argument(help="PDN SPICE netlist (.sp or .sp.gz).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("pdn-out"),
    transient: Annotated[
        str | None,
        typer.Option("--transient", metavar="STOP,STEP", help="Also run a transient, e.g. 5n,10p (s)."),
    ] = None,
    method: Annotated[str, typer.Option(help="Transient integration: trap | be.")] = "trap",
    like: Annotated[
        Path | None, typer.Option("--like", help="Contest map whose grid the IR-drop map uses.")
    ] = None,
    golden: Annotated[
        Path | None, typer.Option("--golden", help="Golden ir_drop_map to score against.")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="auto | direct | cholmod | splu | amg | cg | spsolve")
    ] = "auto",
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the PNG heat maps.")] = False,
    dbu: DbuOption = None,
    def_file: DefOption = None,
) -> None:
    """Static (and optionally transient) IR drop: contest map, per-node voltages, heat maps, metrics.json."""
    from eda.paths import output_dir
    from eda.pdn.analysis import analyze, parse_transient_arg
    from eda.pdn.defunits import resolve_dbu

    tr = parse_transient_arg(transient) if transient else None
    output_dir(out)
    result = analyze(
        netlist,
        out,
        like=like,
        golden=golden,
        transient=tr,
        method=method,
        backend=backend,
        plots=not no_plots,
        dbu_per_um=resolve_dbu(dbu, def_file),
    )
    m = result.metrics
    typer.echo(
        f"{m['pdn__netlist__nodes']} nodes, {m['pdn__netlist__pads']} pads, solved with "
        f"{m['pdn__static__backend']} in {m['pdn__static__solve_s']:.3f} s"
    )
    typer.echo(
        f"static IR drop: worst {m['pdn__static__worst_drop_mv']:.4f} mV "
        f"({m['pdn__static__worst_drop_pct_vdd']:.3f}% of {m['pdn__static__vdd_v']:g} V) at "
        f"{m['pdn__static__worst_node']}; average {m['pdn__static__avg_drop_mv']:.4f} mV"
    )
    if "pdn__dynamic__worst_drop_mv" in m:
        typer.echo(
            f"dynamic IR drop: worst {m['pdn__dynamic__worst_drop_mv']:.4f} mV at "
            f"{m['pdn__dynamic__worst_node']} ({m['pdn__dynamic__steps']} {method} steps, "
            f"{m['pdn__dynamic__step_s'] * 1e3:.2f} ms/step)"
        )
    if "pdn__map__mae_mv" in m:
        typer.echo(
            f"vs golden map: MAE {m['pdn__map__mae_mv']:.5f} mV, max error {m['pdn__map__max_error_mv']:.4f} mV,"
            f" hotspot F1 {m['pdn__map__f1']:.3f}"
        )
    typer.echo(f"outputs in {out}: {', '.join(sorted(result.files.values()))}")


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Netlist to write (.sp or .sp.gz).")] = Path(
        "grid.sp.gz"
    ),
    nodes: Annotated[int | None, typer.Option(help="Approximate node count (sets the die size).")] = 20000,
    width_um: Annotated[float | None, typer.Option(help="Die width (µm); overrides --nodes.")] = None,
    height_um: Annotated[float | None, typer.Option(help="Die height (µm); default = width.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    pads: Annotated[str, typer.Option(help="bump | periphery")] = "bump",
    pad_pitch_um: Annotated[float, typer.Option(help="Pad pitch (µm).")] = 100.0,
    current_density: Annotated[float, typer.Option(help="Average current density (A/µm²).")] = 2e-7,
    hotspots: Annotated[int, typer.Option(help="Number of hot-spot blobs.")] = 4,
    waveform: Annotated[str, typer.Option(help="dc | pwl (clock-edge activity for transient).")] = "dc",
    package_r: Annotated[float, typer.Option(help="Package resistance per pad (Ω).")] = 0.0,
    package_l: Annotated[float, typer.Option(help="Package inductance per pad (H).")] = 0.0,
) -> None:
    """Write a synthetic BeGAN-style multi-layer PDN and its contest-style current map."""
    from eda.paths import output_file
    from eda.pdn.generate import generate_pdn, sized_spec
    from eda.pdn.maps import write_map
    from eda.pdn.netlist import write_netlist

    output_file(out)
    spec = sized_spec(
        nodes or 20000,
        width_um,
        height_um,
        seed=seed,
        pads=pads,
        pad_pitch_um=pad_pitch_um,
        current_density_a_um2=current_density,
        hotspots=hotspots,
        waveform=waveform,
        package_r_ohm=package_r,
        package_l_h=package_l,
    )
    gen = generate_pdn(spec)
    write_netlist(gen.netlist, out, title=f"synthetic PDN seed={seed} {spec.width_um}x{spec.height_um} um")
    stem = out.name.split(".")[0]
    cmap = out.parent / f"{stem}_current_map.csv.gz"
    write_map(cmap, gen.current_map)
    s = gen.netlist.summary()
    typer.echo(
        f"{out}: {s['nodes']} nodes, {s['resistors']} resistors, {s['pads']} pads, "
        f"{s['current_sources']} current sinks, {s['capacitors']} capacitors; current map {cmap}"
    )


@app.command("maps")
def maps_command(
    netlist: Annotated[Path, typer.Argument(help="PDN SPICE netlist (.sp or .sp.gz).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("pdn-maps"),
    like: Annotated[Path | None, typer.Option("--like", help="Contest map whose grid the maps use.")] = None,
    exact_pads: Annotated[
        bool, typer.Option("--exact-pads", help="Do not snap pads to the 50 µm bump sites.")
    ] = False,
    region_um: Annotated[float, typer.Option(help="Region size of the PDN density map (µm).")] = 100.0,
    dbu: DbuOption = None,
    def_file: DefOption = None,
) -> None:
    """Contest input maps from a netlist: eff_dist_map.csv (µm) and pdn_density.csv (stripes per 100 µm)."""
    import numpy as np

    from eda.paths import output_dir
    from eda.pdn.defunits import resolve_dbu
    from eda.pdn.features import effective_distance_map, pdn_density_map
    from eda.pdn.maps import read_map, write_map
    from eda.pdn.netlist import read_netlist

    output_dir(out)
    net = read_netlist(netlist, dbu_per_um=resolve_dbu(dbu, def_file))
    shape = read_map(like).shape if like is not None else None
    eff = effective_distance_map(net, shape, snap_um=None if exact_pads else 50.0)
    dens = pdn_density_map(net, shape, region_um=region_um)
    write_map(out / "eff_dist_map.csv", eff)
    write_map(out / "pdn_density.csv", dens)
    typer.echo(
        f"{out / 'eff_dist_map.csv'}: {eff.shape[0]} x {eff.shape[1]} µm, max {eff.max():.2f} µm; "
        f"{out / 'pdn_density.csv'}: {np.unique(dens).size} density levels"
    )


@app.command("from-openroad")
def from_openroad_command(
    power_report: Annotated[
        Path, typer.Option("--power-report", help="Instance power report (W per instance; .gz ok).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("design-pdn"),
    pdn: Annotated[
        Path | None,
        typer.Option(
            "--pdn",
            help="The PDN as a SPICE netlist (R and V elements; .gz ok): "
            "gets the instance currents as sinks.",
        ),
    ] = None,
    def_file: Annotated[
        Path | None,
        typer.Option(
            "--def",
            help="The placed DEF (die area, component locations, units); default: the report's bbox column.",
        ),
    ] = None,
    lef: Annotated[
        list[Path] | None,
        typer.Option("--lef", help="LEF file giving cell sizes (repeatable, technology LEF first)."),
    ] = None,
    vdd: Annotated[
        float | None,
        typer.Option("--vdd", help="Supply voltage (V) of I = P/VDD; default: the report's P/G-volt."),
    ] = None,
    dbu: Annotated[
        float | None,
        typer.Option("--dbu", help="DBU per µm of the PDN's node names (default: the DEF's, else 2000)."),
    ] = None,
) -> None:
    """Current map (A per 1 µm tile) and a solvable PDN netlist from a placed design's power report."""
    from eda.paths import output_dir
    from eda.pdn.design_currents import build_design_inputs

    output_dir(out)
    result = build_design_inputs(
        power_report, out, pdn=pdn, def_file=def_file, lef_files=lef or (), vdd=vdd, dbu_per_um=dbu
    )
    s = result.summary
    typer.echo(
        f"{s['instances']} instances, {s['report_rows']} power-pin rows ({s['placed_by_def']} placed by the "
        f"DEF, {s['placed_by_bbox']} by their bbox): {s['total_power_w']:.6g} W = {s['total_current_a']:.6g} A "
        f"at {s['vdd_v']:g} V"
    )
    typer.echo(
        f"{result.current_map}: {s['map_tiles'][0]} x {s['map_tiles'][1]} tiles (1 µm), max "
        f"{s['map_max_tile_a'] * 1e6:.4g} µA per tile"
    )
    if result.netlist is not None:
        typer.echo(
            f"{result.netlist}: {s['pdn_nodes']} nodes, {s['pdn_pads']} pads, {s['current_sinks']} "
            f"current sinks on the lowest layer"
            + (
                f" (replacing the PDN's {s['replaced_current_sources']} current sources)"
                if s["replaced_current_sources"]
                else ""
            )
        )
    if "warning" in s:
        typer.echo(f"warning: {s['warning']}", err=True)
