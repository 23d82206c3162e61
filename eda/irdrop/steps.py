"""Flow steps of the IR-drop predictor: ``irdrop.train`` and ``irdrop.predict``."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult

__all__ = ["IrdropTrain", "IrdropPredict"]


@register
class IrdropTrain(Step):
    """Train PDNNet (or the IREDGe-style CNN baseline) on ICCAD 2023 cases and any dynamic data set."""

    name = "irdrop.train"
    version = "1"
    inputs = {"dynamic": "directory of dynamic samples (irdrop.dynamic_dataset)"}
    optional_inputs = frozenset({"dynamic"})
    outputs = {"checkpoint": "model.pt", "history": "history.json"}

    class Params(StepParams):
        model: str | dict[str, Any] = Field(default="pdnnet", description="shipped config name, YAML path or dict")
        data: dict[str, Any] = Field(default_factory=dict, description="data selection (see eda.irdrop.recipes)")
        train: dict[str, Any] = Field(default_factory=dict, description="TrainConfig values")
        world_size: int = Field(default=1, ge=1, description="torch.distributed (gloo) processes")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.irdrop.recipes import run_recipe

        p = ctx.params
        data = dict(p.data)
        dynamic = ctx.optional_input("dynamic")
        if dynamic is not None:
            data["dynamic"] = str(dynamic)
        recipe = {"model": p.model, "data": data, "train": dict(p.train)}
        result = run_recipe(recipe, ctx.path("model.pt"), world_size=p.world_size, progress=ctx.progress,
                            default_cache=ctx.workdir / "cache")
        ctx.path("history.json").write_text(json.dumps(result.history, indent=1))
        cache = ctx.workdir / "cache"
        if cache.is_dir():
            for f in cache.iterdir():
                f.unlink()
            cache.rmdir()
        return StepResult(outputs={"checkpoint": "model.pt", "history": "history.json"},
                          metrics={"irdrop__train__val_mae_mv": result.best_val_mae_mv,
                                   "irdrop__train__epochs": result.epochs_run,
                                   "irdrop__train__seconds": result.seconds})


@register
class IrdropPredict(Step):
    """Predict a static IR-drop map (contest CSV, V) from a netlist and the contest maps, no PDN solve."""

    name = "irdrop.predict"
    version = "1"
    inputs = {"netlist": "PDN SPICE netlist", "current": "current map CSV", "eff_dist": "effective-distance map",
              "pdn_density": "PDN density map", "model": "checkpoint (default: the shipped one)",
              "golden": "IR-drop label map to score against (optional)"}
    optional_inputs = frozenset({"netlist", "model", "golden"})
    outputs = {"ir_drop_map": "ir_drop_map.csv", "metrics": "predict.json"}

    class Params(StepParams):
        pass

    def run(self, ctx: StepContext) -> StepResult:
        from eda.irdrop.predict import predict_files
        from eda.pdn.maps import read_map
        from eda.pdn.metrics import map_metrics

        out, timing = predict_files(ctx.optional_input("netlist"), ctx.input("current"), ctx.input("eff_dist"),
                                    ctx.input("pdn_density"), ctx.path("ir_drop_map.csv"), ctx.optional_input("model"))
        pred = read_map(out)
        metrics: dict[str, Any] = {"irdrop__predict__runtime_s": timing.total_s,
                                   "irdrop__predict__network_s": timing.network_s,
                                   "irdrop__predict__worst_drop_mv": float(pred.max() * 1e3)}
        golden = ctx.optional_input("golden")
        if golden is not None:
            m = map_metrics(pred, read_map(golden))
            metrics.update({"irdrop__predict__mae_mv": m["mae"] * 1e3, "irdrop__predict__max_error_mv":
                            m["max_error"] * 1e3, "irdrop__predict__f1": m["f1"]})
        ctx.path("predict.json").write_text(json.dumps(metrics, indent=1))
        return StepResult(outputs={"ir_drop_map": "ir_drop_map.csv", "metrics": "predict.json"}, metrics=metrics)
