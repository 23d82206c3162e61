"""``workload.privcirnet``: digits MLP, Fisher sensitivity, block sizes by integer program under an HE
latency budget, fine-tuned accuracy; the mapping of the dense and block-circulant networks.

The ``run_*`` function is shared with the ``eda workload privcirnet`` command.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import StepParams
from eda.workloads.step_report import MethodStep
from eda.workloads.threads import single_thread

__all__ = ["PrivCirNetParams", "run_privcirnet", "PrivCirNetStep"]


class PrivCirNetParams(StepParams):
    seed: int = Field(0, ge=0, description="seed of the data split, training and fine-tuning")
    budget_fraction: float = Field(
        0.2, gt=0.0, le=1.0, description="HE latency budget as a fraction of the dense (b = 1) network's"
    )
    widths: list[Annotated[int, Field(ge=1)]] = Field(
        [64, 256, 256, 10],
        min_length=2,
        max_length=8,
        description="MLP layer widths, input first (64 digit pixels, 10 classes)",
    )
    epochs: int = Field(40, ge=1, le=1000, description="training epochs of the dense MLP")
    finetune_epochs: int = Field(
        30, ge=0, le=1000, description="fine-tuning epochs after choosing block sizes"
    )
    weight_bits: int = Field(8, ge=1, le=16, description="weight precision of the mapped workload (bits)")


def run_privcirnet(p: PrivCirNetParams) -> tuple[Any, dict, dict]:
    """Digits MLP through PrivCirNet; workload of the chosen block sizes and the ACIM effect."""
    from eda.workloads.mapping import AnalyticOpCost, ArraySpec, map_workload
    from eda.workloads.privcirnet.privcirnet import mlp_workload
    from eda.workloads.privcirnet.train import run_digits

    with single_thread():
        res = run_digits(
            budget_fraction=p.budget_fraction,
            widths=tuple(p.widths),
            epochs=p.epochs,
            finetune_epochs=p.finetune_epochs,
            seed=p.seed,
        )
    work = mlp_workload(
        p.widths,
        res.block_sizes,
        weight_bits=p.weight_bits,
        meta={"accuracy": res.circulant_accuracy, "dense_accuracy": res.dense_accuracy},
    )
    dense = mlp_workload(p.widths, [1] * (len(p.widths) - 1), weight_bits=p.weight_bits, name="dense-mlp")
    spec = ArraySpec(rows=64, cols=64, local_array_size=4, adc_bits=4, cols_per_adc=4, clock_hz=100e6)
    maps = {
        name: map_workload(w, spec, cost=AnalyticOpCost())
        for name, w in (("dense", dense), ("circulant", work))
    }
    report = {
        **{k: v for k, v in asdict(res).items() if k != "sensitivity"},
        "baseline": "dense: diagonal method (Halevi-Shoup, as Bolt/Gazelle pack an FC layer), HE cost model",
        "sensitivity": [{str(b): v for b, v in s.items()} for s in res.sensitivity],
        "acim": {name: m.summary() for name, m in maps.items()},
        "weights": {"dense": dense.total_weights, "circulant": work.total_weights},
    }
    metrics = {
        "workload__privcirnet__accuracy": res.circulant_accuracy,
        "workload__privcirnet__dense_accuracy": res.dense_accuracy,
        "workload__privcirnet__uniform_accuracy": res.uniform_accuracy,
        "workload__privcirnet__he_latency_reduction": res.dense_latency_s / res.circulant_latency_s,
        "workload__privcirnet__weight_reduction": dense.total_weights / work.total_weights,
        "workload__privcirnet__arrays_dense": maps["dense"].arrays,
        "workload__privcirnet__arrays_circulant": maps["circulant"].arrays,
        "workload__privcirnet__acim_energy_ratio": maps["circulant"].energy_j / maps["dense"].energy_j,
    }
    return work, report, metrics


@register
class PrivCirNetStep(MethodStep):
    """PrivCirNet: block-circulant layers sized by an integer program under an HE latency budget."""

    name = "workload.privcirnet"
    Params = PrivCirNetParams
    method = staticmethod(run_privcirnet)
    report_name = "privcirnet.json"
