"""What a workload front-end step writes: its workload, a JSON report and its metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from eda.flow.step import Step, StepContext, StepResult
from eda.workloads.workload import Workload

__all__ = ["plain_json", "write_json", "finish_workload_step", "MethodStep"]


def plain_json(value: Any) -> Any:
    """``value`` with numpy scalars/arrays as Python numbers/lists and dict keys as strings (for json.dumps)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    return value.tolist() if hasattr(value, "tolist") else value


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON: numpy arrays and scalars as lists/numbers, other objects as strings."""
    path.write_text(
        json.dumps(data, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    )


def finish_workload_step(
    ctx: StepContext, workload: Workload, report: dict, metrics: dict, report_name: str
) -> StepResult:
    """Write ``workload.yaml`` and ``report_name`` (JSON, as :func:`write_json` of :func:`plain_json`) into
    the step directory; outputs ``workload`` and ``report``."""
    workload.save(ctx.path("workload.yaml"))
    write_json(ctx.path(report_name), plain_json(report))
    return StepResult(outputs={"workload": "workload.yaml", "report": report_name}, metrics=metrics)


class MethodStep(Step):
    """A method's flow step that runs the method's ``run_*`` function (shared with its ``eda workload``
    command): ``method(params) -> (workload, report, metrics)``. Subclasses set ``name``, ``Params``,
    ``method`` (a ``staticmethod``) and ``report_name``; the outputs are ``workload`` (``workload.yaml``) and
    ``report`` (``report_name``, JSON), written by :func:`finish_workload_step`."""

    report_name: ClassVar[str] = ""
    method: ClassVar[Callable[[Any], tuple[Workload, dict, dict]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.outputs = {"workload": "workload.yaml", "report": cls.report_name}

    def run(self, ctx: StepContext) -> StepResult:
        return finish_workload_step(ctx, *type(self).method(ctx.params), self.report_name)
