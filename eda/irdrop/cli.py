"""``eda irdrop train`` and ``eda irdrop predict``."""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer()


@app.command("train")
def train_command(
    config: Annotated[Path, typer.Option("--config", help="Recipe YAML (model/data/train sections).")],
    out: Annotated[Path, typer.Option("--out", help="Checkpoint to write (.pt).")] = Path("pdnnet.pt"),
    world_size: Annotated[int, typer.Option("--world-size", help="torch.distributed processes (gloo).")] = 1,
    minutes: Annotated[float | None, typer.Option("--minutes", help="Override the wall-clock budget.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override the seed.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Hold out a case (repeatable).")] = None,
) -> None:
    """Train PDNNet or the CNN baseline from a recipe; writes the best-validation checkpoint."""
    from eda.errors import SpecError
    from eda.flow.executors import get_executor
    from eda.flow.progress import track
    from eda.flow.yamlio import load_yaml
    from eda.irdrop.recipes import run_recipe
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
    typer.echo(f"best validation MAE {result.best_val_mae_mv:.4f} mV after {result.epochs_run} epochs -> {out}")


def _geometry_maps(netlist: Path, current: Path, scratch: Path, eff_dist: Path | None,
                   pdn_density: Path | None) -> tuple[Path, Path]:
    """The effective-distance (µm) and PDN-density maps not given, computed from the netlist on the current
    map's grid and written into ``scratch``."""
    from eda.pdn.features import effective_distance_map, pdn_density_map
    from eda.pdn.maps import read_map, write_map
    from eda.pdn.netlist import read_netlist

    net = read_netlist(netlist)
    shape = read_map(current, nonnegative=True).shape
    if eff_dist is None:
        eff_dist = write_map(scratch / "eff_dist_map.csv", effective_distance_map(net, shape))
    if pdn_density is None:
        pdn_density = write_map(scratch / "pdn_density.csv", pdn_density_map(net, shape))
    return eff_dist, pdn_density


class OutOfDistribution(StrEnum):
    """What ``predict`` writes for inputs outside the model's training distribution."""

    rail = "rail"
    model = "model"


@app.command("predict")
def predict_command(
    netlist: Annotated[Path, typer.Option("--netlist", help="PDN SPICE netlist (structural features only).")],
    current: Annotated[Path, typer.Option("--current", help="Current map CSV (A per 1 µm tile, rows index x).")],
    out: Annotated[Path, typer.Option("--out", help="Predicted IR-drop map CSV (V; .gz compresses).")],
    eff_dist: Annotated[Path | None, typer.Option("--eff-dist", help="Effective-distance map CSV (µm; default: "
                                                                     "computed from the netlist).")] = None,
    pdn_density: Annotated[Path | None, typer.Option("--pdn-density", help="PDN density map CSV (default: "
                                                                           "computed from the netlist).")] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Checkpoint (default: the shipped one).")] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="torch CPU threads (1 on a busy machine).")] = None,
    ood: Annotated[OutOfDistribution, typer.Option(
        "--ood", help="For inputs far outside the training designs: write the physics rail estimate (rail) "
                      "or the network's output anyway (model).")] = OutOfDistribution.rail,
) -> None:
    """Predict the static IR-drop map of a design (no PDN solve) in the contest CSV format."""
    from eda.irdrop.predict import predict_files
    from eda.paths import output_file

    output_file(out)
    with tempfile.TemporaryDirectory(prefix="eda-predict-") as scratch:
        if eff_dist is None or pdn_density is None:  # as the irdrop.predict step does
            eff_dist, pdn_density = _geometry_maps(netlist, current, Path(scratch), eff_dist, pdn_density)
        path, timing = predict_files(netlist, current, eff_dist, pdn_density, out, model, threads, ood.value)
    for warning in timing.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"wrote {path} ({timing.total_s:.2f} s: read {timing.read_s:.2f}, features "
               f"{timing.features_s:.2f}, network {timing.network_s:.2f})")
