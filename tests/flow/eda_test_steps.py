"""Small steps used by the flow-engine tests (loaded as a flow plugin: ``plugins: [eda_test_steps]``)."""

from __future__ import annotations

import json
import time

from eda.errors import SpecError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult


def square(x: int) -> int:
    """A fan-out task: x squared."""
    return x * x


def square_or_fail(x: int) -> int:
    """A fan-out task that fails on 3."""
    if x == 3:
        raise ValueError("three is not allowed")
    return x * x


@register
class Source(Step):
    """Write a number."""

    name = "demo.source"
    outputs = {"value": "value.json"}

    class Params(StepParams):
        value: int = 1
        label: str = "x"

    def run(self, ctx: StepContext) -> StepResult:
        ctx.path("value.json").write_text(json.dumps({"value": ctx.params.value, "label": ctx.params.label}))
        return StepResult(outputs={"value": "value.json"}, metrics={"demo__source__value": ctx.params.value})


@register
class Add(Step):
    """Add an offset to the input value (and an optional second input)."""

    name = "demo.add"
    inputs = {"a": "value.json", "b": "value.json"}
    optional_inputs = frozenset({"b"})
    outputs = {"value": "value.json"}

    class Params(StepParams):
        offset: int = 0

    def run(self, ctx: StepContext) -> StepResult:
        total = json.loads(ctx.input("a").read_text())["value"] + ctx.params.offset
        if ctx.optional_input("b") is not None:
            total += json.loads(ctx.input("b").read_text())["value"]
        ctx.path("value.json").write_text(json.dumps({"value": total}))
        return StepResult(outputs={"value": "value.json"}, metrics={"demo__add__value": total})


@register
class Slow(Step):
    """Write an artifact slowly (a chunk every 0.1 s) so a test can kill the run half-way."""

    name = "demo.slow"
    inputs = {"a": "value.json"}
    outputs = {"data": "data.txt"}

    class Params(StepParams):
        chunks: int = 5

    def run(self, ctx: StepContext) -> StepResult:
        with ctx.path("data.txt").open("w") as handle:
            for i in range(ctx.params.chunks):
                handle.write(f"chunk {i}\n")
                handle.flush()
                time.sleep(0.1)
            handle.write("complete\n")
        return StepResult(outputs={"data": "data.txt"})


@register
class Fanout(Step):
    """Square 0..n-1 through the run's executor."""

    name = "demo.fanout"
    outputs = {"squares": "squares.json"}

    class Params(StepParams):
        n: int = 8
        fail: bool = False

    def run(self, ctx: StepContext) -> StepResult:
        fn = square_or_fail if ctx.params.fail else square
        values = ctx.executor.map(fn, range(ctx.params.n), name="square")
        ctx.path("squares.json").write_text(json.dumps(values))
        return StepResult(outputs={"squares": "squares.json"}, metrics={"demo__fanout__sum": sum(values)})


@register
class Check(Step):
    """Report a given number of sign-off violations; optionally raise a user error."""

    name = "demo.check"
    outputs = {"report": "report.txt"}

    class Params(StepParams):
        violations: int = 0
        user_error: bool = False

    def run(self, ctx: StepContext) -> StepResult:
        if ctx.params.user_error:
            raise SpecError("rows must be a multiple of the local array size", hint="use rows=64")
        ctx.path("report.txt").write_text(f"{ctx.params.violations} violations\n")
        return StepResult(outputs={"report": "report.txt"}, violations=ctx.params.violations)


@register
class Maybe(Step):
    """Write an optional extra output when asked."""

    name = "demo.maybe"
    outputs = {"value": "value.json", "extra": "extra.json (only with extra: true)"}
    optional_outputs = frozenset({"extra"})

    class Params(StepParams):
        extra: bool = False

    def run(self, ctx: StepContext) -> StepResult:
        ctx.path("value.json").write_text(json.dumps({"value": 1}))
        outputs = {"value": "value.json"}
        if ctx.params.extra:
            ctx.path("extra.json").write_text(json.dumps({"value": 2}))
            outputs["extra"] = "extra.json"
        return StepResult(outputs=outputs)


@register
class Measure(Step):
    """Report one metric parsed from text (``"nan"`` gives a NaN measurement, as a broken solver would)."""

    name = "demo.measure"
    outputs = {"value": "value.json"}

    class Params(StepParams):
        metric: str = "demo__static__worst_drop_mv"
        text: str = "1.0"

    def run(self, ctx: StepContext) -> StepResult:
        value = float(ctx.params.text)
        ctx.path("value.json").write_text(json.dumps({"value": ctx.params.text}))
        return StepResult(outputs={"value": "value.json"}, metrics={ctx.params.metric: value})


@register
class FillDisk(Step):
    """Write into ``/dev/full`` (every write fails with ENOSPC): a disk that fills up mid-step."""

    name = "demo.fill_disk"
    outputs = {"data": "data.txt"}

    def run(self, ctx: StepContext) -> StepResult:
        ctx.path("data.txt").write_text("partial\n")
        with open("/dev/full", "w") as handle:  # noqa: PTH123 - the point is a failing device
            handle.write("x" * 65536)
            handle.flush()
        return StepResult(outputs={"data": "data.txt"})


@register
class NeedsPackage(Step):
    """Import a module by name when run: a step whose optional package is not installed."""

    name = "demo.needs_package"
    outputs = {"data": "data.txt"}

    class Params(StepParams):
        module: str = "eda_test_package_not_installed"

    def run(self, ctx: StepContext) -> StepResult:
        import importlib

        importlib.import_module(ctx.params.module)
        ctx.path("data.txt").write_text("imported\n")
        return StepResult(outputs={"data": "data.txt"})
