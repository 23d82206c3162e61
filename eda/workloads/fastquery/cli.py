"""``eda workload fastquery``: per-channel bits of the MiniLM table and a private lookup (``workload.fastquery``)."""

from __future__ import annotations

from pathlib import Path

import typer

from eda.workloads.method_commands import OutOption, ReportOption, SetOption, run_step

__all__ = ["app"]

app = typer.Typer()


@app.command("fastquery")
def fastquery_command(
    out: OutOption = Path("fastquery.yaml"), report: ReportOption = None, set_: SetOption = None
) -> None:
    """FastQuery: per-channel bits of the MiniLM embedding table and one private lookup against Cheetah's."""
    run_step("workload.fastquery", set_, out, report)
