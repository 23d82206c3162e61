"""``eda signoff check``: evaluate a limits file against metrics JSON files (e.g. a run's metrics.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from eda.errors import DataError

__all__ = ["app"]

app = typer.Typer()


@app.command("check")
def check_command(
    metrics: Annotated[list[Path], typer.Argument(help="JSON files of measured values (a run's metrics.json works).")],
    limits: Annotated[Path, typer.Option("--limits", help="signoff.yaml with {value, compare} limits.")],
    out: Annotated[Path, typer.Option(help="Directory for signoff.json / signoff.md.")] = Path("signoff"),
) -> None:
    """Check sign-off limits; exit 1 when any limit is violated or unmeasured."""
    from eda.signoff.check import evaluate_limits, load_limits, write_report
    from eda.signoff.check_steps import flatten_metrics

    spec = load_limits(limits)
    measured: dict[str, object] = {}
    for path in metrics:
        try:
            measured.update(flatten_metrics(json.loads(path.read_text())))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read metrics '{path}': {exc}") from None
    results = evaluate_limits(spec, measured)
    _, summary = write_report(results, out)
    typer.echo(summary.read_text())
    if any(not r.passed for r in results):
        raise typer.Exit(1)
