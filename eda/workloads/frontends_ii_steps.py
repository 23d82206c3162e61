"""Flow steps of the second group of workload front-ends: PrivCirNet, AdapMoE, ProPD and ChatEMG.

Each step runs the method on real tensors (a locally trained model or generated signals), writes the
resulting :class:`~eda.workloads.workload.Workload` as ``workload.yaml`` (output ``workload``, ready for
``workload.map``) and a JSON report (output ``report``), and returns its headline numbers as metrics:

* ``workload.privcirnet`` - digits MLP, Fisher sensitivity, block sizes by integer program under an HE
  latency budget, fine-tuned accuracy; the mapping of the dense and block-circulant networks;
* ``workload.adapmoe`` - an expert-routing trace (generated, from a small MoE trained here, or from
  SmolLM2-135M with its FFNs split into experts), the
  LRU / gating / prefetch / DP ladder; the workload's trace is the expert activity over tokens;
* ``workload.propd`` - a character LM and Medusa heads trained here; plain, fixed-tree and dynamic-tree
  decoding with early pruning; the workload is one verification pass;
* ``workload.chatemg`` - generated EMG sessions, the EMG transformer, the few-shot augmentation
  experiment; the workload is one generated time step.

The ``run_*`` functions are shared with ``eda workload`` commands (:mod:`eda.workloads.frontends_ii_cli`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.threads import single_torch_thread

__all__ = ["PrivCirNetStep", "AdapMoEStep", "ProPDStep", "ChatEMGStep", "run_privcirnet", "run_adapmoe",
           "run_propd", "run_chatemg"]



def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.tolist() if hasattr(value, "tolist") else value


def _finish(ctx: StepContext, workload, report: dict, metrics: dict, report_name: str) -> StepResult:
    workload.save(ctx.path("workload.yaml"))
    Path(ctx.path(report_name)).write_text(json.dumps(_plain(report), indent=1))
    return StepResult(outputs={"workload": "workload.yaml", "report": report_name}, metrics=metrics)


# ---------------------------------------------------------------------------------------- PrivCirNet
class PrivCirNetParams(StepParams):
    seed: int = 0
    budget_fraction: float = Field(0.2, gt=0.0, le=1.0)
    widths: list[int] = Field([64, 256, 256, 10], min_length=2)
    epochs: int = Field(40, ge=1)
    finetune_epochs: int = Field(30, ge=0)
    weight_bits: int = Field(8, ge=1, le=16)


def run_privcirnet(p: PrivCirNetParams) -> tuple[Any, dict, dict]:
    """Digits MLP through PrivCirNet; workload of the chosen block sizes and the ACIM effect."""
    from eda.workloads.mapping import AnalyticOpCost, ArraySpec, map_workload
    from eda.workloads.privcirnet import mlp_workload
    from eda.workloads.privcirnet_train import run_digits

    with single_torch_thread():
        res = run_digits(budget_fraction=p.budget_fraction, widths=tuple(p.widths), epochs=p.epochs,
                         finetune_epochs=p.finetune_epochs, seed=p.seed)
    work = mlp_workload(p.widths, res.block_sizes, weight_bits=p.weight_bits,
                        meta={"accuracy": res.circulant_accuracy, "dense_accuracy": res.dense_accuracy})
    dense = mlp_workload(p.widths, [1] * (len(p.widths) - 1), weight_bits=p.weight_bits, name="dense-mlp")
    spec = ArraySpec(rows=64, cols=64, local_array_size=4, adc_bits=4, cols_per_adc=4, clock_hz=100e6)
    maps = {name: map_workload(w, spec, cost=AnalyticOpCost()) for name, w in (("dense", dense), ("circulant", work))}
    report = {**{k: v for k, v in asdict(res).items() if k != "sensitivity"},
              "baseline": "dense: diagonal method (Halevi-Shoup, as Bolt/Gazelle pack an FC layer), HE cost model",
              "sensitivity": [{str(b): v for b, v in s.items()} for s in res.sensitivity],
              "acim": {name: m.summary() for name, m in maps.items()},
              "weights": {"dense": dense.total_weights, "circulant": work.total_weights}}
    metrics = {"workload__privcirnet__accuracy": res.circulant_accuracy,
               "workload__privcirnet__dense_accuracy": res.dense_accuracy,
               "workload__privcirnet__uniform_accuracy": res.uniform_accuracy,
               "workload__privcirnet__he_latency_reduction": res.dense_latency_s / res.circulant_latency_s,
               "workload__privcirnet__weight_reduction": dense.total_weights / work.total_weights,
               "workload__privcirnet__arrays_dense": maps["dense"].arrays,
               "workload__privcirnet__arrays_circulant": maps["circulant"].arrays,
               "workload__privcirnet__acim_energy_ratio": maps["circulant"].energy_j / maps["dense"].energy_j}
    return work, report, metrics


@register
class PrivCirNetStep(Step):
    """PrivCirNet: block-circulant layers sized by an integer program under an HE latency budget."""

    name = "workload.privcirnet"
    outputs = {"workload": "workload.yaml", "report": "privcirnet.json"}
    Params = PrivCirNetParams

    def run(self, ctx: StepContext) -> StepResult:
        return _finish(ctx, *run_privcirnet(ctx.params), "privcirnet.json")


# ------------------------------------------------------------------------------------------- AdapMoE
class AdapMoEParams(StepParams):
    source: Literal["generator", "trained", "smollm2"] = "generator"
    seed: int = 0
    layers: int = Field(8, ge=1)
    experts: int = Field(8, ge=2)
    tokens: int = Field(2000, ge=4)
    train_steps: int = Field(300, ge=1)
    slots_per_layer: int = Field(3, ge=0)
    quality_budget_nats: float | None = Field(0.005, ge=0.0, description="largest held-out loss increase "
                                              "(nats/token) adaptive gating may cause; sets its threshold "
                                              "(sources with a model: trained, smollm2)")
    reduction: float = Field(0.25, ge=0.0, le=0.5, description="activated-expert cut, used only without a "
                             "quality budget or a model (source: generator); an input, reported as such")
    timing: Literal["measured", "rtx4090-pcie4", "manual"] = Field(
        "measured", description="latency constants: measured on this machine (expert compute, cold expert "
        "read from storage), a device's stated figures, or the t_*_ms parameters")
    t_layer_ms: float = 0.2
    t_expert_ms: float = 0.5
    t_load_ms: float = 2.0
    hidden: int = 64
    ffn: int = 128
    workload_tokens: int = 16


def _adapmoe_timing(p: AdapMoEParams, hidden: int, ffn: int, experts: int, matrices: int) -> tuple[Any, str]:
    """The latency model and a sentence saying where its constants come from."""
    from eda.workloads.adapmoe import LatencyModel
    from eda.workloads.adapmoe_timing import RTX4090_PCIE4_MIXTRAL, latency_from_device, measure_latency

    if p.timing == "manual":
        return LatencyModel(p.t_layer_ms * 1e-3, p.t_expert_ms * 1e-3, p.t_load_ms * 1e-3), "given (t_*_ms)"
    if p.timing == "rtx4090-pcie4":
        return latency_from_device(RTX4090_PCIE4_MIXTRAL), f"stated figures: {RTX4090_PCIE4_MIXTRAL.name}"
    shapes = [(hidden, ffn)] * (matrices - 1) + [(ffn, hidden)]
    with single_torch_thread():
        timing = measure_latency(shapes, [(hidden, hidden)] * 4 + [(hidden, experts)])
    return timing, ("measured on this machine: one token's matrix-vector products (torch, 1 thread), an expert "
                    "read cold from local storage (fp32)")


def _quality_threshold(trace: Any, per_token_loss: Any, budget: float, rng: Any, block: int = 64
                       ) -> tuple[float, dict[str, float]]:
    """Gating threshold from a loss budget on calibration text; its cost measured on other text.

    ``per_token_loss(keep)`` gives the per-token held-out losses (trace order; NaN where a token has no
    target) under a gating decision (``None``: both experts everywhere). Tokens are split in blocks of
    ``block`` (the model's context windows): even blocks calibrate the threshold, odd blocks measure it,
    so both sides sample the same text.
    """
    import numpy as np

    from eda.workloads.adapmoe import threshold_for_quality

    calib = (np.arange(trace.tokens) // block) % 2 == 0
    base = per_token_loss(None)
    calib_trace = type(trace)(trace.experts[calib], trace.weights[calib], trace.predicted[calib], trace.sensitivity,
                              trace.num_experts, trace.source)

    def calibration_increase(keep_calib: Any) -> float:
        keep = np.ones((trace.tokens, trace.layers), bool)
        keep[calib] = keep_calib
        return float(np.nanmean(per_token_loss(keep)[calib]) - np.nanmean(base[calib]))

    threshold, calib_cost = threshold_for_quality(calib_trace, calibration_increase, budget)
    keep = trace.keep_second(threshold)
    test = ~calib
    random = keep.copy()
    random[test] = rng.permutation(keep[test].ravel()).reshape(keep[test].shape)
    return threshold, {"loss_top2_nats": float(np.nanmean(base[test])),
                       "loss_adaptive_nats": float(np.nanmean(per_token_loss(keep)[test])),
                       "loss_random_drop_nats": float(np.nanmean(per_token_loss(random)[test])),
                       "calibration_loss_increase_nats": calib_cost,
                       "second_expert_dropped": float((~keep[test]).mean())}


def run_adapmoe(p: AdapMoEParams) -> tuple[Any, dict, dict]:
    """The AdapMoE ladder on a generated or real trace; the expert activity as a workload trace.

    With a model (``trained``, ``smollm2``) and a quality budget, the gating threshold is the largest whose
    held-out loss increase on the calibration half of the text stays within the budget; the experts it
    saves, and its loss cost, are measured on the other half.
    """
    import numpy as np

    from eda.workloads.adapmoe import run_ladder, threshold_for_reduction
    from eda.workloads.adapmoe_traces import GeneratorParams, generate_trace, moe_workload

    report: dict[str, Any] = {}
    rng = np.random.default_rng(p.seed)
    threshold: float | None = None
    if p.source == "trained":
        from eda.workloads.adapmoe_model import MoEConfig, extract_trace, held_out_loss, train_moe

        with single_torch_thread():
            cfg = MoEConfig(layers=p.layers, experts=p.experts, dim=p.hidden, ffn=p.ffn)
            model, held = train_moe(cfg, steps=p.train_steps, batch=16, seed=p.seed)
            trace = extract_trace(model, held, tokens=p.tokens)
            if p.quality_budget_nats is not None:
                threshold, quality = _quality_threshold(
                    trace, lambda keep: held_out_loss(model, held, keep, tokens=p.tokens, per_token=True),
                    p.quality_budget_nats, rng)
                report.update(quality)
        hidden, ffn, matrices = p.hidden, p.ffn, 2
    elif p.source == "smollm2":
        from eda.workloads.adapmoe_model import load_corpus
        from eda.workloads.adapmoe_smollm2 import SmolLM2, moefied_loss, smollm2_trace

        text = " ".join(load_corpus()[200000:200000 + 12 * p.tokens].split())
        with single_torch_thread():
            lm = SmolLM2()
            trace, onehots = smollm2_trace(text, experts=p.experts, max_tokens=p.tokens, seed=p.seed, model=lm,
                                           return_clusters=True)
            ids = lm.encode(text)[: trace.tokens]
            report["loss_dense_nats"] = moefied_loss(lm, ids, onehots, None)
            if p.quality_budget_nats is not None:
                def per_token(keep: Any) -> Any:   # losses of predictions made at tokens 0..T-2, padded
                    keep = np.ones((trace.tokens, trace.layers), bool) if keep is None else keep
                    return np.append(moefied_loss(lm, ids, onehots, keep, per_token=True), np.nan)

                threshold, quality = _quality_threshold(trace, per_token, p.quality_budget_nats, rng)
                report.update(quality)
        hidden, ffn, matrices = 576, 1536 // p.experts, 3
    else:
        trace = generate_trace(GeneratorParams(layers=p.layers, num_experts=p.experts, tokens=p.tokens), seed=p.seed)
        hidden, ffn, matrices = p.hidden, p.ffn, 2
    if p.source != "generator":
        report["prefetch_accuracy"] = [float((trace.predicted[:, lay] == trace.experts[:, lay, 0]).mean())
                                       for lay in range(1, trace.layers)]
    if threshold is None:
        threshold = threshold_for_reduction(trace.slice(0, trace.tokens // 2), p.reduction)
        report["threshold_from"] = f"reduction target {p.reduction:g} (an input)"
    else:
        report["threshold_from"] = f"quality budget {p.quality_budget_nats:g} nats/token on held-out text"
    timing, timing_source = _adapmoe_timing(p, hidden, ffn, trace.num_experts, matrices)
    ladder = run_ladder(trace, p.slots_per_layer, p.reduction, timing, threshold=threshold)
    work = moe_workload(trace.slice(trace.tokens // 2, trace.tokens), hidden, ffn, tokens=p.workload_tokens,
                        threshold=threshold)
    report.update({"source": trace.source, "threshold": threshold, "sensitivity": trace.sensitivity,
                   "timing": {"source": timing_source, "t_layer_s": timing.t_layer_s, "t_expert_s": timing.t_expert_s,
                              "t_load_s": timing.t_load_s},
                   "ladder": {k: v.summary() for k, v in ladder.items()}})
    lru, best = ladder["lru"], ladder["gating+prefetch+dp"]
    metrics = {"workload__adapmoe__activated_reduction": 1 - best.activated_per_token / lru.activated_per_token,
               "workload__adapmoe__speedup": lru.latency_per_token_s / best.latency_per_token_s,
               "workload__adapmoe__hit_rate_lru": lru.hit_rate, "workload__adapmoe__hit_rate": best.hit_rate,
               "workload__adapmoe__loads_per_token_lru": lru.loads_per_token,
               "workload__adapmoe__loads_per_token": best.loads_per_token,
               "workload__adapmoe__load_to_expert_ratio": timing.t_load_s / timing.t_expert_s}
    if "loss_top2_nats" in report:
        metrics["workload__adapmoe__loss_increase_nats"] = report["loss_adaptive_nats"] - report["loss_top2_nats"]
        metrics["workload__adapmoe__random_drop_loss_increase_nats"] = (report["loss_random_drop_nats"]
                                                                       - report["loss_top2_nats"])
    return work, report, metrics


@register
class AdapMoEStep(Step):
    """AdapMoE: expert caching with adaptive gating, prefetching and DP cache sizing on a routing trace."""

    name = "workload.adapmoe"
    outputs = {"workload": "workload.yaml", "report": "adapmoe.json"}
    Params = AdapMoEParams

    def run(self, ctx: StepContext) -> StepResult:
        return _finish(ctx, *run_adapmoe(ctx.params), "adapmoe.json")


# --------------------------------------------------------------------------------------------- ProPD
class ProPDParams(StepParams):
    seed: int = 0
    train_steps: int = 600
    head_steps: int = 300
    heads: int = Field(3, ge=1)
    topk: int = Field(3, ge=1)
    fixed_tree: int = Field(16, ge=1)
    prune_layer: int = Field(1, ge=0)
    prune_topk: int = Field(3, ge=1)
    prompts: int = Field(3, ge=1)
    new_tokens: int = Field(96, ge=1, le=160)


def run_propd(p: ProPDParams) -> tuple[Any, dict, dict]:
    """Train the LM and heads; decode held-out prompts plain / fixed tree / dynamic tree (+ pruning)."""
    import numpy as np

    from eda.workloads.propd import decode, fit_verify_latency, verify_workload
    from eda.workloads.propd_model import train_heads, train_lm

    with single_torch_thread():
        model, held = train_lm(steps=p.train_steps, batch=16, seed=p.seed)
        half = len(held) // 2
        heads = train_heads(model, held[:half], num_heads=p.heads, steps=p.head_steps, batch=16, seed=p.seed)
        latency, samples = fit_verify_latency(model)
        modes = {"plain": {}, "fixed": {"tree_size": p.fixed_tree}, "dynamic": {"tree_size": "dynamic"},
                 "dynamic+prune": {"tree_size": "dynamic", "prune_layer": p.prune_layer}}
        runs: dict[str, list] = {name: [] for name in modes}
        for i in range(p.prompts):
            start = half + i * 997
            prompt = held[start:start + 64]
            for name, kw in modes.items():
                runs[name].append(decode(model, prompt, p.new_tokens, heads=heads if kw else None, topk=p.topk,
                                         latency=latency, prune_topk=p.prune_topk, **kw))
    same = all(r.tokens == plain.tokens for name in modes for r, plain in zip(runs[name], runs["plain"], strict=True))
    summary = {}
    for name, items in runs.items():
        tokens = sum(len(r.tokens) for r in items)
        summary[name] = {"tokens_per_step": tokens / sum(r.steps for r in items),
                         "modelled_s_per_token": sum(r.modelled_s for r in items) / tokens,
                         "wall_s_per_token": sum(r.wall_s for r in items) / tokens,
                         "rows_per_layer": float(np.mean([r.rows_per_layer for r in items])),
                         "mean_tree_size": float(np.mean([np.mean(r.tree_sizes) for r in items]))}
    base = summary["plain"]["modelled_s_per_token"]
    for item in summary.values():
        item["modelled_speedup"] = base / item["modelled_s_per_token"]
    best = summary["dynamic+prune"]
    work = verify_workload(model.cfg, rows=summary["dynamic"]["mean_tree_size"], kept_rows=best["rows_per_layer"],
                           prune_layer=p.prune_layer, context=64 + p.new_tokens // 2,
                           meta={"tokens_per_step": best["tokens_per_step"]})
    report = {"latency_model": asdict(latency), "latency_samples": samples, "modes": summary,
              "greedy_identical": same, "sample": bytes(runs["plain"][0].tokens).decode("ascii", "replace")}
    metrics = {"workload__propd__tokens_per_step_fixed": summary["fixed"]["tokens_per_step"],
               "workload__propd__tokens_per_step_dynamic": summary["dynamic"]["tokens_per_step"],
               "workload__propd__speedup_fixed": summary["fixed"]["modelled_speedup"],
               "workload__propd__speedup_dynamic": summary["dynamic"]["modelled_speedup"],
               "workload__propd__speedup_dynamic_pruned": best["modelled_speedup"],
               "workload__propd__greedy_identical": int(same)}
    return work, report, metrics


@register
class ProPDStep(Step):
    """ProPD: token-tree parallel decoding with early pruning and dynamic tree sizing."""

    name = "workload.propd"
    outputs = {"workload": "workload.yaml", "report": "propd.json"}
    Params = ProPDParams

    def run(self, ctx: StepContext) -> StepResult:
        return _finish(ctx, *run_propd(ctx.params), "propd.json")


# ------------------------------------------------------------------------------------------- ChatEMG
class ChatEMGParams(StepParams):
    seeds: list[int] = Field([0, 1, 2], min_length=1, description="simulated people (one seed each)")
    shots: list[int] = Field([1, 2, 4], min_length=1, description="real windows per intent from the new session")
    draws: int = Field(3, ge=1, description="random choices of those windows per person")
    train_sessions: int = Field(4, ge=1)
    trials_per_intent: int = Field(12, ge=2)
    gpt_steps: int = Field(300, ge=1)
    synthetic_per_prompt: int = Field(8, ge=1)


def run_chatemg(p: ChatEMGParams) -> tuple[Any, dict, dict]:
    """The augmentation experiment for every person (seed), shot count and draw; per shot count the mean
    accuracy gain over people with its 95 % confidence interval and verdict; the generator as workload."""
    import numpy as np

    from eda.workloads.chatemg import (
        EmgGPTConfig,
        augmentation_trial,
        gain_statistics,
        inference_workload,
        prepare_augmentation,
    )

    runs = []
    with single_torch_thread():
        for seed in p.seeds:
            setup = prepare_augmentation(train_sessions=p.train_sessions, trials_per_intent=p.trials_per_intent,
                                         gpt_steps=p.gpt_steps, seed=seed)
            for shots in p.shots:
                for draw in range(p.draws):
                    res = augmentation_trial(setup, shots, p.synthetic_per_prompt, draw)
                    runs.append({"seed": seed, "shots": shots, "draw": draw, **asdict(res)})
    statistics, metrics = {}, {}
    for shots in p.shots:
        mine = [r for r in runs if r["shots"] == shots]
        per_person = [np.mean([r["few_real_plus_synthetic"] - r["few_real"] for r in mine if r["seed"] == seed])
                      for seed in p.seeds]
        stats = gain_statistics(np.array(per_person))
        stats.update({key: float(np.mean([r[key] for r in mine]))
                      for key in ("few_real", "few_real_plus_synthetic", "previous_sessions")})
        statistics[str(shots)] = stats
        metrics[f"workload__chatemg__gain_{shots}shot"] = stats["mean"]
        metrics[f"workload__chatemg__gain_{shots}shot_ci_low"] = stats["low"]
        metrics[f"workload__chatemg__gain_{shots}shot_ci_high"] = stats["high"]
        metrics[f"workload__chatemg__accuracy_{shots}shot_real"] = stats["few_real"]
    work = inference_workload(EmgGPTConfig())
    report = {"runs": runs, "statistics": statistics, "people": len(p.seeds), "draws": p.draws,
              "data": "simulated EMG (eda.workloads.chatemg_generator); no openly licensed EMG recording is on PyPI"}
    return work, report, metrics


@register
class ChatEMGStep(Step):
    """ChatEMG: EMG transformer completing new-session prompts to augment an intent classifier."""

    name = "workload.chatemg"
    outputs = {"workload": "workload.yaml", "report": "chatemg.json"}
    Params = ChatEMGParams

    def run(self, ctx: StepContext) -> StepResult:
        return _finish(ctx, *run_chatemg(ctx.params), "chatemg.json")
