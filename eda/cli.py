"""The ``eda`` command: ``eda run``, ``eda steps``, ``eda flows`` and the domain groups.

Domain groups are merged from the area packages: every ``cli`` or ``*_cli`` module of ``eda.pdn``,
``eda.acim``, ``eda.irdrop``, ``eda.workloads`` and ``eda.signoff`` exposes ``app = typer.Typer()``; its
commands appear under ``eda pdn ...``, ``eda acim ...``, ``eda irdrop ...``, ``eda workload ...``,
``eda signoff ...``.

Exit codes: 0 ok, 1 sign-off violations, 2 bad input or usage, 3 internal error. A user mistake
prints one paragraph and no traceback (``--debug`` or ``EDA_DEBUG=1`` shows it).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from eda import __version__
from eda.errors import EXIT_INTERNAL, EXIT_USAGE, EdaError, TaskError, missing_module_error, storage_error

__all__ = ["app", "main"]

app = typer.Typer(
    name="eda",
    help="Flow-based EDA: ACIM macros, PDN IR drop, workloads, sign-off.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: command group name -> area package whose ``cli``/``*_cli`` modules provide its commands
GROUPS: dict[str, tuple[str, str]] = {
    "pdn": ("eda.pdn", "PDN netlists: solve static/transient IR drop, generate synthetic grids, maps."),
    "acim": ("eda.acim", "Analog compute-in-memory macros: generate layouts, explore the design space."),
    "irdrop": ("eda.irdrop", "Learned IR-drop prediction (PDNNet): train, predict, evaluate."),
    "workload": ("eda.workloads", "Neural-network workload front-ends and their mapping onto ACIM macros."),
    "signoff": ("eda.signoff", "Sign-off checks: DRC, LVS, IR-drop limits."),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eda {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    """eda — flow-based EDA toolkit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LevelFormatter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    for noisy in ("distributed", "matplotlib", "PIL", "numexpr"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command("run")
def run_command(
    flow_file: Annotated[
        Path,
        typer.Argument(help="Flow YAML file, or a shipped flow's name (`eda flows`).", metavar="FLOW.yaml"),
    ],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a parameter: STEP.KEY=VALUE.")
    ] = None,
    from_step: Annotated[
        str | None, typer.Option("--from", help="Re-run from this step (and its dependents).")
    ] = None,
    to_step: Annotated[str | None, typer.Option("--to", help="Stop after this step.")] = None,
    executor: Annotated[str | None, typer.Option(help="local | serial | dask | dask:ADDRESS")] = None,
    runs: Annotated[Path, typer.Option(help="Directory for run outputs.")] = Path("runs"),
    run_id: Annotated[str | None, typer.Option(help="Run id (default: a UTC timestamp).")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bars.")] = False,
) -> None:
    """Run a flow: validate it, then execute its steps (reusing unchanged ones)."""
    from eda.flow.runner import run_flow
    from eda.flow.schema import load_flow
    from eda.shipped import find_flow

    flow = load_flow(find_flow(flow_file), set_ or [])
    typer.echo(f"flow '{flow.name}': {len(flow.steps)} steps -> {runs / flow.name}", err=True)

    def report(record: object, position: int, total: int) -> None:
        r = record  # StepRecord
        extra = f" ({r.seconds:.1f} s)" if r.status == "ran" else ""  # type: ignore[attr-defined]
        flag = f", {r.violations} violation(s)" if r.violations else ""  # type: ignore[attr-defined]
        typer.echo(f"[{position}/{total}] {r.id:<20} {r.use:<22} {r.status}{extra}{flag}", err=True)  # type: ignore[attr-defined]

    result = run_flow(
        flow,
        runs_dir=runs,
        run_id=run_id,
        from_step=from_step,
        to_step=to_step,
        executor=executor,
        progress=not no_progress,
        on_step=report,
    )
    typer.echo(f"run directory: {result.run_dir}")
    for record in result.steps:
        for name, rel in record.outputs.items():
            typer.echo(f"  {record.id}.{name}: {record.directory / rel}")
    reports = [
        record.directory / rel
        for record in result.steps
        for rel in record.outputs.values()
        if str(rel).endswith(".html")
    ]
    for page in reports:
        typer.echo(f"report: {page}  (open it in a browser)")
    if result.violations:
        typer.echo(f"sign-off FAILED: {result.violations} violation(s); see the reports above", err=True)
        raise typer.Exit(1)


@app.command("steps")
def steps_command(
    name: Annotated[str | None, typer.Argument(help="Show one step in detail.")] = None,
) -> None:
    """List every registered step with its parameters, types, defaults and one-line doc."""
    from eda.flow.registry import registered_steps, resolve

    chosen = {name: resolve(name)} if name else registered_steps()
    for step_name, cls in chosen.items():
        typer.echo(f"{step_name}  (v{cls.version})  {cls.summary()}")
        if cls.inputs:
            typer.echo(
                "    inputs:  "
                + ", ".join(
                    f"{k}{'?' if k in cls.optional_inputs else ''} ({v})" for k, v in cls.inputs.items()
                )
            )
        if cls.outputs:
            typer.echo(
                "    outputs: "
                + ", ".join(
                    f"{k}{'?' if k in cls.optional_outputs else ''} ({v})" for k, v in cls.outputs.items()
                )
            )
        for field_name, field in cls.Params.model_fields.items():
            default = (
                "required"
                if field.is_required()
                else f"default {field.get_default(call_default_factory=True)!r}"
            )
            kind = _type_name(field.annotation) + _bounds(field.metadata)
            doc = f"  {field.description}" if field.description else ""
            typer.echo(f"    --{field_name}: {kind} = {default}{doc}")


def _type_name(annotation: object) -> str:
    """A readable type: ``int``, ``float | None``, ``'auto' | 'direct' | 'amg'``, ``list[int (1 <= x <= 8)]``."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0]) + "".join(_bounds(getattr(extra, "metadata", ())) for extra in args[1:])
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join(_type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def _bounds(metadata: object) -> str:
    """A parameter's numeric bounds (pydantic ``ge``/``gt``/``le``/``lt``) as `` (1 <= x <= 8)``; empty without."""
    signs = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    found = {
        key: getattr(item, key) for item in metadata for key in signs if getattr(item, key, None) is not None
    }
    low = next(((key, found[key]) for key in ("ge", "gt") if key in found), None)
    high = next(((key, found[key]) for key in ("le", "lt") if key in found), None)
    if low and high:
        return f" ({low[1]!r} {'<=' if low[0] == 'ge' else '<'} x {signs[high[0]]} {high[1]!r})"
    bound = low or high
    return f" (x {signs[bound[0]]} {bound[1]!r})" if bound else ""


def flows_dir() -> Path:
    """The directory of the shipped flows (inside the package: :mod:`eda.shipped`)."""
    from eda.shipped import flows_dir as shipped

    return shipped()


@app.command("flows")
def flows_command() -> None:
    """List the shipped flows with their descriptions (run one by name: `eda run quickstart`)."""
    from eda.flow.yamlio import load_yaml
    from eda.shipped import shipped_flows

    paths = shipped_flows()
    for path in paths:
        try:
            data = load_yaml(path).data or {}
            description = str(data.get("description", "")).strip().splitlines()[0:1]
        except EdaError:
            description = ["(unreadable)"]
        typer.echo(f"{path.stem:<24} {description[0] if description else ''}")
    if paths:
        typer.echo(f"\n(files in {paths[0].parent}; copy one to edit it, then `eda run YOURS.yaml`)")


def _cli_modules(package: str) -> list[str]:
    """The command modules of ``package``: its ``cli`` and ``*_cli`` modules (sorted)."""
    import pkgutil

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules(spec.submodule_search_locations)
        if info.name == "cli" or info.name.endswith("_cli")
    )


def _mount_groups() -> None:
    """Add the domain groups to ``app`` once (``main`` runs many times in one test process)."""
    mounted = {info.name for info in app.registered_groups}
    for group, (package, help_text) in GROUPS.items():
        if group in mounted:
            continue
        sub = typer.Typer(name=group, help=help_text, no_args_is_help=True)
        found = False
        for module_name in _cli_modules(package):
            module = importlib.import_module(module_name)
            area_app = getattr(module, "app", None)
            if area_app is None:
                continue
            sub.registered_commands.extend(area_app.registered_commands)
            sub.registered_groups.extend(area_app.registered_groups)
            found = True
        if found:
            app.add_typer(sub, name=group)


# typer >= 0.28 (the declared lower bound) vendors click: its usage errors (no such option, bad value,
# missing argument) derive from ``typer.TyperException`` and its ``Exit`` and ``Abort`` are typer's own.
# The standalone ``click`` package is not a dependency and is never imported.
_USAGE_EXCEPTIONS: tuple[type[BaseException], ...] = (typer.TyperException,)
_EXIT_EXCEPTIONS: tuple[type[BaseException], ...] = (typer.Exit,)
_ABORT_EXCEPTIONS: tuple[type[BaseException], ...] = (typer.Abort,)


def _show_usage_error(exc: BaseException) -> None:
    """Print a usage error as click does (usage line, ``Try ... --help``, ``Error: ...``)."""
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:  # pragma: no cover - every click/typer usage exception has show()
        typer.echo(f"Error: {exc}", err=True)


class _LevelFormatter(logging.Formatter):
    """Log lines for the console: info indented, warnings and errors prefixed with their level."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {text}"
        return f"  {text}"


def _validation_text(exc: ValidationError) -> str:
    """One line per invalid value: ``name: problem (got value)``."""
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or exc.title
        parts.append(f"invalid value for {name}: {err['msg']} (got {err.get('input')!r})")
    return "\n  ".join(parts) + "\n  hint: see the command's --help for the allowed values"


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and map errors to exit codes (0 ok, 1 violations, 2 usage/input, 3 bug)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("EDA_DEBUG") == "1"
    try:
        _mount_groups()
        code = app(args=argv, prog_name="eda", standalone_mode=False)
        if isinstance(code, int):
            return code
    except _EXIT_EXCEPTIONS as exc:
        return int(getattr(exc, "exit_code", 0))
    except _ABORT_EXCEPTIONS:
        typer.echo("aborted", err=True)
        return EXIT_USAGE
    except _USAGE_EXCEPTIONS as exc:
        _show_usage_error(exc)
        return EXIT_USAGE
    except TaskError as exc:
        typer.echo(f"error: {exc.render()}", err=True)
        if debug and exc.remote_traceback:
            typer.echo(exc.remote_traceback, err=True)
        return exc.exit_code
    except EdaError as exc:
        if debug:
            traceback.print_exc()
        typer.echo(f"error: {exc.render()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except ValidationError as exc:  # a command built a parameter model from its options: bad values
        typer.echo(f"error: {_validation_text(exc)}", err=True)
        return EXIT_USAGE
    except MemoryError:
        typer.echo(
            "error: out of memory\n  hint: reduce the problem size (the README lists the limits) or use a "
            "machine with more memory",
            err=True,
        )
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - last resort: an internal error, not a user mistake
        if debug:
            traceback.print_exc()
        # disk full, read-only, permission denied, a package not installed: the environment, not a bug
        environment = storage_error(exc) or missing_module_error(exc)
        if environment is not None:
            typer.echo(f"error: {environment.render()}", err=True)
            return environment.exit_code
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc}\n  rerun with --debug for the traceback "
            "and please report it",
            err=True,
        )
        return EXIT_INTERNAL
    return 0


def _entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    _entry()
