"""``workload.propd``: a character LM and Medusa heads trained here; plain, fixed-tree and dynamic-tree
decoding with early pruning; the workload is one verification pass.

The ``run_*`` function is shared with the ``eda workload propd`` command.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from pydantic import Field, field_validator

from eda.flow.registry import register
from eda.flow.step import StepParams
from eda.workloads.step_report import MethodStep
from eda.workloads.threads import single_thread

__all__ = ["ProPDParams", "run_propd", "ProPDStep"]


class ProPDParams(StepParams):
    seed: int = Field(0, ge=0, description="seed of training and decoding")
    train_steps: int = Field(600, ge=1, le=100_000, description="training steps of the character LM")
    head_steps: int = Field(300, ge=1, le=100_000, description="training steps of the Medusa heads")
    heads: int = Field(3, ge=1, le=8, description="Medusa heads (tokens drafted ahead)")
    topk: int = Field(3, ge=1, le=16, description="candidates per head in the token tree")
    fixed_tree: int = Field(16, ge=1, le=256, description="tree size of the fixed-tree decoder (tokens)")
    prune_layer: int = Field(
        1, ge=0, le=3, description="block of the 4-block LM after which the tree is pruned"
    )
    prune_topk: int = Field(3, ge=1, le=16, description="candidates per position kept by early pruning")
    prompts: int = Field(3, ge=1, le=100, description="held-out prompts decoded")
    new_tokens: int = Field(96, ge=1, le=160, description="tokens generated per prompt")
    latency: tuple[float, float, float] | None = Field(
        None,
        description="stated verification latency [a, b, c] of T = a + (b + c C) R seconds (R rows per layer, "
        "C cached tokens) for dynamic tree sizing and the modelled speed-ups; none: fitted to passes "
        "timed on the running machine (the trees, and the workload, then follow that machine's timings)",
    )

    @field_validator("latency")
    @classmethod
    def _latency_is_physical(cls, v: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
        if v is not None and not (all(math.isfinite(x) and x >= 0 for x in v) and v[0] + v[1] > 0):
            raise ValueError(
                f"latency {list(v)} must be three finite seconds >= 0 with a + b > 0 (a pass takes time)"
            )
        return v


def run_propd(p: ProPDParams) -> tuple[Any, dict, dict]:
    """Train the LM and heads; decode held-out prompts plain / fixed tree / dynamic tree (+ pruning)."""
    import numpy as np

    from eda.workloads.propd.model import train_heads, train_lm
    from eda.workloads.propd.propd import VerifyLatency, decode, fit_verify_latency, verify_workload

    with single_thread():
        model, held = train_lm(steps=p.train_steps, batch=16, seed=p.seed)
        half = len(held) // 2
        heads = train_heads(model, held[:half], num_heads=p.heads, steps=p.head_steps, batch=16, seed=p.seed)
        if p.latency is None:
            latency, samples = fit_verify_latency(model)
        else:
            latency, samples = VerifyLatency(*p.latency), []
        modes = {
            "plain": {},
            "fixed": {"tree_size": p.fixed_tree},
            "dynamic": {"tree_size": "dynamic"},
            "dynamic+prune": {"tree_size": "dynamic", "prune_layer": p.prune_layer},
        }
        runs: dict[str, list] = {name: [] for name in modes}
        for i in range(p.prompts):
            start = half + i * 997
            prompt = held[start : start + 64]
            for name, kw in modes.items():
                runs[name].append(
                    decode(
                        model,
                        prompt,
                        p.new_tokens,
                        heads=heads if kw else None,
                        topk=p.topk,
                        latency=latency,
                        prune_topk=p.prune_topk,
                        **kw,
                    )
                )
    same = all(
        r.tokens == plain.tokens for name in modes for r, plain in zip(runs[name], runs["plain"], strict=True)
    )
    summary = {}
    for name, items in runs.items():
        tokens = sum(len(r.tokens) for r in items)
        summary[name] = {
            "tokens_per_step": tokens / sum(r.steps for r in items),
            "modelled_s_per_token": sum(r.modelled_s for r in items) / tokens,
            "wall_s_per_token": sum(r.wall_s for r in items) / tokens,
            "rows_per_layer": float(np.mean([r.rows_per_layer for r in items])),
            "mean_tree_size": float(np.mean([np.mean(r.tree_sizes) for r in items])),
        }
    base = summary["plain"]["modelled_s_per_token"]
    for item in summary.values():
        item["modelled_speedup"] = base / item["modelled_s_per_token"]
    best = summary["dynamic+prune"]
    work = verify_workload(
        model.cfg,
        rows=summary["dynamic"]["mean_tree_size"],
        kept_rows=best["rows_per_layer"],
        prune_layer=p.prune_layer,
        context=64 + p.new_tokens // 2,
        meta={"tokens_per_step": best["tokens_per_step"]},
    )
    report = {
        "latency_model": {**asdict(latency), "source": "measured" if p.latency is None else "stated"},
        "latency_samples": samples,
        "modes": summary,
        "greedy_identical": same,
        "sample": bytes(runs["plain"][0].tokens).decode("ascii", "replace"),
    }
    metrics = {
        "workload__propd__tokens_per_step_fixed": summary["fixed"]["tokens_per_step"],
        "workload__propd__tokens_per_step_dynamic": summary["dynamic"]["tokens_per_step"],
        "workload__propd__speedup_fixed": summary["fixed"]["modelled_speedup"],
        "workload__propd__speedup_dynamic": summary["dynamic"]["modelled_speedup"],
        "workload__propd__speedup_dynamic_pruned": best["modelled_speedup"],
        "workload__propd__greedy_identical": int(same),
    }
    return work, report, metrics


@register
class ProPDStep(MethodStep):
    """ProPD: token-tree parallel decoding with early pruning and dynamic tree sizing."""

    name = "workload.propd"
    Params = ProPDParams
    method = staticmethod(run_propd)
    report_name = "propd.json"
