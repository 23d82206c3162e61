"""``eda acim explore``: NSGA-II design-space exploration of an H×W ACIM macro."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer()


@app.command("explore")
def explore_command(
    rows: Annotated[int, typer.Option("--rows", help="H: bitcell rows.")],
    cols: Annotated[int, typer.Option("--cols", help="W: bitcell columns.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    min_snr: Annotated[float | None, typer.Option("--min-snr", help="Minimum total SNR (dB).")] = None,
    max_area: Annotated[float | None, typer.Option("--max-area", help="Maximum macro area (mm²).")] = None,
    generations: Annotated[int, typer.Option("--generations")] = 100,
    population: Annotated[int, typer.Option("--population")] = 100,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    pareto_index: Annotated[
        int | None, typer.Option("--pareto-index", help="Pick this Pareto point (best TOPS/W first).")
    ] = None,
    executor: Annotated[
        str, typer.Option("--executor", help="serial | local | dask | dask:ADDRESS")
    ] = "serial",
    library: Annotated[Path | None, typer.Option("--library", help="Cell library directory.")] = None,
    reference: Annotated[
        bool,
        typer.Option(
            "--reference/--no-reference", help="Also enumerate the space and report the hypervolume ratio."
        ),
    ] = False,
) -> None:
    """Explore the design space; write pareto.csv, best.json, plots, hypervolume.csv and metrics.json."""
    from eda.acim.explore import DesignSpace, exhaustive, explore
    from eda.acim.explore_steps import write_exploration
    from eda.flow.executors import get_executor
    from eda.paths import output_dir

    output_dir(out)
    space = DesignSpace(rows=rows, cols=cols)
    with get_executor(executor) as pool:
        result = explore(
            space,
            population=population,
            generations=generations,
            seed=seed,
            min_snr_db=min_snr,
            max_area_mm2=max_area,
            library=library,
            executor=pool,
        )
    ref = exhaustive(space, min_snr_db=min_snr, max_area_mm2=max_area, library=library) if reference else None
    metrics = write_exploration(result, out, min_snr_db=min_snr, pareto_index=pareto_index, reference=ref)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    best = json.loads((out / "best_point.json").read_text())
    typer.echo(
        f"{result.n_evaluations} design points in {result.seconds:.1f} s, "
        f"{metrics['acim__explore__pareto_points']} on the Pareto front"
    )
    typer.echo(
        f"best: L={best['local_array_size']} B={best['adc_bits']} C={best['unit_cap_fF']} fF "
        f"{best['input_bits']}b/{best['weight_bits']}b G={best['cols_per_adc']} {best['clock_MHz']:.0f} MHz: "
        f"{best['snr_total_db']:.1f} dB, {best['tops_per_w']:.2f} TOPS/W, {best['throughput_tops']:.4f} TOPS, "
        f"{best['area_um2']:.0f} um2"
    )
    typer.echo(f"wrote {out}/pareto.csv, best.json, metrics.json and plots")
