"""``eda signoff check``: evaluate a limits file against metrics JSON files (e.g. a run's metrics.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer()


@app.command("check")
def check_command(
    metrics: Annotated[
        list[Path], typer.Argument(help="JSON files of measured values (a run's metrics.json works).")
    ],
    limits: Annotated[Path, typer.Option("--limits", help="signoff.yaml with {value, compare} limits.")],
    out: Annotated[Path, typer.Option(help="Directory for signoff.json / signoff.md.")] = Path("signoff"),
) -> None:
    """Check sign-off limits; exit 1 when any limit is violated or unmeasured."""
    from eda.paths import output_dir
    from eda.signoff.check import evaluate_limits, load_limits, read_metrics_file, write_report
    from eda.signoff.check_steps import flatten_metrics

    output_dir(out, "--out")
    spec = load_limits(limits)
    measured: dict[str, object] = {}
    for path in metrics:
        measured.update(flatten_metrics(read_metrics_file(path)))
    results = evaluate_limits(spec, measured)
    _, summary = write_report(results, out)
    typer.echo(summary.read_text())
    if any(not r.passed for r in results):
        raise typer.Exit(1)
