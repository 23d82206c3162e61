"""``eda workload privquant``: mixed precision under a two-party communication budget (``workload.privquant``)."""

from __future__ import annotations

from pathlib import Path

import typer

from eda.workloads.method_commands import OutOption, ReportOption, SetOption, run_step

__all__ = ["app"]

app = typer.Typer()


@app.command("privquant")
def privquant_command(
    out: OutOption = Path("privquant.yaml"), report: ReportOption = None, set_: SetOption = None
) -> None:
    """PrivQuant: sensitivity-driven mixed precision under the two-party protocol's communication budget."""
    run_step("workload.privquant", set_, out, report)
