"""``eda workload hequant``: per-layer bits, accumulator widths, packing and lossless ADC bits (``workload.hequant``)."""

from __future__ import annotations

from pathlib import Path

import typer

from eda.workloads.method_commands import OutOption, ReportOption, SetOption, run_step

__all__ = ["app"]

app = typer.Typer()


@app.command("hequant")
def hequant_command(
    out: OutOption = Path("hequant.yaml"), report: ReportOption = None, set_: SetOption = None
) -> None:
    """HEQuant: per-layer bits under a communication budget, accumulator widths, packing, lossless ADC bits."""
    run_step("workload.hequant", set_, out, report)
