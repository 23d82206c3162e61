"""The runner: executes a flow into ``runs/<flow>/<run-id>/NN-<step>/`` with caching and safe resume.

Per step directory: ``params.json`` (resolved params), the step's outputs, ``outputs.json``,
``metrics.json``, ``step.log`` and ``done.json`` (cache key, output hashes, status). A step runs in a
temporary directory ``.NN-<step>.tmp`` that is renamed into place only after ``done.json`` is written,
so a crash or ``kill -9`` never leaves a directory a later run would trust.

A step whose cache key (step name + version + implementation hash + params + content hashes of its inputs)
matches an earlier completed execution of the same flow (any run) is reused: its directory is hard-linked
into the new run.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import re
import shutil
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx

from eda.errors import EdaError, FlowError, UserError, missing_module_error, storage_error
from eda.flow.cache import cache_key, freeze_tree, hash_path, link_tree
from eda.flow.codehash import implementation_hash
from eda.flow.executors import Executor, get_executor
from eda.flow.schema import Flow, ResolvedStep
from eda.flow.step import StepContext, StepResult

__all__ = ["StepRecord", "RunResult", "run_flow", "select_steps", "validate_run_id", "RunLock"]

_LOG = logging.getLogger("eda.run")


@dataclass
class StepRecord:
    """What happened to one step in a run."""

    id: str
    use: str
    status: str  # "ran" | "reused" | "failed" | "skipped"
    directory: Path | None = None
    seconds: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    violations: int = 0
    #: why a step ran although an earlier run had it (a cached artifact changed on disk), else ""
    note: str = ""


@dataclass
class RunResult:
    """The outcome of :func:`run_flow`."""

    flow: str
    run_dir: Path
    steps: list[StepRecord]
    status: str

    @property
    def violations(self) -> int:
        return sum(s.violations for s in self.steps)

    @property
    def exit_code(self) -> int:
        return 1 if self.violations else 0

    def record(self, step_id: str) -> StepRecord:
        return next(s for s in self.steps if s.id == step_id)


def select_steps(
    flow: Flow, from_step: str | None, to_step: str | None
) -> tuple[list[ResolvedStep], set[str]]:
    """Steps to execute (``--to`` keeps ``to`` and its ancestors) and those forced to re-run (``--from``)."""
    selected = [s.id for s in flow.steps]
    if to_step:
        flow.step(to_step)
        keep = nx.ancestors(flow.graph, to_step) | {to_step}
        selected = [s for s in selected if s in keep]
    forced: set[str] = set()
    if from_step:
        flow.step(from_step)
        forced = nx.descendants(flow.graph, from_step) | {from_step}
        if from_step not in selected:
            raise FlowError(f"--from {from_step} is not upstream of --to {to_step}")
    return [flow.step(s) for s in selected], forced


#: a run id is one path component: letters, digits, ``_ . + -``, not starting with ``.`` or ``-``
_RUN_ID = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9_.+-]{0,127}$")
#: names inside ``runs/<flow>/`` that are not runs
_RESERVED = frozenset({"latest"})


def validate_run_id(run_id: str) -> str:
    """Return ``run_id`` when it names one directory inside ``runs/<flow>/``; else a :class:`FlowError`.

    Refused: path separators, ``..``, absolute paths, a leading ``.`` or ``-``, other characters, more
    than 128 characters, and ``latest`` (the link to the newest run).
    """
    if not _RUN_ID.match(run_id) or run_id in _RESERVED:
        raise FlowError(
            f"{run_id!r} is not a valid run id",
            where="--run-id",
            hint="a run id is one directory name: letters, digits, '_', '.', '+', '-' (at most 128, "
            "not starting with '.' or '-', not 'latest'), e.g. --run-id nightly-42",
        )
    return run_id


def _check_runs_dir(runs_root: Path) -> None:
    for parent in (runs_root, *runs_root.parents):
        if parent.exists() and not parent.is_dir():
            raise FlowError(
                f"'{parent}' is a file, not a directory",
                where="--runs",
                hint="give --runs a directory (it is created when missing), e.g. --runs runs",
            )
        if parent.exists():
            return


def _new_run_dir(flow_dir: Path, run_id: str | None) -> Path:
    """Create the run directory: ``run_id``'s (existing is fine: it is locked next), else a fresh
    UTC-timestamp one claimed atomically (two runs started in the same second get different ids)."""
    if run_id:
        path = flow_dir / validate_run_id(run_id)
        path.mkdir(parents=True, exist_ok=True)
        return path
    flow_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate, n = flow_dir / stamp, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            candidate, n = flow_dir / f"{stamp}-{n}", n + 1


class RunLock:
    """An exclusive lock on a run directory (``.lock``, ``flock``): two processes never write one run.

    The lock dies with its process (``kill -9`` included), so a crashed run never blocks the next one.
    The lock file holds the owner's pid and start time for the message a second process gets.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / ".lock"
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock or raise :class:`FlowError` saying who holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise FlowError(
                f"run directory '{self.path.parent}' is in use by another eda run ({owner})",
                where="--run-id",
                hint="wait until that run finishes, or give another --run-id (or none: a fresh "
                "timestamp id is used)",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Release the lock (the file stays; it is harmless and reused)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)


class _StepLogHandler(logging.FileHandler):
    """The step's ``step.log``: a failed write (disk full) is remembered, never printed as a traceback."""

    failed: OSError | None = None

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) and self.failed is None:
            self.failed = exc

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # flushing the last lines onto a full disk
            self.failed = self.failed or exc


def _step_logger(step: ResolvedStep, logfile: Path) -> tuple[logging.Logger, _StepLogHandler]:
    logger = logging.getLogger(f"eda.step.{step.id}")
    logger.setLevel(logging.INFO)
    handler = _StepLogHandler(logfile, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger, handler


class _Runner:
    def __init__(
        self, flow: Flow, runs_root: Path, run_dir: Path, executor: str | None, progress: bool
    ) -> None:
        self.flow = flow
        self.flow_root = runs_root / flow.name
        self.run_dir = run_dir
        self.cache_dir = self.flow_root / ".cache"
        self.executor_spec = executor or flow.executor
        self.progress = progress
        self._executor: Executor | None = None
        self.done: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        #: step id -> why its cached artifacts were not reused (set by :meth:`lookup`)
        self.notes: dict[str, str] = {}

    def executor(self) -> Executor:
        if self._executor is None:
            _LOG.info("starting executor '%s'", self.executor_spec)
            executor = get_executor(self.executor_spec)
            try:
                executor.check_shared_directory(self.run_dir)  # tasks write artifacts here
            except BaseException:
                executor.close()
                raise
            self._executor = executor
        return self._executor

    def input_paths(self, step: ResolvedStep) -> dict[str, Path]:
        paths: dict[str, Path] = {}
        for name, ref in step.inputs.items():
            if ref.step:
                upstream = self.done[ref.step]
                if ref.output not in upstream["outputs"]:
                    raise FlowError(
                        f"step '{ref.step}' did not produce its optional output '{ref.output}', "
                        f"which step '{step.id}' needs as input '{name}'",
                        hint=f"enable that output in the parameters of '{ref.step}' (see `eda steps`)",
                    )
                paths[name] = upstream["dir"] / upstream["outputs"][ref.output]
            else:
                paths[name] = ref.path  # type: ignore[assignment]
        return paths

    def input_hashes(self, step: ResolvedStep) -> dict[str, str]:
        hashes: dict[str, str] = {}
        for name, ref in step.inputs.items():
            if ref.step:
                hashes[name] = self.done[ref.step]["hashes"].get(ref.output, "missing")
            else:
                hashes[name] = hash_path(ref.path)  # type: ignore[arg-type]
        return hashes

    def lookup(self, step: ResolvedStep, key: str) -> Path | None:
        """The directory of an earlier completed execution with cache key ``key`` whose outputs still
        have the content hashes its ``done.json`` recorded; ``None`` (and a note saying why) otherwise."""
        index = self.cache_dir / f"{key}.json"
        if not index.is_file():
            return None
        try:
            directory = self.flow_root / json.loads(index.read_text())["dir"]
            done = json.loads((directory / "done.json").read_text())
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(done, dict) or done.get("key") != key:
            return None
        changed = self._changed_outputs(directory, done)
        if changed:
            self.notes[step.id] = (
                f"cached output(s) {', '.join(changed)} of {directory} changed on disk since "
                "the step finished (content hash differs); re-running the step"
            )
            _LOG.warning("step '%s': %s", step.id, self.notes[step.id])
            return None
        return directory

    @staticmethod
    def _changed_outputs(directory: Path, done: dict[str, Any]) -> list[str]:
        """Names of recorded outputs that are missing or whose content hash differs from ``done.json``."""
        outputs, hashes = done.get("outputs") or {}, done.get("hashes") or {}
        changed = []
        for name, rel in outputs.items():
            path = directory / str(rel)
            try:
                same = path.exists() and hash_path(path) == hashes.get(name)
            except OSError:
                same = False
            if not same:
                changed.append(f"'{name}' ({rel})")
        return changed

    def adopt(self, step: ResolvedStep, source: Path) -> StepRecord:
        target = self.run_dir / step.dirname
        if target.resolve() != source.resolve():
            if target.exists():
                shutil.rmtree(target)
            link_tree(source, target)
        done = json.loads((target / "done.json").read_text())
        self.done[step.id] = {"dir": target, "outputs": done["outputs"], "hashes": done["hashes"]}
        return StepRecord(
            step.id,
            step.cls.name,
            "reused",
            target,
            0.0,
            done.get("metrics", {}),
            done["outputs"],
            done.get("violations", 0),
        )

    def execute(self, step: ResolvedStep, key: str, inputs: dict[str, Path]) -> StepRecord:
        final = self.run_dir / step.dirname
        work = self.run_dir / f".{step.dirname}.tmp"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        logger, handler = None, None
        start = time.perf_counter()
        try:
            params = step.params.model_dump(mode="json")
            _write_json(
                work / "params.json",
                {
                    "step": step.cls.name,
                    "version": step.cls.version,
                    "id": step.id,
                    "params": params,
                    "inputs": {k: str(v) for k, v in inputs.items()},
                },
            )
            logger, handler = _step_logger(step, work / "step.log")
            ctx = StepContext(
                step_id=step.id,
                params=step.params,
                inputs=inputs,
                workdir=work,
                log=logger,
                flow_dir=self.flow.path.parent,
                _executor_factory=self.executor,
                run_metrics=dict(self.metrics) if step.cls.reads_run_metrics else {},
                progress_enabled=self.progress,
            )
            result = step.cls().run(ctx)
            if not isinstance(result, StepResult):
                raise TypeError(f"{step.cls.name}.run returned {type(result).__name__}, not StepResult")
            self._check_outputs(step, work, result)
            seconds = time.perf_counter() - start
            logger.info("done in %.2f s", seconds)
            _warn_non_finite(step, result.metrics, logger)
            _close_handler(logger, handler)
            if handler.failed is not None:
                raise handler.failed
            _write_json(work / "outputs.json", result.outputs)
            _write_json(work / "metrics.json", result.metrics)
            # hashed after every file is written: the recorded hashes are of the files as they stay
            hashes = {name: hash_path(work / rel) for name, rel in result.outputs.items()}
            _write_json(
                work / "done.json",
                {
                    "key": key,
                    "outputs": result.outputs,
                    "hashes": hashes,
                    "metrics": result.metrics,
                    "violations": result.violations,
                    "seconds": seconds,
                    "step": step.cls.name,
                },
            )
        except BaseException as exc:
            failed = self._fail(step, work, exc, logger, handler)
            raise self._wrap(step, exc, failed) from exc
        freeze_tree(work)  # finished artifacts are read-only: reuse hard-links them into later runs
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        _write_json(self.cache_dir / f"{key}.json", {"dir": str(final.relative_to(self.flow_root))})
        self.done[step.id] = {"dir": final, "outputs": result.outputs, "hashes": hashes}
        return StepRecord(
            step.id,
            step.cls.name,
            "ran",
            final,
            seconds,
            result.metrics,
            result.outputs,
            result.violations,
            self.notes.get(step.id, ""),
        )

    def _fail(
        self,
        step: ResolvedStep,
        work: Path,
        exc: BaseException,
        logger: logging.Logger | None,
        handler: _StepLogHandler | None,
    ) -> Path:
        """Log the failure into ``step.log`` (best effort: the disk may be full) and keep the work
        directory as ``NN-<step>.failed``; returns that path."""
        if logger is not None and handler is not None and handler.stream is not None:
            record = logger.makeRecord(
                logger.name,
                logging.ERROR,
                __file__,
                0,
                "step failed: %s: %s",
                (type(exc).__name__, exc),
                None,
            )
            handler.handle(
                record
            )  # into step.log only; the console gets the error message once, from the CLI
            try:
                handler.stream.write(traceback.format_exc())
            except (OSError, ValueError):
                pass
            _close_handler(logger, handler)
        failed = self.run_dir / f"{step.dirname}.failed"
        shutil.rmtree(failed, ignore_errors=True)
        try:
            work.rename(failed)
        except OSError:
            return work
        return failed

    @staticmethod
    def _check_outputs(step: ResolvedStep, work: Path, result: StepResult) -> None:
        missing = [
            n for n in step.cls.outputs if n not in result.outputs and n not in step.cls.optional_outputs
        ]
        if missing:
            raise TypeError(f"{step.cls.name} did not return declared output(s) {missing}")
        for name, rel in result.outputs.items():
            path = work / rel
            inside = path.resolve().is_relative_to(work.resolve())
            if Path(rel).is_absolute() or not inside or not path.exists():
                raise TypeError(
                    f"{step.cls.name} output '{name}' -> '{rel}' is not a file in its work directory"
                )

    @staticmethod
    def _wrap(step: ResolvedStep, exc: BaseException, failed: Path) -> BaseException:
        storage = storage_error(exc)
        if storage is not None:
            storage.message = f"step '{step.id}' ({step.cls.name}) could not write: {storage.message}"
            storage.hint = f"{storage.hint}; the partial step directory is {failed}"
            storage.args = (storage.render(),)
            return storage
        if isinstance(exc, EdaError):
            if isinstance(exc, UserError) and not exc.where:
                exc.where = f"step '{step.id}' ({step.cls.name})"
                exc.args = (exc.render(),)
            return exc
        if isinstance(exc, KeyboardInterrupt):
            return exc
        missing = missing_module_error(exc)
        if missing is not None:
            missing.where = f"step '{step.id}' ({step.cls.name})"
            missing.args = (missing.render(),)
            return missing
        if isinstance(exc, MemoryError):
            return UserError(
                f"step '{step.id}' ({step.cls.name}) ran out of memory",
                hint="reduce the problem size (see the limits in the README) or use a machine with "
                f"more memory; log in {failed / 'step.log'}",
            )
        err = EdaError(
            f"step '{step.id}' ({step.cls.name}) crashed: {type(exc).__name__}: {exc}",
            hint=f"traceback in {failed / 'step.log'}; this is a bug, please report it",
        )
        return err

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None


def _close_handler(logger: logging.Logger, handler: _StepLogHandler) -> None:
    logger.removeHandler(handler)
    handler.close()


def _warn_non_finite(step: ResolvedStep, metrics: dict[str, Any], logger: logging.Logger) -> None:
    """Log every NaN/inf metric: a sign-off check fails on them; a reader of metrics.json should know."""
    bad = [k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        text = (
            f"step '{step.id}' reported non-finite metric(s): {', '.join(f'{k}={metrics[k]}' for k in bad)}"
        )
        logger.warning(text)  # step.log, and the console through propagation


def _summary(result: RunResult, flow: Flow) -> str:
    lines = [
        f"# {flow.name} — {result.run_dir.name}",
        "",
        flow.description,
        "",
        "| step | uses | status | seconds | violations |",
        "|---|---|---|---:|---:|",
    ]
    for r in result.steps:
        lines.append(f"| {r.id} | {r.use} | {r.status} | {r.seconds:.2f} | {r.violations} |")
    return "\n".join(lines) + "\n"


def _finish_run(runner: _Runner, result: RunResult, flow: Flow, status: str, failing: bool) -> None:
    """Write the run's ``metrics.json`` and ``summary.md`` and point ``latest`` at it. When the run is
    already failing (e.g. on a full disk) a write error here is swallowed so the first error is the one shown."""
    records = result.steps
    try:
        _write_json(
            runner.run_dir / "metrics.json",
            {
                "flow": flow.name,
                "run_id": runner.run_dir.name,
                "status": status,
                "steps": {
                    r.id: {
                        "use": r.use,
                        "status": r.status,
                        "seconds": round(r.seconds, 3),
                        "violations": r.violations,
                        "metrics": r.metrics,
                    }
                    for r in records
                },
            },
        )
        (runner.run_dir / "summary.md").write_text(_summary(result, flow))
    except OSError:
        if not failing:
            raise
    latest = runner.flow_root / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(runner.run_dir.name)
    except OSError:
        pass


def run_flow(
    flow: Flow,
    *,
    runs_dir: Path | str = "runs",
    run_id: str | None = None,
    from_step: str | None = None,
    to_step: str | None = None,
    executor: str | None = None,
    progress: bool = True,
    on_step: Any = None,
) -> RunResult:
    """Run ``flow`` and return what happened; raises :class:`EdaError` on a failing step.

    ``run_id`` must be one directory name (:func:`validate_run_id`); the run directory is locked for the
    whole run (:class:`RunLock`), so a second run with the same id is refused. ``on_step(record, position,
    total)`` is called after each step (for console reporting).
    """
    steps, forced = select_steps(flow, from_step, to_step)
    if run_id is not None:
        validate_run_id(run_id)
    runs_root = Path(runs_dir).absolute()  # task arguments hold paths: a worker's working directory differs
    _check_runs_dir(runs_root)
    if executor is not None:
        from eda.flow.executors import parse_executor

        parse_executor(executor)
    try:
        run_dir = _new_run_dir(runs_root / flow.name, run_id)
    except OSError as exc:
        raise storage_error(exc) or exc from None
    lock = RunLock(run_dir).acquire()
    runner = _Runner(flow, runs_root, run_dir, executor, progress)
    records: list[StepRecord] = []
    status = "failed"
    failing = True
    try:
        if runner.executor_spec.strip().lower().startswith("dask:"):
            runner.executor()  # a remote cluster is checked before the first step, not when a step fans out
        for position, step in enumerate(steps, start=1):
            hashes = runner.input_hashes(step)
            if step.cls.reads_run_metrics:
                hashes["__run_metrics__"] = json.dumps(runner.metrics, sort_keys=True, default=str)
            key = cache_key(
                step.cls.name,
                step.cls.version,
                step.params.model_dump(mode="json"),
                hashes,
                code=implementation_hash(step.cls.__module__),
            )
            cached = None if step.id in forced else runner.lookup(step, key)
            if cached is not None:
                record = runner.adopt(step, cached)
            else:
                _LOG.info("[%d/%d] %s (%s) running", position, len(steps), step.id, step.cls.name)
                record = runner.execute(step, key, runner.input_paths(step))
            records.append(record)
            runner.metrics[step.id] = record.metrics
            if on_step is not None:
                on_step(record, position, len(steps))
        status = "violations" if any(r.violations for r in records) else "ok"
        failing = False
    finally:
        try:
            runner.close()
            result = RunResult(flow.name, runner.run_dir, records, status)
            _finish_run(runner, result, flow, status, failing)
        finally:
            lock.release()
    return result
