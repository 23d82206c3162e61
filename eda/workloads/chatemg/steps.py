"""``workload.chatemg``: generated EMG sessions, the EMG transformer, the few-shot augmentation
experiment; the workload is one generated time step.

The ``run_*`` function is shared with the ``eda workload chatemg`` command.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import StepParams
from eda.workloads.step_report import MethodStep
from eda.workloads.threads import single_thread

__all__ = ["ChatEMGParams", "run_chatemg", "ChatEMGStep"]


class ChatEMGParams(StepParams):
    seeds: list[Annotated[int, Field(ge=0)]] = Field(
        [0, 1, 2], min_length=1, max_length=50, description="simulated people (one seed each)"
    )
    shots: list[Annotated[int, Field(ge=1, le=200)]] = Field(
        [1, 2, 4], min_length=1, max_length=10, description="real windows per intent from the new session"
    )
    draws: int = Field(3, ge=1, le=100, description="random choices of those windows per person")
    train_sessions: int = Field(
        4, ge=1, le=50, description="earlier EMG recordings the transformer trains on"
    )
    trials_per_intent: int = Field(12, ge=2, le=200, description="recorded trials per intent and session")
    gpt_steps: int = Field(300, ge=1, le=100_000, description="training steps of the EMG transformer")
    synthetic_per_prompt: int = Field(8, ge=1, le=100, description="windows generated from each real prompt")


def run_chatemg(p: ChatEMGParams) -> tuple[Any, dict, dict]:
    """The augmentation experiment for every person (seed), shot count and draw; per shot count the mean
    accuracy gain over people with its 95 % confidence interval and verdict; the generator as workload."""
    import numpy as np

    from eda.workloads.chatemg.chatemg import (
        EmgGPTConfig,
        augmentation_trial,
        gain_statistics,
        inference_workload,
        prepare_augmentation,
    )

    runs = []
    with single_thread():
        for seed in p.seeds:
            setup = prepare_augmentation(
                train_sessions=p.train_sessions,
                trials_per_intent=p.trials_per_intent,
                gpt_steps=p.gpt_steps,
                seed=seed,
            )
            for shots in p.shots:
                for draw in range(p.draws):
                    res = augmentation_trial(setup, shots, p.synthetic_per_prompt, draw)
                    runs.append({"seed": seed, "shots": shots, "draw": draw, **asdict(res)})
    statistics, metrics = {}, {}
    for shots in p.shots:
        mine = [r for r in runs if r["shots"] == shots]
        per_person = [
            np.mean([r["few_real_plus_synthetic"] - r["few_real"] for r in mine if r["seed"] == seed])
            for seed in p.seeds
        ]
        stats = gain_statistics(np.array(per_person))
        stats.update(
            {
                key: float(np.mean([r[key] for r in mine]))
                for key in ("few_real", "few_real_plus_synthetic", "previous_sessions")
            }
        )
        statistics[str(shots)] = stats
        metrics[f"workload__chatemg__gain_{shots}shot"] = stats["mean"]
        metrics[f"workload__chatemg__gain_{shots}shot_ci_low"] = stats["low"]
        metrics[f"workload__chatemg__gain_{shots}shot_ci_high"] = stats["high"]
        metrics[f"workload__chatemg__accuracy_{shots}shot_real"] = stats["few_real"]
    work = inference_workload(EmgGPTConfig())
    report = {
        "runs": runs,
        "statistics": statistics,
        "people": len(p.seeds),
        "draws": p.draws,
        "data": "simulated EMG (eda.workloads.chatemg.generator); no openly licensed EMG recording is on PyPI",
    }
    return work, report, metrics


@register
class ChatEMGStep(MethodStep):
    """ChatEMG: EMG transformer completing new-session prompts to augment an intent classifier."""

    name = "workload.chatemg"
    Params = ChatEMGParams
    method = staticmethod(run_chatemg)
    report_name = "chatemg.json"
