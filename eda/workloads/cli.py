"""``eda workload ...``: built-in workloads, inspection, NeuroSim export and mapping onto an ACIM macro, and
the eight methods' commands (each from its subpackage's ``cli`` module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from eda.workloads.adapmoe import cli as adapmoe_cli
from eda.workloads.chatemg import cli as chatemg_cli
from eda.workloads.fastquery import cli as fastquery_cli
from eda.workloads.hequant import cli as hequant_cli
from eda.workloads.mcubert import cli as mcubert_cli
from eda.workloads.privcirnet import cli as privcirnet_cli
from eda.workloads.privquant import cli as privquant_cli
from eda.workloads.propd import cli as propd_cli

__all__ = ["app", "METHOD_APPS"]

app = typer.Typer()


@app.command("zoo")
def zoo_command(
    network: Annotated[
        str, typer.Argument(help="bert-tiny, bert-mini, minilm-l6, resnet18, mobilenet_v2, vit_small")
    ],
    out: Annotated[Path, typer.Option("--out", help="Workload file to write (.yaml or .json).")] = Path(
        "workload.yaml"
    ),
    seq_len: Annotated[
        int | None, typer.Option("--seq-len", help="Tokens (BERT-style networks only).")
    ] = None,
) -> None:
    """Write a built-in network description as a workload file."""
    from eda.paths import output_file
    from eda.workloads import zoo

    output_file(out)
    if seq_len is not None and network in ("bert-tiny", "bert-mini", "minilm-l6"):
        work = {"bert-tiny": zoo.bert_tiny, "bert-mini": zoo.bert_mini, "minilm-l6": zoo.minilm_l6}[network](
            seq_len
        )
    else:
        work = zoo.build(network)
    work.save(out)
    typer.echo(
        f"{work.name}: {len(work.layers)} layers, {work.total_weights:,} weights, "
        f"{work.total_macs:,} MACs per inference -> {out}"
    )


@app.command("show")
def show_command(path: Annotated[Path, typer.Argument(help="Workload file (.yaml/.json).")]) -> None:
    """Print a workload's layers: operation, shape, bits, structure, MACs and stored weights."""
    from eda.workloads.workload import Workload

    work = Workload.load(path)
    runs = work.layer_runs()
    typer.echo(f"{work.name}: {len(work.layers)} layers, {len(work.phases())} trace phase(s)")
    typer.echo(
        f"{'layer':28s} {'op':9s} {'w/a/acc bits':>13s} {'structure':16s} {'runs':>5s} {'MACs':>14s} {'weights':>11s}"
    )
    for layer in work.layers:
        bits = f"{layer.weight_bits}/{layer.activation_bits}/{layer.accumulator_bits or '-'}"
        structure = (
            layer.structure
            + (f"(b={layer.block_size})" if layer.block_size else "")
            + (f"(r={layer.rank})" if layer.rank else "")
        )
        typer.echo(
            f"{layer.name:28s} {layer.op:9s} {bits:>13s} {structure:16s} {runs[layer.name]:5d} "
            f"{layer.macs:14,d} {layer.weight_count:11,d}"
        )
    typer.echo(f"total: {work.total_macs:,} MACs, {work.total_weights:,} weights")


@app.command("neurosim")
def neurosim_command(
    path: Annotated[Path, typer.Argument(help="Workload file (.yaml/.json).")],
    out: Annotated[Path, typer.Option("--out", help="NetWork.csv to write.")] = Path("NetWork.csv"),
    include_dynamic: Annotated[
        bool, typer.Option(help="Also write attention products (no stored weights).")
    ] = False,
) -> None:
    """Export a workload in the DNN+NeuroSim ``NetWork.csv`` layer format."""
    from eda.paths import output_file
    from eda.workloads.workload import Workload, export_neurosim, neurosim_rows

    output_file(out)
    work = Workload.load(path)
    export_neurosim(work, out, include_dynamic=include_dynamic)
    typer.echo(f"{len(neurosim_rows(work, include_dynamic=include_dynamic))} rows -> {out}")


@app.command("map")
def map_command(
    path: Annotated[Path, typer.Argument(help="Workload file (.yaml/.json).")],
    spec: Annotated[
        Path | None, typer.Option("--spec", help="ACIM point JSON (acim.explore best_point.json).")
    ] = None,
    rows: Annotated[int, typer.Option("--rows", help="H: bitcell rows.")] = 64,
    cols: Annotated[int, typer.Option("--cols", help="W: bitcell columns.")] = 64,
    local_array_size: Annotated[int, typer.Option("--local-array-size", help="L.")] = 4,
    adc_bits: Annotated[int, typer.Option("--adc-bits")] = 4,
    cols_per_adc: Annotated[int, typer.Option("--cols-per-adc")] = 4,
    clock_mhz: Annotated[float, typer.Option("--clock-mhz")] = 100.0,
    num_arrays: Annotated[
        int | None,
        typer.Option(
            "--num-arrays",
            help="Arrays on the macro; fewer than the "
            "workload needs time-multiplexes it (weights rewritten).",
        ),
    ] = None,
    analytic: Annotated[
        bool, typer.Option(help="Use the analytic cost model instead of the ACIM models.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the per-layer mapping as JSON.")] = None,
) -> None:
    """Tile a workload onto H×W ACIM arrays: arrays, energy and latency per inference, per layer."""
    from eda.errors import DataError
    from eda.paths import output_file
    from eda.workloads.mapping import AcimModelCost, AnalyticOpCost, ArraySpec, map_workload
    from eda.workloads.workload import Workload

    if out is not None:
        output_file(out)
    work = Workload.load(path)
    if spec is not None:
        try:
            fields = json.loads(spec.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(f"cannot read the ACIM point: {exc}", where=str(spec)) from None
        fields.setdefault("clock_MHz", clock_mhz)
    else:
        fields = {
            "rows": rows,
            "cols": cols,
            "local_array_size": local_array_size,
            "adc_bits": adc_bits,
            "cols_per_adc": cols_per_adc,
            "clock_MHz": clock_mhz,
        }
    if num_arrays is not None:
        fields["num_arrays"] = num_arrays
    array = ArraySpec.from_any(fields)
    cost = (
        AnalyticOpCost()
        if analytic
        else AcimModelCost(int(fields.get("input_bits", 4)), int(fields.get("weight_bits", 4)))
    )
    mapping = map_workload(work, array, cost=cost, reload_weights=True)
    typer.echo(
        f"{'layer':28s} {'arrays':>7s} {'cycles':>9s} {'latency us':>11s} {'energy nJ':>11s} {'cell util':>9s}"
    )
    for item in mapping.layers:
        typer.echo(
            f"{item.name:28s} {item.arrays:7d} {item.cycles:9d} {item.latency_s * 1e6:11.3f} "
            f"{item.energy_j * 1e9:11.3f} {item.cell_utilisation:9.3f}"
        )
    typer.echo(
        f"per inference: {mapping.energy_j * 1e6:.4g} uJ, {mapping.latency_s * 1e3:.4g} ms, "
        f"{mapping.arrays} arrays of {array.rows}x{array.cols}, {mapping.tops_per_w:.3g} TOPS/W"
    )
    if out is not None:
        out.write_text(
            json.dumps(
                {"summary": mapping.summary(), "layers": [m.to_dict() for m in mapping.layers]}, indent=1
            )
        )


#: the methods' command apps, in the order ``eda workload --help`` lists them
METHOD_APPS: tuple[typer.Typer, ...] = (
    privcirnet_cli.app,
    adapmoe_cli.app,
    propd_cli.app,
    chatemg_cli.app,
    hequant_cli.app,
    privquant_cli.app,
    fastquery_cli.app,
    mcubert_cli.app,
)
for _method_app in METHOD_APPS:
    app.registered_commands.extend(_method_app.registered_commands)
