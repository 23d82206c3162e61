"""The runner: executes a flow into ``runs/<flow>/<run-id>/NN-<step>/`` with caching and safe resume.

Per step directory: ``params.json`` (resolved params), the step's outputs, ``outputs.json``,
``metrics.json``, ``step.log`` and ``done.json`` (cache key, output hashes, status). A step runs in a
temporary directory ``.NN-<step>.tmp`` that is renamed into place only after ``done.json`` is written,
so a crash or ``kill -9`` never leaves a directory a later run would trust.

A step whose cache key (step name + version + params + content hashes of its inputs) matches an earlier
completed execution of the same flow (any run) is reused: its directory is hard-linked into the new run.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx

from eda.errors import EdaError, FlowError, UserError
from eda.flow.cache import cache_key, hash_path, link_tree
from eda.flow.executors import Executor, get_executor
from eda.flow.schema import Flow, ResolvedStep
from eda.flow.step import StepContext, StepResult

__all__ = ["StepRecord", "RunResult", "run_flow", "select_steps"]

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


def select_steps(flow: Flow, from_step: str | None, to_step: str | None) -> tuple[list[ResolvedStep], set[str]]:
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


def _new_run_dir(flow_dir: Path, run_id: str | None) -> Path:
    if run_id:
        return flow_dir / run_id
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate, n = flow_dir / stamp, 1
    while candidate.exists():
        candidate, n = flow_dir / f"{stamp}-{n}", n + 1
    return candidate


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)


def _step_logger(step: ResolvedStep, logfile: Path) -> tuple[logging.Logger, logging.Handler]:
    logger = logging.getLogger(f"eda.step.{step.id}")
    logger.setLevel(logging.INFO)
    handler = logging.FileHandler(logfile, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger, handler


class _Runner:
    def __init__(self, flow: Flow, runs_root: Path, run_id: str | None, executor: str | None,
                 progress: bool) -> None:
        self.flow = flow
        self.flow_root = runs_root / flow.name
        self.run_dir = _new_run_dir(self.flow_root, run_id)
        self.cache_dir = self.flow_root / ".cache"
        self.executor_spec = executor or flow.executor
        self.progress = progress
        self._executor: Executor | None = None
        self.done: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}

    def executor(self) -> Executor:
        if self._executor is None:
            _LOG.info("starting executor '%s'", self.executor_spec)
            self._executor = get_executor(self.executor_spec)
        return self._executor

    def input_paths(self, step: ResolvedStep) -> dict[str, Path]:
        paths: dict[str, Path] = {}
        for name, ref in step.inputs.items():
            if ref.step:
                upstream = self.done[ref.step]
                if ref.output not in upstream["outputs"]:
                    raise FlowError(f"step '{ref.step}' did not produce its optional output '{ref.output}', "
                                    f"which step '{step.id}' needs as input '{name}'",
                                    hint=f"enable that output in the parameters of '{ref.step}' (see `eda steps`)")
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

    def lookup(self, key: str) -> Path | None:
        index = self.cache_dir / f"{key}.json"
        if not index.is_file():
            return None
        try:
            directory = self.flow_root / json.loads(index.read_text())["dir"]
            done = json.loads((directory / "done.json").read_text())
        except (OSError, ValueError, KeyError):
            return None
        return directory if done.get("key") == key else None

    def adopt(self, step: ResolvedStep, source: Path) -> StepRecord:
        target = self.run_dir / step.dirname
        if target.resolve() != source.resolve():
            if target.exists():
                shutil.rmtree(target)
            link_tree(source, target)
        done = json.loads((target / "done.json").read_text())
        self.done[step.id] = {"dir": target, "outputs": done["outputs"], "hashes": done["hashes"]}
        return StepRecord(step.id, step.cls.name, "reused", target, 0.0, done.get("metrics", {}),
                          done["outputs"], done.get("violations", 0))

    def execute(self, step: ResolvedStep, key: str, inputs: dict[str, Path]) -> StepRecord:
        final = self.run_dir / step.dirname
        work = self.run_dir / f".{step.dirname}.tmp"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        params = step.params.model_dump(mode="json")
        _write_json(work / "params.json", {"step": step.cls.name, "version": step.cls.version, "id": step.id,
                                           "params": params, "inputs": {k: str(v) for k, v in inputs.items()}})
        logger, handler = _step_logger(step, work / "step.log")
        ctx = StepContext(step_id=step.id, params=step.params, inputs=inputs, workdir=work, log=logger,
                          flow_dir=self.flow.path.parent, _executor_factory=self.executor,
                          run_metrics=dict(self.metrics) if step.cls.reads_run_metrics else {},
                          progress_enabled=self.progress)
        start = time.perf_counter()
        try:
            result = step.cls().run(ctx)
            if not isinstance(result, StepResult):
                raise TypeError(f"{step.cls.name}.run returned {type(result).__name__}, not StepResult")
            hashes = self._check_outputs(step, work, result)
        except BaseException as exc:
            logger.error("step failed: %s: %s", type(exc).__name__, exc)
            handler.stream.write(traceback.format_exc())  # the traceback goes to step.log only
            handler.close()
            logger.removeHandler(handler)
            failed = self.run_dir / f"{step.dirname}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            work.rename(failed)
            raise self._wrap(step, exc, failed) from exc
        seconds = time.perf_counter() - start
        logger.info("done in %.2f s", seconds)
        handler.close()
        logger.removeHandler(handler)
        _write_json(work / "outputs.json", result.outputs)
        _write_json(work / "metrics.json", result.metrics)
        _write_json(work / "done.json", {"key": key, "outputs": result.outputs, "hashes": hashes,
                                         "metrics": result.metrics, "violations": result.violations,
                                         "seconds": seconds, "step": step.cls.name})
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        _write_json(self.cache_dir / f"{key}.json", {"dir": str(final.relative_to(self.flow_root))})
        self.done[step.id] = {"dir": final, "outputs": result.outputs, "hashes": hashes}
        return StepRecord(step.id, step.cls.name, "ran", final, seconds, result.metrics, result.outputs,
                          result.violations)

    @staticmethod
    def _check_outputs(step: ResolvedStep, work: Path, result: StepResult) -> dict[str, str]:
        missing = [n for n in step.cls.outputs if n not in result.outputs and n not in step.cls.optional_outputs]
        if missing:
            raise TypeError(f"{step.cls.name} did not return declared output(s) {missing}")
        hashes = {}
        for name, rel in result.outputs.items():
            path = work / rel
            if Path(rel).is_absolute() or not path.exists():
                raise TypeError(f"{step.cls.name} output '{name}' -> '{rel}' is not a file in its work directory")
            hashes[name] = hash_path(path)
        return hashes

    @staticmethod
    def _wrap(step: ResolvedStep, exc: BaseException, failed: Path) -> BaseException:
        if isinstance(exc, EdaError):
            if isinstance(exc, UserError) and not exc.where:
                exc.where = f"step '{step.id}' ({step.cls.name})"
                exc.args = (exc.render(),)
            return exc
        if isinstance(exc, KeyboardInterrupt):
            return exc
        err = EdaError(f"step '{step.id}' ({step.cls.name}) crashed: {type(exc).__name__}: {exc}",
                       hint=f"traceback in {failed / 'step.log'}; this is a bug, please report it")
        return err

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None


def _summary(result: RunResult, flow: Flow) -> str:
    lines = [f"# {flow.name} — {result.run_dir.name}", "", flow.description, "",
             "| step | uses | status | seconds | violations |", "|---|---|---|---:|---:|"]
    for r in result.steps:
        lines.append(f"| {r.id} | {r.use} | {r.status} | {r.seconds:.2f} | {r.violations} |")
    return "\n".join(lines) + "\n"


def run_flow(flow: Flow, *, runs_dir: Path | str = "runs", run_id: str | None = None, from_step: str | None = None,
             to_step: str | None = None, executor: str | None = None, progress: bool = True,
             on_step: Any = None) -> RunResult:
    """Run ``flow`` and return what happened; raises :class:`EdaError` on a failing step.

    ``on_step(record, position, total)`` is called after each step (for console reporting).
    """
    steps, forced = select_steps(flow, from_step, to_step)
    runner = _Runner(flow, Path(runs_dir), run_id, executor, progress)
    runner.run_dir.mkdir(parents=True, exist_ok=True)
    records: list[StepRecord] = []
    status = "failed"
    try:
        for position, step in enumerate(steps, start=1):
            hashes = runner.input_hashes(step)
            if step.cls.reads_run_metrics:
                hashes["__run_metrics__"] = json.dumps(runner.metrics, sort_keys=True, default=str)
            key = cache_key(step.cls.name, step.cls.version, step.params.model_dump(mode="json"), hashes)
            cached = None if step.id in forced else runner.lookup(key)
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
    finally:
        runner.close()
        result = RunResult(flow.name, runner.run_dir, records, status)
        _write_json(runner.run_dir / "metrics.json", {
            "flow": flow.name, "run_id": runner.run_dir.name, "status": status,
            "steps": {r.id: {"use": r.use, "status": r.status, "seconds": round(r.seconds, 3),
                             "violations": r.violations, "metrics": r.metrics} for r in records}})
        (runner.run_dir / "summary.md").write_text(_summary(result, flow))
        latest = runner.flow_root / "latest"
        try:
            if latest.is_symlink() or latest.exists():
                latest.unlink()
            latest.symlink_to(runner.run_dir.name)
        except OSError:
            pass
    return result
