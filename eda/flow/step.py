"""The Step contract: a registered name, a typed params model, declared inputs/outputs and ``run``.

A step is a small class::

    @register
    class PdnSolve(Step):
        '''Static IR-drop solve of a PDN netlist.'''

        name = "pdn.solve"
        version = "1"
        inputs = {"netlist": "PDN SPICE netlist"}
        outputs = {"ir_drop_map": "ir_drop_map.csv", "metrics": "solve.json"}

        class Params(StepParams):
            backend: Literal["auto", "direct", "amg"] = "auto"

        def run(self, ctx: StepContext) -> StepResult:
            netlist = ctx.input("netlist")            # Path to the upstream artifact
            ...write files under ctx.workdir...
            return StepResult(outputs={"ir_drop_map": "ir_drop_map.csv", ...},
                              metrics={"pdn__static__worst_drop_mv": 12.3})

Rules a step obeys (the runner relies on them):

* it writes only inside ``ctx.workdir`` (a temporary directory renamed into place on success, so a
  crash never leaves a half-written artifact that a re-run would trust);
* output values are paths *relative to* ``ctx.workdir`` (never absolute);
* it never edits its inputs in place;
* it is deterministic for given params and inputs (seed everything from params);
* fan-out work goes through ``ctx.executor``; long loops report through ``ctx.progress``;
* user mistakes raise :class:`eda.errors.UserError` subclasses with what/where/how-to-fix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from eda.errors import FlowError

if TYPE_CHECKING:
    from eda.flow.executors import Executor

__all__ = ["StepParams", "Step", "StepContext", "StepResult"]

T = TypeVar("T")


class StepParams(BaseModel):
    """Base of every step's parameter model: unknown keys are an error naming the allowed ones, and
    a float parameter refuses ``.nan``/``.inf`` (a non-finite size, current or limit is never meant)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@dataclass
class StepResult:
    """What ``Step.run`` returns.

    Attributes:
        outputs: output name -> path relative to the step's work directory (file or directory).
        metrics: flat machine-readable metrics named ``stage__category__name`` (numbers or short strings).
        violations: number of sign-off violations found; a run with any exits with code 1.
    """

    outputs: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    violations: int = 0


@dataclass
class StepContext:
    """Everything a running step may touch.

    Attributes:
        step_id: the step's id in the flow (``solve``).
        params: the validated params model instance.
        inputs: input name -> absolute path of the upstream artifact (or external file).
        workdir: the directory the step writes into (temporary until the step succeeds).
        log: a logger that writes to the step's ``step.log`` and the console.
        flow_dir: directory of the flow YAML file (for resolving user-relative paths).
    """

    step_id: str
    params: Any
    inputs: dict[str, Path]
    workdir: Path
    log: logging.Logger
    flow_dir: Path = field(default_factory=Path.cwd)
    #: metrics of the steps completed earlier in this run (step id -> metrics); filled only for steps
    #: that set ``reads_run_metrics`` (those metrics are then part of the step's cache key)
    run_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    _executor_factory: Any = None
    _executor: Any = None
    progress_enabled: bool = True

    def input(self, name: str) -> Path:
        """Absolute path of input ``name``; a clear error if the flow did not connect it."""
        try:
            return self.inputs[name]
        except KeyError:
            raise FlowError(
                f"input '{name}' is not connected",
                where=f"step '{self.step_id}'",
                hint=f"add `inputs: {{{name}: <step>.<output>}}` to the step (connected: {sorted(self.inputs) or 'none'})",
            ) from None

    def optional_input(self, name: str) -> Path | None:
        """Absolute path of input ``name`` or ``None`` when it is not connected."""
        return self.inputs.get(name)

    def path(self, relative: str) -> Path:
        """A path inside the work directory (parents created)."""
        target = self.workdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @property
    def executor(self) -> Executor:
        """The run's executor (created on first use, shared by all steps of the run)."""
        if self._executor is None:
            if self._executor_factory is None:
                from eda.flow.executors import LocalExecutor

                self._executor = LocalExecutor()
            else:
                self._executor = self._executor_factory()
        return self._executor

    def progress(self, items: Iterable[T], *, total: int | None = None, description: str = "") -> Iterator[T]:
        """Iterate ``items`` with a progress bar on a terminal and plain log lines elsewhere."""
        from eda.flow.progress import track

        return track(
            items,
            total=total,
            description=description or self.step_id,
            log=self.log,
            enabled=self.progress_enabled,
        )


class Step:
    """Base class of all flow steps. Subclass, set the class attributes, implement :meth:`run`."""

    #: registered name, ``<area>.<verb>`` (``pdn.solve``)
    name: ClassVar[str] = ""
    #: bump when the step's behaviour changes so cached results are not reused
    version: ClassVar[str] = "1"
    #: input name -> one-line description; inputs listed in ``optional_inputs`` may be left out
    inputs: ClassVar[dict[str, str]] = {}
    optional_inputs: ClassVar[frozenset[str]] = frozenset()
    #: output name -> one-line description; those in ``optional_outputs`` are produced only in some modes
    outputs: ClassVar[dict[str, str]] = {}
    optional_outputs: ClassVar[frozenset[str]] = frozenset()
    #: True for steps that summarise the run (sign-off, reports): they see ``ctx.run_metrics``
    reads_run_metrics: ClassVar[bool] = False

    class Params(StepParams):
        """No parameters."""

    def run(self, ctx: StepContext) -> StepResult:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        """The first line of the class docstring."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""
