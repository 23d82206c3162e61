"""``eda workload mcubert``: the word embedding fitted into a microcontroller's flash (``workload.mcubert``)."""

from __future__ import annotations

from pathlib import Path

import typer

from eda.workloads.method_commands import OutOption, ReportOption, SetOption, run_step

__all__ = ["app"]

app = typer.Typer()


@app.command("mcubert")
def mcubert_command(
    out: OutOption = Path("mcubert.yaml"), report: ReportOption = None, set_: SetOption = None
) -> None:
    """MCUBERT: the word embedding fitted into a microcontroller's flash, distilled, and the tiled schedule."""
    run_step("workload.mcubert", set_, out, report)
