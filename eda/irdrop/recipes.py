"""Training recipes: a YAML/dict describing model, data and optimisation -> a trained checkpoint.

A recipe (``flows/irdrop-train.yaml`` passes one inline; ``eda irdrop train --config`` reads a file)::

    model: {model: pdnnet, in_channels: 8, ...}      # or a path to eda/irdrop/configs/*.yaml
    data:
      real: true            # ICCAD 2023 real cases with a netlist
      fake: true            # ICCAD 2023 synthetic ("fake") cases with a netlist
      exclude: [testcase1]  # held out (leave-one-out)
      val: [testcase2]      # validation cases, kept out of training (else: the real cases in training);
                            # "unseen": every 6th fake case and every 8th generated one, kept out of training
      only: []              # restrict the ICCAD cases to these names
      real_weight: 1        # repeat each real training case this often per epoch (few real designs)
      synthetic: null       # a directory of generated cases (the irdrop.synthetic step), or a list of them
      tile_um: 4
    train: {epochs: 60, lr: 0.002, patience: 12, seed: 0, max_minutes: 18}
                            # seeds: [0, 1] instead of seed: an ensemble, one member per seed, trained
                            # as parallel executor tasks; predictions are the members' mean
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from eda.data import require_data
from eda.errors import SpecError
from eda.irdrop.dataset import Sample, load_iccad_split
from eda.irdrop.train import (
    TrainConfig,
    TrainResult,
    distributed_env,
    merge_checkpoints,
    save_checkpoint,
    train_distributed,
    train_model,
    train_rank,
)

__all__ = [
    "CONFIG_DIR",
    "load_model_config",
    "train_config",
    "unseen_validation",
    "load_recipe_data",
    "peak_to_mean_trained",
    "run_recipe",
]

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
_DATA_KEYS = {"real", "fake", "exclude", "only", "val", "synthetic", "tile_um", "cache_dir", "real_weight"}


def load_model_config(spec: str | Path | dict[str, Any]) -> dict[str, Any]:
    """A model config dict from a dict, a YAML path, or a shipped name (``pdnnet``, ``iredge``)."""
    if isinstance(spec, dict):
        return dict(spec)
    path = Path(spec)
    if not path.suffix and (CONFIG_DIR / f"{spec}.yaml").is_file():
        path = CONFIG_DIR / f"{spec}.yaml"
    if not path.is_file():
        raise SpecError(
            f"model config '{spec}' not found",
            hint=f"give a YAML file or one of: {', '.join(p.stem for p in CONFIG_DIR.glob('*.yaml'))}",
        )
    from eda.flow.yamlio import load_yaml

    data = load_yaml(path).data  # UTF-8, size and alias limits, file:line errors
    if not isinstance(data, dict):
        raise SpecError(f"model config '{path}' must be a mapping", where=str(path))
    return data


def train_config(values: dict[str, Any] | None) -> TrainConfig:
    """:class:`TrainConfig` from a dict; unknown keys -> :class:`SpecError` naming the valid ones."""
    values = dict(values or {})
    valid = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(values) - valid)
    if unknown:
        raise SpecError(
            f"unknown training option(s) {', '.join(unknown)}", hint=f"valid: {', '.join(sorted(valid))}"
        )
    return TrainConfig(**values)


def _split_val(samples: list[Sample], val_names: list[str]) -> list[Sample]:
    def short(s: Sample) -> str:
        return s.name.split("/")[-1]

    if val_names:
        return [s for s in samples if short(s) in val_names or s.name in val_names]
    return [s for s in samples if s.name.startswith("real/")]


def unseen_validation(samples: list[Sample]) -> list[Sample]:
    """The designs ``val: unseen`` keeps out of training: every 6th fake case and every 8th generated one.

    Early stopping on designs the model never trains on: the other real cases (the default) are also
    training data, so their validation error keeps falling while the model overfits its designs.
    """
    return [s for s in samples if s.name.startswith("fake/")][::6] + [
        s for s in samples if not s.name.startswith(("real/", "fake/"))
    ][::8]


def load_recipe_data(
    data: dict[str, Any], default_cache: Path | None = None
) -> tuple[list[Sample], list[Sample]]:
    """``(train, val)`` samples of a recipe's ``data`` section (ICCAD cases plus any dynamic set)."""
    unknown = sorted(set(data) - _DATA_KEYS)
    if unknown:
        raise SpecError(
            f"unknown data option(s) {', '.join(unknown)}", hint=f"valid: {', '.join(sorted(_DATA_KEYS))}"
        )
    tile_um = int(data.get("tile_um", 4))
    cache = data.get("cache_dir") or default_cache
    samples: list[Sample] = []
    if data.get("real", True) or data.get("fake", True):
        root = require_data("iccad23")
        samples = load_iccad_split(
            root,
            real=bool(data.get("real", True)),
            fake=bool(data.get("fake", True)),
            exclude=list(data.get("exclude", [])),
            only=list(data.get("only", [])),
            tile_um=tile_um,
            cache_dir=Path(cache) if cache else None,
        )
    if data.get("synthetic"):
        from eda.irdrop.synthetic import load_generated_dir

        dirs = data["synthetic"] if isinstance(data["synthetic"], list) else [data["synthetic"]]
        for d in dirs:
            samples += load_generated_dir(Path(d), tile_um=tile_um)
    spec = data.get("val", [])
    if spec == "unseen":
        val = unseen_validation(samples)
    elif isinstance(spec, list):
        val = _split_val(samples, [str(v) for v in spec])
    else:
        raise SpecError(f"data.val must be a list of case names or 'unseen', got {spec!r}")
    if spec:
        held = {id(s) for s in val}
        samples = [s for s in samples if id(s) not in held]
    weight = int(data.get("real_weight", 1))
    if weight < 1:
        raise SpecError(f"real_weight must be >= 1, got {weight}")
    samples += [s for s in samples if s.name.startswith("real/")] * (weight - 1)
    return samples, val


def peak_to_mean_trained(samples: list[Sample]) -> float:
    """The largest peak-to-mean tile current over ``samples``' current maps (the predictor's
    out-of-distribution check compares a new design's ratio with it)."""
    from eda.irdrop.features import STATIC_CHANNELS, peak_to_mean

    k = STATIC_CHANNELS.index("current")
    return max((peak_to_mean(s.inputs[k]) for s in samples), default=0.0)


def _member_seeds(train: dict[str, Any]) -> list[int]:
    """The ensemble seeds of a recipe's ``train`` section (``seeds: [0, 1]``), or ``[seed]``."""
    seeds = train.get("seeds")
    if seeds is None:
        return [int(train.get("seed", 0))]
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in seeds)
        or len(set(seeds)) != len(seeds)
    ):
        raise SpecError(
            f"train.seeds must be a non-empty list of distinct integers, got {seeds!r}",
            hint="e.g. seeds: [0, 1] trains two members and ships their mean",
        )
    if "seed" in train:
        raise SpecError("give train.seed or train.seeds, not both")
    return list(seeds)


def _train_member(task: tuple[dict[str, Any], str, str | None]) -> dict[str, Any]:
    """Train one ensemble member (an executor task): ``(single-seed recipe, checkpoint, cache)``."""
    recipe, checkpoint, cache = task
    result = run_recipe(recipe, Path(checkpoint), default_cache=Path(cache) if cache else None)
    return {
        "val_mae_mv": result.best_val_mae_mv,
        "epochs": result.epochs_run,
        "seconds": result.seconds,
        "history": result.history,
    }


def run_recipe(
    recipe: dict[str, Any],
    checkpoint: Path,
    *,
    world_size: int = 1,
    progress: Any = None,
    default_cache: Path | None = None,
    executor: Any = None,
) -> TrainResult:
    """Train the recipe's model and write ``checkpoint`` (best validation weights).

    ``train.seeds: [s1, s2, ...]`` trains one member per seed, as tasks of ``executor`` (in parallel on a
    process pool; serial without one) and writes their ensemble (:func:`eda.irdrop.train.merge_checkpoints`);
    the result's validation MAE is the members' mean.
    """
    unknown = sorted(set(recipe) - {"model", "data", "train"})
    if unknown:
        raise SpecError(
            f"unknown recipe section(s) {', '.join(unknown)}", hint="sections: model, data, train"
        )
    model_cfg = load_model_config(recipe.get("model", "pdnnet"))
    train_values = dict(recipe.get("train") or {})
    seeds = _member_seeds(train_values)
    train_values.pop("seeds", None)
    cfg = train_config({**train_values, "seed": seeds[0]})
    launched = distributed_env() is not None
    if launched and world_size > 1:
        raise SpecError(
            f"launched by torchrun, which sets the world size; world_size {world_size} was given too",
            hint="drop --world-size / world_size (torchrun: --nnodes x --nproc-per-node processes)",
        )
    if len(seeds) > 1:
        if world_size > 1 or launched:
            raise SpecError(
                "an ensemble (train.seeds) trains its members as separate processes, not with "
                "torch.distributed",
                hint="drop --world-size / world_size or torchrun, or give one seed",
            )
        if default_cache is not None or (recipe.get("data") or {}).get("cache_dir"):
            load_recipe_data(
                dict(recipe.get("data") or {}), default_cache
            )  # fills the cache the members read
        members = [Path(checkpoint).with_name(f"{Path(checkpoint).stem}.seed{s}.pt") for s in seeds]
        tasks = [
            (
                {**recipe, "model": model_cfg, "train": {**train_values, "seed": s}},
                str(m),
                str(default_cache) if default_cache else None,
            )
            for s, m in zip(seeds, members, strict=True)
        ]
        runs = (
            executor.map(_train_member, tasks, name="irdrop-train-member")
            if executor is not None
            else [_train_member(t) for t in tasks]
        )
        merge_checkpoints(members, checkpoint)
        for m in members:
            m.unlink()
        return TrainResult(
            best_val_mae_mv=float(np.mean([r["val_mae_mv"] for r in runs])),
            epochs_run=max(r["epochs"] for r in runs),
            seconds=max(r["seconds"] for r in runs),
            history=[{**h, "seed": s} for s, r in zip(seeds, runs, strict=True) for h in r["history"]],
        )
    train, val = load_recipe_data(dict(recipe.get("data") or {}), default_cache)
    tile_um = int((recipe.get("data") or {}).get("tile_um", 4))
    extra = {
        "tile_um": tile_um,
        "train_cases": [s.name for s in train],
        "val_cases": [s.name for s in val],
        "peak_to_mean_trained": peak_to_mean_trained(train),
    }
    if launched:  # one rank of a torchrun job: rank 0 writes the checkpoint
        return train_rank(model_cfg, train, val, cfg, checkpoint, extra=extra, progress=progress)
    if world_size > 1:
        payload = train_distributed(
            model_cfg, train, val, cfg, checkpoint, world_size=world_size, extra=extra
        )
        return TrainResult(
            best_val_mae_mv=float(payload["metrics"]["val_mae_mv"]),
            epochs_run=int(payload["metrics"]["epochs"]),
            seconds=float(payload["metrics"]["seconds"]),
        )
    result = train_model(model_cfg, train, val, cfg, progress=progress)
    assert result.model is not None
    save_checkpoint(
        checkpoint,
        model_cfg,
        result.model,
        cfg,
        {"val_mae_mv": result.best_val_mae_mv, "epochs": result.epochs_run, "seconds": result.seconds},
        extra=extra,
    )
    return result
