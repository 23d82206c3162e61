"""``eda workload propd``: tree decoding with early pruning and the verification workload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eda.workloads.method_commands import OutOption, ReportOption, emit

__all__ = ["app"]

app = typer.Typer()


@app.command("propd")
def propd_command(
    out: OutOption = Path("propd.yaml"),
    report: ReportOption = None,
    train_steps: Annotated[int, typer.Option(help="Base LM training steps.")] = 600,
    new_tokens: Annotated[int, typer.Option(help="Tokens decoded per prompt.")] = 96,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """ProPD decoding (plain, fixed tree, dynamic tree, early pruning) and the verification workload."""
    from eda.workloads.propd.steps import ProPDParams, run_propd

    emit(run_propd(ProPDParams(train_steps=train_steps, new_tokens=new_tokens, seed=seed)), out, report)
