"""``eda workload privcirnet``: block sizes of a digits MLP by integer program under an HE latency budget."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eda.workloads.method_commands import OutOption, ReportOption, emit

__all__ = ["app"]

app = typer.Typer()


@app.command("privcirnet")
def privcirnet_command(
    out: OutOption = Path("privcirnet.yaml"),
    report: ReportOption = None,
    budget_fraction: Annotated[
        float, typer.Option(help="HE latency budget as a fraction of the dense network's.")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
) -> None:
    """PrivCirNet on a digits MLP: block sizes by integer program, fine-tuned accuracy, ACIM arrays."""
    from eda.workloads.privcirnet.steps import PrivCirNetParams, run_privcirnet

    emit(run_privcirnet(PrivCirNetParams(budget_fraction=budget_fraction, seed=seed)), out, report)
