"""The ``signoff.check`` step: evaluate sign-off limits against everything the run measured."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.signoff.check import evaluate_limits, load_limits, parse_limits, read_metrics_file, write_report

__all__ = ["SignoffCheck", "flatten_metrics"]


def flatten_metrics(data: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested JSON into ``a__b__c`` keys (numbers and booleans only)."""
    flat: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(flatten_metrics(value, f"{prefix}__{key}" if prefix else str(key)))
    elif isinstance(data, bool | int | float) and prefix:
        flat[prefix] = data
    return flat


@register
class SignoffCheck(Step):
    """Check sign-off limits (IR drop, DRC, LVS, current density) against the run's metrics; exit 1 on failure."""

    name = "signoff.check"
    version = "2"
    inputs = {
        "limits": "signoff.yaml with {value, compare} limits",
        "evidence": "an extra JSON file of measured values (flattened to a__b keys)",
    }
    optional_inputs = frozenset({"limits", "evidence"})
    outputs = {"report": "signoff.json", "summary": "signoff.md"}
    reads_run_metrics = True

    class Params(StepParams):
        limits: dict[str, Any] | None = Field(default=None, description="inline limits (instead of a file)")

    def run(self, ctx: StepContext) -> StepResult:
        path = ctx.optional_input("limits")
        if path is not None:
            limits = load_limits(path)
        else:
            limits = parse_limits({"limits": ctx.params.limits or {}}, source=f"step '{ctx.step_id}' limits")
        measured: dict[str, Any] = {}
        for step_id, metrics in ctx.run_metrics.items():
            measured.update({f"{step_id}.{key}": value for key, value in metrics.items()})
        evidence = ctx.optional_input("evidence")
        if evidence is not None:
            measured.update(flatten_metrics(read_metrics_file(evidence)))
        results = evaluate_limits(limits, measured)
        write_report(results, ctx.workdir)
        failures = [r for r in results if not r.passed]
        for r in results:
            ctx.log.info(
                "%-5s %s: measured %s, limit %s %s%s",
                r.status.upper(),
                r.name,
                r.measured,
                r.compare,
                r.limit,
                f" ({r.note})" if r.note else "",
            )
        return StepResult(
            outputs={"report": "signoff.json", "summary": "signoff.md"},
            metrics={"signoff__check__violations": len(failures), "signoff__check__checks": len(results)},
            violations=len(failures),
        )
