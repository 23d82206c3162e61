"""``workload.privquant``: PrivQuant mixed precision on a CNN trained on the digits (Fisher sensitivity, bits
per layer under the two-party protocol's communication budget, accuracy).

The step writes ``workload.yaml`` (output ``workload``) and ``privquant.json`` (output ``report``).
"""

from __future__ import annotations

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.step_report import finish_workload_step
from eda.workloads.threads import single_thread

__all__ = ["WorkloadPrivQuant"]


@register
class WorkloadPrivQuant(Step):
    """PrivQuant: Fisher-sensitivity mixed precision under a two-party communication budget."""

    name = "workload.privquant"
    outputs = {"workload": "workload.yaml", "report": "privquant.json"}

    class Params(StepParams):
        seed: int = Field(0, ge=0, description="seed of the data split and training")
        budget_fraction: float = Field(
            0.5,
            gt=0.0,
            le=1.0,
            description="2PC communication budget as a fraction of the uniform 8-bit network's",
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.privquant.privquant import privquant
        from eda.workloads.zoo import train_digits_cnn

        with single_thread():
            model, data = train_digits_cnn(seed=ctx.params.seed)
            result = privquant(model, data, budget_fraction=ctx.params.budget_fraction)
        assert result.workload is not None
        result.workload.meta["accuracy"] = result.accuracy
        return finish_workload_step(
            ctx,
            result.workload,
            {
                "bits": result.bits,
                "comm_bits": result.comm_bits,
                "comm_bits_uniform8": result.comm_bits_uniform8,
                "accuracy": result.accuracy,
                "accuracy_uniform8": result.accuracy_uniform8,
                "accuracy_float": result.accuracy_float,
                "table": result.table,
            },
            {
                "workload__privquant__accuracy": result.accuracy,
                "workload__privquant__accuracy_uniform8": result.accuracy_uniform8,
                "workload__privquant__comm_reduction_vs_uniform8": result.comm_reduction,
            },
            "privquant.json",
        )
