"""Flow steps of the IR-drop predictor: ``irdrop.train`` and ``irdrop.predict``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.irdrop.features import FEATURES_VERSION
from eda.pdn.defunits import dbu_per_um_field

__all__ = ["IrdropSynthetic", "IrdropTrain", "IrdropPredict"]


#: shipped checkpoints irdrop.predict can select (its ``checkpoint`` parameter; macro-dynamic with the
#: ``time_slices`` input)
_PREDICT_CHECKPOINTS = ("default", "macro", "macro-dynamic")


def _files_digest(files: dict[str, Path]) -> str:
    """First 12 hex digits of the SHA-1 over ``name -> path`` (names and bytes; "none" for a missing file)."""
    digest = hashlib.sha1()
    for name, path in sorted(files.items()):
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b"none"))
    return digest.hexdigest()[:12]


def _shipped_checkpoint_digest() -> str:
    """Digest of the shipped checkpoints irdrop.predict can select."""
    from eda.irdrop.predict import SHIPPED_CHECKPOINTS

    return _files_digest({name: SHIPPED_CHECKPOINTS[name] for name in _PREDICT_CHECKPOINTS})


def _shipped_config_digest() -> str:
    """Digest of the shipped model configs (``eda/irdrop/configs/*.yaml``) irdrop.train reads by name."""
    from eda.irdrop.recipes import CONFIG_DIR

    return _files_digest({path.name: path for path in CONFIG_DIR.glob("*.yaml")})


@register
class IrdropSynthetic(Step):
    """Generate labelled PDNs (static: nodal solve; dynamic: worst transient drop), fanned out.

    ``source: generator`` draws random grids; ``source: iccad`` makes dynamic cases on the ICCAD 2023
    netlists (design ``i`` is the ``i``-th case with a netlist of ``subsets``, cycling, with activity seed
    ``first_seed + i``); ``source: macro`` makes static or dynamic cases on the toolkit's own ACIM macros
    under built-in networks' activity (:mod:`eda.irdrop.macro_cases`; ``pool: test`` draws the held-out
    array shapes and networks).
    """

    name = "irdrop.synthetic"
    version = "3"
    outputs = {"cases": "cases"}

    class Params(StepParams):
        kind: Literal["static", "dynamic"] = Field(default="static", description="label kind")
        source: Literal["generator", "iccad", "macro"] = Field(
            default="generator", description="random grids, the ICCAD 2023 netlists, or ACIM macros"
        )
        pool: Literal["train", "large", "test"] = Field(
            default="train",
            description="source macro: the training pool, the large training pool (192-256-row arrays) or the "
            "held-out one (other array shapes and networks)",
        )
        count: int = Field(default=40, ge=1, description="number of designs")
        first_seed: int = Field(default=1000, ge=0, description="seed of the first design (then +1 each)")
        slices: int = Field(default=8, ge=1, description="time slices of a dynamic case")
        subsets: list[Literal["real", "fake"]] = Field(
            default_factory=lambda: ["fake", "real"], description="ICCAD 2023 subsets (source: iccad)"
        )

        @model_validator(mode="after")
        def _iccad_is_dynamic(self) -> IrdropSynthetic.Params:
            if self.source == "iccad" and self.kind != "dynamic":
                raise ValueError(
                    "source 'iccad' makes dynamic cases only (kind: dynamic); the static ICCAD "
                    "2023 cases carry their own labels: irdrop.train reads them with data.real / "
                    "data.fake"
                )
            return self

    def run(self, ctx: StepContext) -> StepResult:
        from eda.irdrop.synthetic import generate_cases, generate_iccad_dynamic

        p = ctx.params
        seeds = list(range(p.first_seed, p.first_seed + p.count))
        out = ctx.path("cases/.keep").parent
        if p.source == "generator":
            paths = generate_cases(p.kind, seeds, out, ctx.executor, slices=p.slices)
        elif p.source == "macro":
            from eda.irdrop.macro_cases import generate_macro_cases

            paths = generate_macro_cases(p.pool, seeds, out, ctx.executor, kind=p.kind)
        else:
            from eda.data import require_data
            from eda.irdrop.dataset import iccad_cases

            root = require_data("iccad23")
            dirs = [d for subset in p.subsets for d in iccad_cases(root, subset)]
            paths = generate_iccad_dynamic(
                [dirs[i % len(dirs)] for i in range(p.count)], seeds, out, ctx.executor, slices=p.slices
            )
        (ctx.workdir / "cases" / ".keep").unlink(missing_ok=True)
        return StepResult(
            outputs={"cases": "cases"}, metrics={f"irdrop__synthetic__{p.kind}_cases": len(paths)}
        )


@register
class IrdropTrain(Step):
    """Train PDNNet (or the IREDGe-style CNN baseline) on ICCAD 2023 cases and generated PDNs."""

    name = "irdrop.train"
    # a change of the input channels or of a shipped model config (read by name, not a hashed input)
    # invalidates cached trainings
    version = f"1+features{FEATURES_VERSION}+{_shipped_config_digest()}"
    inputs = {
        "synthetic": "directory of generated cases (irdrop.synthetic)",
        "extra_cases": "a second such directory (e.g. irdrop.synthetic with source: iccad)",
    }
    optional_inputs = frozenset({"synthetic", "extra_cases"})
    outputs = {"checkpoint": "model.pt", "history": "history.json"}

    class Params(StepParams):
        model: str | dict[str, Any] = Field(
            default="pdnnet", description="shipped config name, YAML path or dict"
        )
        data: dict[str, Any] = Field(
            default_factory=dict, description="data selection (see eda.irdrop.recipes)"
        )
        train: dict[str, Any] = Field(default_factory=dict, description="TrainConfig values")
        world_size: int = Field(
            default=1,
            ge=1,
            description="torch.distributed processes on this machine (gloo on the "
            "CPU, NCCL with one GPU each); torchrun for several machines",
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.irdrop.recipes import run_recipe

        p = ctx.params
        data = dict(p.data)
        dirs = [
            str(d)
            for d in (ctx.optional_input("synthetic"), ctx.optional_input("extra_cases"))
            if d is not None
        ]
        if dirs:
            data["synthetic"] = dirs
        recipe = {"model": p.model, "data": data, "train": dict(p.train)}
        if len(p.train.get("seeds") or []) > 1:
            ctx.log.info(
                f"training {len(p.train['seeds'])} ensemble members (seeds {p.train['seeds']}) as parallel "
                f"tasks, up to {p.train.get('max_minutes', 18)} min each; the step reports when all are done"
            )
        result = run_recipe(
            recipe,
            ctx.path("model.pt"),
            world_size=p.world_size,
            progress=ctx.progress,
            default_cache=ctx.workdir / "cache",
            executor=ctx.executor,
        )
        ctx.path("history.json").write_text(json.dumps(result.history, indent=1))
        cache = ctx.workdir / "cache"
        if cache.is_dir():
            for f in cache.iterdir():
                f.unlink()
            cache.rmdir()
        return StepResult(
            outputs={"checkpoint": "model.pt", "history": "history.json"},
            metrics={
                "irdrop__train__val_mae_mv": result.best_val_mae_mv,
                "irdrop__train__epochs": result.epochs_run,
                "irdrop__train__seconds": result.seconds,
            },
        )


@register
class IrdropPredict(Step):
    """Predict a static IR-drop map (contest CSV, V) from a netlist and the contest maps, no PDN solve.

    Without ``eff_dist``/``pdn_density`` inputs those maps are computed from the netlist geometry
    (:mod:`eda.pdn.features`).
    """

    name = "irdrop.predict"
    # cached predictions are stale when the channels or the shipped checkpoint (not a hashed input) change
    version = f"2+features{FEATURES_VERSION}+{_shipped_checkpoint_digest()}"
    inputs = {
        "netlist": "PDN SPICE netlist",
        "current": "current map CSV",
        "eff_dist": "effective-distance map",
        "pdn_density": "PDN density map",
        "model": "checkpoint file (default: the shipped one named by the checkpoint parameter)",
        "golden": "IR-drop label map to score against (optional)",
        "time_slices": "time-slice current maps of a dynamic window (.npz `slices`, macro.pdn's time_slices; "
        "with checkpoint macro-dynamic, and the window's peak current map as `current`)",
        "def": "the design's DEF (its UNITS give the node names' DBU)",
    }
    optional_inputs = frozenset({"eff_dist", "pdn_density", "model", "golden", "def", "time_slices"})
    outputs = {
        "ir_drop_map": "ir_drop_map.csv",
        "metrics": "predict.json",
        "heatmap": "heatmap.png (with plots)",
    }
    optional_outputs = frozenset({"heatmap"})

    class Params(StepParams):
        checkpoint: Literal["default", "macro", "macro-dynamic"] = Field(
            default="default",
            description="shipped checkpoint when no model input is given: default (standard-cell "
            "designs: ICCAD 2023 and generated grids), macro (the toolkit's ACIM macros, static drop) or "
            "macro-dynamic (their worst dynamic drop, from the time_slices input)",
        )
        out_of_distribution: Literal["rail", "model"] = Field(
            default="rail",
            description="for inputs far outside the training designs: the physics rail "
            "estimate (rail) or the network's output anyway (model)",
        )
        dbu_per_um: float | None = dbu_per_um_field()
        plots: bool = Field(default=True, description="write the predicted map as a heat map (PNG)")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.irdrop.predict import geometry_maps, predict_files
        from eda.pdn.defunits import resolve_dbu
        from eda.pdn.maps import read_map
        from eda.pdn.metrics import map_metrics
        from eda.pdn.netlist import read_netlist

        eff, den = ctx.optional_input("eff_dist"), ctx.optional_input("pdn_density")
        # read once, in the design's units, for the maps and the predictor
        netlist = read_netlist(
            ctx.input("netlist"), dbu_per_um=resolve_dbu(ctx.params.dbu_per_um, ctx.optional_input("def"))
        )
        if eff is None or den is None:
            eff, den = geometry_maps(netlist, read_map(ctx.input("current")).shape, ctx.workdir, eff, den)
        out, timing = predict_files(
            netlist,
            ctx.input("current"),
            eff,
            den,
            ctx.path("ir_drop_map.csv"),
            ctx.optional_input("model") or ctx.params.checkpoint,
            out_of_distribution=ctx.params.out_of_distribution,
            time_slices=ctx.optional_input("time_slices"),
        )
        pred = read_map(out)
        metrics: dict[str, Any] = {
            "irdrop__predict__runtime_s": timing.total_s,
            "irdrop__predict__network_s": timing.network_s,
            "irdrop__predict__worst_drop_mv": float(pred.max() * 1e3),
            "irdrop__predict__in_distribution": not timing.warnings,
            "irdrop__predict__from_model": timing.source == "model",
        }
        for warning in timing.warnings:
            ctx.log.warning(warning)
        golden = ctx.optional_input("golden")
        if golden is not None:
            m = map_metrics(pred, read_map(golden))
            metrics.update(
                {
                    "irdrop__predict__mae_mv": m["mae"] * 1e3,
                    "irdrop__predict__max_error_mv": m["max_error"] * 1e3,
                    "irdrop__predict__f1": m["f1"],
                }
            )
        ctx.path("predict.json").write_text(json.dumps(metrics, indent=1))
        outputs = {"ir_drop_map": "ir_drop_map.csv", "metrics": "predict.json"}
        if ctx.params.plots:
            from eda.pdn.heatmap import plot_map

            source = "the network" if timing.source == "model" else "the rail estimate"
            plot_map(pred, ctx.path("heatmap.png"), title=f"Predicted IR drop ({source})")
            outputs["heatmap"] = "heatmap.png"
        return StepResult(outputs=outputs, metrics=metrics)
