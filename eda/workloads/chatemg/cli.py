"""``eda workload chatemg``: few-shot augmentation with generated EMG and the generator's inference workload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eda.workloads.method_commands import OutOption, ReportOption, emit

__all__ = ["app"]

app = typer.Typer()


@app.command("chatemg")
def chatemg_command(
    out: OutOption = Path("chatemg.yaml"),
    report: ReportOption = None,
    shots: Annotated[
        str, typer.Option(help="Comma-separated real windows per intent from the new session.")
    ] = "1,2,4",
    seeds: Annotated[
        str, typer.Option(help="Comma-separated seeds (one new person/session each).")
    ] = "0,1,2",
) -> None:
    """ChatEMG augmentation of a few-shot intent classifier and the generator's inference workload."""
    from eda.errors import UserError
    from eda.workloads.chatemg.steps import ChatEMGParams, run_chatemg

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        shot_list = [int(s) for s in shots.split(",") if s.strip()]
    except ValueError:
        raise UserError(
            f"--seeds and --shots must be comma-separated integers, got '{seeds}', '{shots}'"
        ) from None
    emit(run_chatemg(ChatEMGParams(shots=shot_list, seeds=seed_list)), out, report)
