"""``eda irdrop train`` and ``eda irdrop predict``."""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from eda.pdn.cli import DbuOption, DefOption

__all__ = ["app"]

app = typer.Typer()


@app.command("train")
def train_command(
    config: Annotated[Path, typer.Option("--config", help="Recipe YAML (model/data/train sections).")],
    out: Annotated[Path, typer.Option("--out", help="Checkpoint to write (.pt).")] = Path("pdnnet.pt"),
    world_size: Annotated[
        int,
        typer.Option(
            "--world-size", help="torch.distributed processes on this machine (under torchrun: leave at 1)."
        ),
    ] = 1,
    minutes: Annotated[
        float | None, typer.Option("--minutes", help="Override the wall-clock budget.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override the seed.")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Hold out a case (repeatable).")
    ] = None,
) -> None:
    """Train PDNNet or the CNN baseline from a recipe; writes the best-validation checkpoint.

    Launched by torchrun (``torchrun --nproc-per-node N -m eda irdrop train ...``) every process is one
    rank of a DistributedDataParallel training and rank 0 writes the checkpoint."""
    from eda.errors import SpecError
    from eda.flow.executors import get_executor
    from eda.flow.progress import track
    from eda.flow.yamlio import load_yaml
    from eda.irdrop.recipes import run_recipe
    from eda.irdrop.train import distributed_env
    from eda.paths import output_file

    output_file(out)
    if not config.exists():
        raise SpecError(f"recipe '{config}' not found", hint="see flows/irdrop-train.yaml for the format")
    recipe = load_yaml(config).data or {}
    if not isinstance(recipe, dict):
        raise SpecError(f"recipe '{config}' must be a mapping", where=str(config))
    train = dict(recipe.get("train") or {})
    if minutes is not None:
        train["max_minutes"] = minutes
    if seed is not None:
        train["seed"] = seed
    recipe["train"] = train
    if exclude:
        data = dict(recipe.get("data") or {})
        data["exclude"] = list(data.get("exclude", [])) + list(exclude)
        recipe["data"] = data
    with get_executor("local") as executor:  # trains the members of an ensemble (train.seeds) in parallel
        result = run_recipe(recipe, out, world_size=world_size, progress=track, executor=executor)
    launched = distributed_env()
    if launched is not None and launched[0] != 0:
        return  # rank 0 reports (and wrote the checkpoint)
    typer.echo(
        f"best validation MAE {result.best_val_mae_mv:.4f} mV after {result.epochs_run} epochs -> {out}"
    )


class OutOfDistribution(StrEnum):
    """What ``predict`` writes for inputs outside the model's training distribution."""

    rail = "rail"
    model = "model"


@app.command("predict")
def predict_command(
    netlist: Annotated[Path, typer.Option("--netlist", help="PDN SPICE netlist (structural features only).")],
    current: Annotated[
        Path, typer.Option("--current", help="Current map CSV (A per 1 µm tile, rows index x).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Predicted IR-drop map CSV (V; .gz compresses).")],
    eff_dist: Annotated[
        Path | None,
        typer.Option(
            "--eff-dist", help="Effective-distance map CSV (µm; default: computed from the netlist)."
        ),
    ] = None,
    pdn_density: Annotated[
        Path | None,
        typer.Option("--pdn-density", help="PDN density map CSV (default: computed from the netlist)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Checkpoint file, or a shipped one by name: default (standard-cell designs), macro "
            "(the toolkit's ACIM macros) or macro-dynamic (their worst dynamic drop; needs --time-slices). "
            "Default: default.",
        ),
    ] = None,
    time_slices: Annotated[
        Path | None,
        typer.Option(
            "--time-slices",
            help="Dynamic checkpoints: .npz with `slices` [8, X, Y], the window's time-slice current maps "
            "(macro.pdn's time_slices.npz); --current is then the window's peak current map.",
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", help="torch CPU threads (1 on a busy machine).")
    ] = None,
    ood: Annotated[
        OutOfDistribution,
        typer.Option(
            "--ood",
            help="For inputs far outside the training designs: write the physics rail estimate (rail) "
            "or the network's output anyway (model).",
        ),
    ] = OutOfDistribution.rail,
    dbu: DbuOption = None,
    def_file: DefOption = None,
    golden: Annotated[
        Path | None,
        typer.Option(
            "--golden", help="Golden IR-drop map (e.g. from eda pdn solve) to score the prediction against."
        ),
    ] = None,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Skip the heat-map PNG.")] = False,
) -> None:
    """Predict the static IR-drop map of a design (no PDN solve) in the contest CSV format, with a heat-map PNG
    beside it (same name, .png); with a dynamic checkpoint and --time-slices, the worst dynamic drop."""
    from eda.irdrop.predict import geometry_maps, predict_files
    from eda.paths import output_file
    from eda.pdn.defunits import resolve_dbu
    from eda.pdn.maps import read_map
    from eda.pdn.netlist import read_netlist

    output_file(out)
    net = read_netlist(netlist, dbu_per_um=resolve_dbu(dbu, def_file))
    with tempfile.TemporaryDirectory(prefix="eda-predict-") as scratch:
        if eff_dist is None or pdn_density is None:  # as the irdrop.predict step does
            shape = read_map(current, nonnegative=True).shape
            eff_dist, pdn_density = geometry_maps(net, shape, scratch, eff_dist, pdn_density)
        path, timing = predict_files(
            net, current, eff_dist, pdn_density, out, model, threads, ood.value, time_slices=time_slices
        )
    for warning in timing.warnings:
        typer.echo(f"warning: {warning}", err=True)
    pred = read_map(path)
    source = "the network" if timing.source == "model" else "the rail estimate"
    typer.echo(
        f"wrote {path} ({source}; worst {pred.max() * 1e3:.4f} mV; {timing.total_s:.2f} s: read "
        f"{timing.read_s:.2f}, features {timing.features_s:.2f}, network {timing.network_s:.2f})"
    )
    if not no_plot:
        from eda.pdn.heatmap import plot_map

        png = path.with_name(path.name.removesuffix(".gz").removesuffix(".csv") + ".png")
        typer.echo(f"wrote {plot_map(pred, png, title=f'Predicted IR drop ({source})')}")
    if golden is not None:
        from eda.errors import DataError
        from eda.pdn.metrics import map_metrics

        gold = read_map(golden)
        if gold.shape != pred.shape:
            raise DataError(
                f"the golden map is {gold.shape[0]} x {gold.shape[1]} tiles, the prediction "
                f"{pred.shape[0]} x {pred.shape[1]}",
                where=str(golden),
                hint="solve on the current map's grid: eda pdn solve ... --like CURRENT_MAP",
            )
        m = map_metrics(pred, gold)
        typer.echo(
            f"vs golden {golden}: MAE {m['mae'] * 1e3:.4f} mV, max error {m['max_error'] * 1e3:.4f} mV, "
            f"hotspot F1 {m['f1']:.3f} (golden worst {gold.max() * 1e3:.4f} mV)"
        )
