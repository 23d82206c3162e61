"""What the ``eda workload <method>`` commands share: their ``--out``/``--report``/``--set`` options, the
metrics they print, and running a method's flow step as a one-step flow.

Each method's command sits in its subpackage (``eda.workloads.<method>.cli``); :mod:`eda.workloads.cli`
adds them to the ``eda workload`` group. ``hequant``, ``privquant``, ``fastquery`` and ``mcubert`` run their
flow step (``workload.<method>``) as a one-step flow, parameters given as ``--set KEY=VALUE`` and checked
against the step's bounds (``eda steps`` lists them); ``privcirnet``, ``adapmoe``, ``propd`` and ``chatemg``
have their main parameters as options and run the same ``run_*`` function as their step. Every command
prints the step's metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["OutOption", "ReportOption", "SetOption", "emit", "run_step", "step_command_app"]


def _checked_file(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Option callback: fail before any work when ``--out``/``--report`` cannot be written as a file."""
    from eda.paths import output_file

    return output_file(value, f"--{param.name}") if value is not None else None


OutOption = Annotated[
    Path, typer.Option("--out", help="Workload file to write (.yaml or .json).", callback=_checked_file)
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Also write the JSON report here.", callback=_checked_file)
]


def emit(result: tuple[Any, dict, dict], out: Path, report: Path | None) -> None:
    """Write a ``run_*`` function's workload to ``out`` (and its report to ``report``); print its metrics."""
    from eda.workloads.step_report import plain_json, write_json

    work, rep, metrics = result
    work.save(out)
    if report is not None:
        write_json(report, plain_json(rep))
    _print_metrics(work, metrics, out)


def _print_metrics(work: Any, metrics: dict, out: Path) -> None:
    for key, value in metrics.items():
        typer.echo(f"{key:55s} {value:.4g}" if isinstance(value, float) else f"{key:55s} {value}")
    typer.echo(f"workload '{work.name}': {len(work.layers)} layers -> {out}")


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="A step parameter: KEY=VALUE (repeatable; `eda steps` lists them with their bounds)."
    ),
]


def run_step(step_name: str, sets: list[str] | None, out: Path, report: Path | None) -> None:
    """Run ``step_name`` as a one-step flow in a temporary directory; write its workload (and report)."""
    import shutil
    import tempfile

    import yaml

    from eda.errors import UserError
    from eda.flow.runner import run_flow
    from eda.flow.schema import load_flow
    from eda.workloads.workload import Workload

    with tempfile.TemporaryDirectory(prefix="eda-workload-") as tmp:
        flow_file = Path(tmp) / "flow.yaml"
        flow_file.write_text(
            yaml.safe_dump(
                {"name": step_name.replace(".", "-"), "steps": [{"id": "method", "use": step_name}]}
            )
        )
        for item in sets or []:
            if "=" not in item or "." in item.partition("=")[0] or not item.partition("=")[0].strip():
                raise UserError(
                    f"bad --set '{item}'",
                    where="--set",
                    hint=f"write --set KEY=VALUE with a parameter of {step_name} (`eda steps {step_name}`)",
                )
        try:
            flow = load_flow(flow_file, [f"method.{item}" for item in sets or []])
        except UserError as exc:  # the one-step flow is ours: name the option, not its temporary file
            message = exc.message.replace(f"for step 'method' ({step_name})", f"of {step_name}")
            raise UserError(message.replace("step 'method' ", ""), where="--set", hint=exc.hint) from None
        record = run_flow(flow, runs_dir=Path(tmp) / "runs", progress=False).steps[0]
        assert record.directory is not None
        work = Workload.load(record.directory / record.outputs["workload"])
        work.save(out)
        if report is not None and "report" in record.outputs:
            shutil.copyfile(record.directory / record.outputs["report"], report)
    _print_metrics(work, record.metrics, out)


def step_command_app(method: str, doc: str) -> typer.Typer:
    """A Typer app holding ``eda workload <method>``: runs the flow step ``workload.<method>`` with
    :func:`run_step`, its parameters given as ``--set KEY=VALUE``, writing ``<method>.yaml`` unless ``--out``
    says otherwise; ``doc`` is the command's help."""
    app = typer.Typer()

    def command(
        out: OutOption = Path(f"{method}.yaml"), report: ReportOption = None, set_: SetOption = None
    ) -> None:
        run_step(f"workload.{method}", set_, out, report)

    command.__doc__ = doc
    command.__name__ = command.__qualname__ = f"{method}_command"
    app.command(method)(command)
    return app
