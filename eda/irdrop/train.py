"""Training of the IR-drop predictors: seeded, checkpointed, early stopping, optional torch.distributed.

One optimisation step is one sample (maps differ in size) under a random flip/rotation; the loss is the
contest metric itself, the mean absolute error in mV. After every epoch the validation MAE decides early
stopping; the best weights are kept. A checkpoint is a plain dict (config, ``state_dict``, metrics) that
:func:`load_checkpoint` reads with ``torch.load(weights_only=True)``.

Multi-process training runs one process per rank (:func:`train_rank`): launched by ``torchrun`` (on one
or several machines: ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``/``MASTER_PORT`` in the
environment, ``init_process_group("env://")``) or spawned on this machine by :func:`train_distributed`.
Each rank uses one device, ``cuda:LOCAL_RANK`` with NCCL when CUDA is available, else the CPU with gloo;
one shuffled order of the samples per epoch (the same on every rank) is sharded by
:class:`torch.utils.data.DistributedSampler` (padded to a multiple of the world size, rank ``r`` takes
every ``world_size``-th from ``r``), and :class:`~torch.nn.parallel.DistributedDataParallel` averages the gradients, so one
optimiser step sees ``world_size`` samples, as a single process with ``accumulate = world_size`` does.
Rank 0 validates, decides early stopping for all ranks and alone writes the checkpoint.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DistributedSampler

from eda.errors import DataError
from eda.irdrop.dataset import TRANSFORMS, Sample
from eda.irdrop.features import FEATURES_VERSION, MAP_CHANNELS, STATIC_CHANNELS
from eda.irdrop.models import build_model

__all__ = [
    "TrainConfig",
    "TrainResult",
    "train_model",
    "train_rank",
    "train_distributed",
    "distributed_env",
    "evaluate",
    "predict_sample",
    "save_checkpoint",
    "merge_checkpoints",
    "load_checkpoint",
    "seed_everything",
    "pick_device",
]

_LOG = logging.getLogger("eda.irdrop.train")


@dataclass
class TrainConfig:
    """Training hyper-parameters (all plain values so they round-trip through YAML and checkpoints).

    Attributes:
        epochs: maximum passes over the training samples.
        lr: Adam learning rate; ``weight_decay``: AdamW decay.
        patience: epochs without validation improvement before stopping.
        seed: seeds Python, NumPy and torch.
        augment: draw one of the 8 flips/rotations per step.
        max_minutes: wall-clock budget (training stops after the epoch that exceeds it; 0 = none).
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
        threads: torch intra-op threads per process (0 = torch default).
        accumulate: samples per optimiser step (gradients averaged).
        crop: train on random ``crop`` × ``crop`` µm windows (0 = whole maps); validation always uses
            whole maps.
        ema: decay of the exponential moving average of the weights that is validated and kept
            (per optimiser step; 0 disables it).
        hot_weight: extra L1 weight of the hot-spot tiles (label above 90 % of the sample's maximum, the
            contest's hot-spot definition): tile weight ``1 + hot_weight`` there, 1 elsewhere (0 = plain MAE).
        relative: divide each sample's error by its worst label drop, so that every design weighs the same
            whatever its current (the loss is then the NMAE the macro tables report); False = error in mV.
    """

    epochs: int = 60
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 12
    seed: int = 0
    augment: bool = True
    max_minutes: float = 18.0
    device: str = "auto"
    threads: int = 0
    accumulate: int = 2
    crop: int = 128
    ema: float = 0.95
    hot_weight: float = 0.0
    relative: bool = False


@dataclass
class TrainResult:
    """Outcome of a training run: best validation MAE (mV), epochs run, seconds, loss history."""

    best_val_mae_mv: float
    epochs_run: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    model: nn.Module | None = None
    #: SHA-256 of every rank's trained parameters (rank order) after the last step; empty on one process
    rank_parameter_sha256: list[str] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _uses_graph(model: nn.Module) -> bool:
    return bool(getattr(getattr(model, "module", model), "uses_graph", False))


def _graph_to(graph: Any, device: torch.device) -> Any:
    g = copy.copy(graph)
    g.x, g.edge_index, g.edge_attr = (
        graph.x.to(device),
        graph.edge_index.to(device),
        graph.edge_attr.to(device),
    )
    return g


def predict_sample(model: nn.Module, sample: Sample, device: torch.device | None = None) -> np.ndarray:
    """IR drop of ``sample`` in mV ``[X, Y]`` (no gradients, identity transform)."""
    device = device or next(model.parameters()).device
    model.eval()
    x, graph, _ = sample.view(0, False)
    with torch.no_grad():
        out = model(x.to(device), _graph_to(graph, device) if _uses_graph(model) else None)
    return out[0].detach().cpu().numpy().astype(np.float64)


def evaluate(model: nn.Module, samples: Sequence[Sample], device: torch.device | None = None) -> float:
    """Mean over samples of the map MAE in mV."""
    if not samples:
        return float("nan")
    errs = [float(np.mean(np.abs(predict_sample(model, s, device) - s.label_mv))) for s in samples]
    return float(np.mean(errs))


def _step(
    model: nn.Module, sample: Sample, rng: random.Random, config: TrainConfig, device: torch.device
) -> torch.Tensor:
    k, flip = rng.choice(TRANSFORMS) if config.augment else (0, False)
    x, graph, y = sample.crop_view(k, flip, config.crop, rng) if config.crop > 0 else sample.view(k, flip)
    g = _graph_to(graph, device) if _uses_graph(model) else None
    pred = model(x.to(device), g)
    err = torch.abs(pred - y.to(device))
    worst = float(np.max(sample.label_mv))  # of the whole map, not the window
    if config.hot_weight:
        hot = y.to(device) > 0.9 * worst
        err = err * (1.0 + config.hot_weight * hot)
    if config.relative:
        err = err / max(worst, 1e-9)
    return torch.mean(err)


def _check(samples: Sequence[Sample], what: str) -> None:
    if not samples:
        raise DataError(f"no {what} samples", hint="check the data selection of the training config")
    for s in samples:
        if s.label_mv is None:
            raise DataError(f"{what} sample '{s.name}' has no IR-drop label")


def _parameter_sha256(model: nn.Module) -> str:
    """SHA-256 of the model's parameters (float32 bytes, in ``named_parameters`` order)."""
    import hashlib

    digest = hashlib.sha256()
    for _, value in model.named_parameters():
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def train_model(
    model_config: dict[str, Any],
    train: Sequence[Sample],
    val: Sequence[Sample],
    config: TrainConfig,
    *,
    checkpoint: Path | None = None,
    progress: Any = None,
    rank: int = 0,
    world_size: int = 1,
    device: torch.device | None = None,
) -> TrainResult:
    """Train a model built from ``model_config`` on ``train``, early-stopping on ``val``.

    ``progress(iterable, total=, description=)`` wraps the epoch loop (e.g. ``ctx.progress``). With
    ``world_size > 1`` this must run inside an initialised gloo/NCCL process group (see
    :func:`train_rank`) on this rank's ``device``; each rank then steps through its shard of every epoch.
    """
    _check(train, "training")
    seed_everything(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = device or pick_device(config.device)
    model = build_model(model_config).to(device)
    net: nn.Module = model
    if world_size > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device] if device.type == "cuda" else None
        )
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=max(config.epochs, 1), eta_min=config.lr * 0.05
    )
    ema = (
        torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.ema)
        )
        if config.ema > 0
        else None
    )
    rng = random.Random(config.seed * 1009 + rank)
    order_rng = random.Random(config.seed)
    val = list(val) or list(train)
    best, best_state, stale, history = math.inf, copy.deepcopy(model.state_dict()), 0, []
    start = time.perf_counter()
    epochs = range(config.epochs)
    if progress is not None and rank == 0:
        epochs = progress(epochs, total=config.epochs, description="irdrop train")
    epochs_run = 0
    for epoch in epochs:
        net.train()
        order = list(range(len(train)))
        order_rng.shuffle(order)  # one order on every rank; the sampler pads and strides it
        losses = []
        mine = [
            order[i] for i in DistributedSampler(order, num_replicas=world_size, rank=rank, shuffle=False)
        ]
        acc = max(1, config.accumulate)
        for start_i in range(0, len(mine), acc):
            opt.zero_grad(set_to_none=True)
            chunk = mine[start_i : start_i + acc]
            for i in chunk:
                loss = _step(net, train[i], rng, config, device) / len(chunk)
                loss.backward()
                losses.append(float(loss.detach()) * len(chunk))
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            if ema is not None:
                ema.update_parameters(model)
        sched.step()
        judged = ema.module if ema is not None else model
        epochs_run = epoch + 1
        stop = torch.zeros(1, device=device)  # NCCL broadcasts device tensors
        if rank == 0:
            val_mae = evaluate(judged, val, device)
            history.append(
                {"epoch": epoch + 1, "train_mae_mv": float(np.mean(losses)), "val_mae_mv": val_mae}
            )
            _LOG.info(
                "epoch %d: train %s %.4f%s, val MAE %.4f mV",
                epoch + 1,
                "error / worst drop" if config.relative else "MAE",
                np.mean(losses),
                "" if config.relative else " mV",
                val_mae,
            )
            if val_mae < best:
                best, best_state, stale = val_mae, copy.deepcopy(judged.state_dict()), 0
                if checkpoint is not None:
                    save_checkpoint(
                        checkpoint, model_config, judged, config, {"val_mae_mv": best, "epoch": epoch + 1}
                    )
            else:
                stale += 1
            over = config.max_minutes > 0 and time.perf_counter() - start > config.max_minutes * 60
            stop[0] = float(stale >= config.patience or over)
        if world_size > 1:
            torch.distributed.broadcast(stop, src=0)
        if stop[0] > 0:
            break
    digests: list[str] = []
    if world_size > 1:  # DDP keeps the replicas identical: every rank's trained parameters, for the record
        digests = [""] * world_size
        torch.distributed.all_gather_object(digests, _parameter_sha256(model))
    model.load_state_dict(best_state)
    return TrainResult(
        best_val_mae_mv=float(best),
        epochs_run=epochs_run,
        seconds=time.perf_counter() - start,
        history=history,
        model=model,
        rank_parameter_sha256=digests,
    )


def distributed_env() -> tuple[int, int, int] | None:
    """``(rank, local_rank, world_size)`` of a process started by ``torchrun`` (from ``RANK``,
    ``LOCAL_RANK``, ``WORLD_SIZE``), or ``None`` outside a launched job (or for a world of one)."""
    try:
        world_size = int(os.environ["WORLD_SIZE"])
        rank = int(os.environ["RANK"])
        local_rank = int(os.environ.get("LOCAL_RANK", rank))
    except (KeyError, ValueError):
        return None
    return (rank, local_rank, world_size) if world_size > 1 else None


def _rank_device(config: TrainConfig, local_rank: int) -> tuple[torch.device, str]:
    """This rank's device and process-group backend: ``cuda:LOCAL_RANK`` with NCCL when CUDA is used,
    else the CPU with gloo."""
    device = pick_device(config.device)
    if device.type != "cuda":
        return torch.device("cpu"), "gloo"
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise DataError(
            f"local rank {local_rank} has no GPU: this machine has {count}",
            hint="start at most one process per GPU (torchrun --nproc-per-node <= GPUs)",
        )
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank), "nccl"


def train_rank(
    model_config: dict[str, Any],
    train: Sequence[Sample],
    val: Sequence[Sample],
    config: TrainConfig,
    checkpoint: Path,
    *,
    extra: dict[str, Any] | None = None,
    progress: Any = None,
) -> TrainResult:
    """Train as one rank of the torch.distributed job the environment describes (``torchrun`` sets
    ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``).

    Joins the process group (``env://``), trains on this rank's device, and on rank 0 writes
    ``checkpoint`` (the best validation weights, with ``extra`` and a ``distributed`` record: world size,
    backend, every rank's parameter digest). Every rank returns the result; only rank 0's has the
    validation history and MAE (the others' is ``inf``)."""
    env = distributed_env()
    if env is None:
        raise DataError(
            "train_rank needs a torch.distributed environment of two or more processes",
            hint="launch with torchrun --nproc-per-node N (N >= 2), or train in one process",
        )
    rank, local_rank, world_size = env
    _check(train, "training")
    device, backend = _rank_device(config, local_rank)
    torch.distributed.init_process_group(backend, init_method="env://")
    try:
        result = train_model(
            model_config,
            train,
            val,
            config,
            progress=progress,
            rank=rank,
            world_size=world_size,
            device=device,
        )
        if rank == 0:
            assert result.model is not None
            save_checkpoint(
                checkpoint,
                model_config,
                result.model,
                config,
                {
                    "val_mae_mv": result.best_val_mae_mv,
                    "epochs": result.epochs_run,
                    "seconds": result.seconds,
                },
                extra={
                    **(extra or {}),
                    "distributed": {
                        "world_size": world_size,
                        "backend": backend,
                        "rank_parameter_sha256": result.rank_parameter_sha256,
                    },
                },
            )
            _LOG.info("rank 0 wrote %s", checkpoint)
        else:
            _LOG.info("rank %d of %d trained; rank 0 writes the checkpoint", rank, world_size)
        # every rank leaves together before the group is torn down, so no rank tears it down while
        # another still communicates
        torch.distributed.barrier()
    finally:
        torch.distributed.destroy_process_group()
    return result


def _spawned_rank(
    rank: int,
    world_size: int,
    port: int,
    model_config: dict[str, Any],
    train: list[Sample],
    val: list[Sample],
    config: TrainConfig,
    checkpoint: str,
    extra: dict[str, Any] | None,
) -> None:
    """One process of :func:`train_distributed`: the environment ``torchrun`` would give it, then train."""
    os.environ.update(
        {
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world_size),
            "LOCAL_WORLD_SIZE": str(world_size),
        }
    )
    train_rank(model_config, train, val, config, Path(checkpoint), extra=extra)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def train_distributed(
    model_config: dict[str, Any],
    train: Sequence[Sample],
    val: Sequence[Sample],
    config: TrainConfig,
    checkpoint: Path,
    world_size: int = 2,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train with ``world_size`` processes spawned on this machine (each a :func:`train_rank`, one device
    per rank); returns the checkpoint dict rank 0 saved. ``torchrun`` launches the same on many machines."""
    import torch.multiprocessing as mp

    _check(train, "training")
    cfg = TrainConfig(**{**asdict(config), "threads": config.threads or 1})
    mp.spawn(
        _spawned_rank,
        args=(world_size, _free_port(), model_config, list(train), list(val), cfg, str(checkpoint), extra),
        nprocs=world_size,
        join=True,
    )
    return load_checkpoint(checkpoint)


def save_checkpoint(
    path: Path,
    model_config: dict[str, Any],
    model: nn.Module,
    config: TrainConfig,
    metrics: dict[str, float],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically: ``{"format", "model_config", "state_dict", "train_config", "metrics"}``."""
    path = Path(path)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": "eda.irdrop/1",
        "model_config": dict(model_config),
        "state_dict": state,
        "train_config": asdict(config),
        "metrics": dict(metrics),
        "static_channels": list(STATIC_CHANNELS),
        "features_version": FEATURES_VERSION,
        **(extra or {}),
    }
    return _save_atomically(payload, path)


def _save_atomically(payload: dict[str, Any], path: Path) -> Path:
    """``torch.save`` under a temp name, then rename (a crash never leaves half a checkpoint)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def merge_checkpoints(paths: Sequence[Path], out: Path) -> Path:
    """Write one ensemble checkpoint from member checkpoints of one model config (e.g. trained with
    different seeds); predictors average the members' maps (:class:`eda.irdrop.predict.Predictor`).

    The payload is the first member's plus ``members`` (every member's ``state_dict``, the first one's
    being ``state_dict`` too) and ``member_metrics``; ``metrics`` holds the members' mean of each number
    and ``members``, their count.
    """
    if not paths:
        raise ValueError("an ensemble needs at least one member checkpoint")
    payloads = [load_checkpoint(Path(p)) for p in paths]
    first = payloads[0]
    for p, q in zip(paths[1:], payloads[1:], strict=True):
        if q["model_config"] != first["model_config"]:
            raise DataError(
                f"checkpoint '{p}' holds another model than '{paths[0]}'",
                hint="the members of an ensemble share one model config",
            )
    member_metrics = [dict(q["metrics"]) for q in payloads]
    numbers = [
        k
        for k, v in first["metrics"].items()
        if isinstance(v, int | float) and all(isinstance(m.get(k), int | float) for m in member_metrics)
    ]
    metrics = {k: float(np.mean([m[k] for m in member_metrics])) for k in numbers}
    payload = {
        **first,
        "members": [q["state_dict"] for q in payloads],
        "member_metrics": member_metrics,
        "metrics": {**metrics, "members": len(payloads)},
    }
    return _save_atomically(payload, Path(out))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)`` (no pickled code is executed)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"checkpoint '{path}' does not exist", hint="train one with `eda irdrop train`")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file for the user
        raise DataError(
            f"cannot read checkpoint '{path}': {exc}", hint="re-train or re-download it"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != "eda.irdrop/1":
        raise DataError(f"'{path}' is not an eda.irdrop checkpoint", hint="train one with `eda irdrop train`")
    channels = payload.get("static_channels")
    in_channels = int(payload.get("model_config", {}).get("in_channels", len(STATIC_CHANNELS)))
    if (channels is not None and list(channels) != list(STATIC_CHANNELS)) or (
        channels is None and in_channels < len(STATIC_CHANNELS)
    ):
        have = f"{len(channels)} channels" if channels is not None else f"{in_channels} input channels"
        raise DataError(
            f"checkpoint '{path}' was trained on {have}; this version of eda builds the "
            f"{len(STATIC_CHANNELS)} of eda.irdrop.features.STATIC_CHANNELS",
            hint="retrain it (`eda run flows/irdrop-train.yaml` or `eda irdrop train`)",
        )
    version = payload.get("features_version", 6)  # a checkpoint without the key holds version 6 channels
    seen = payload.get("model_config", {}).get("channels") or STATIC_CHANNELS
    if version != FEATURES_VERSION and not set(seen) <= set(MAP_CHANNELS):
        raise DataError(
            f"checkpoint '{path}' was trained on version {version} of the netlist-derived channels; "
            f"this version of eda builds version {FEATURES_VERSION} (eda.irdrop.features.FEATURES_VERSION)",
            hint="retrain it (`eda run flows/irdrop-train.yaml` or `eda irdrop train`)",
        )
    return payload
