"""The ``report.html`` step: one self-contained page with the run's plots, design, sign-off and metrics."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.report.html import Report, image_html, table_html

__all__ = ["HtmlReport"]

#: input name -> (section title, anchor, caption) for the images the report can show
_IMAGES = {
    "pareto_plot": ("Design-space exploration", "pareto", "Pareto front"),
    "layout": ("Layout", "layout", "Generated layout"),
    "golden_map": ("IR drop", "irdrop", "Golden IR drop"),
    "dynamic_map": ("IR drop", "irdrop", "Golden dynamic IR drop (worst over time)"),
    "predicted_map": ("IR drop", "irdrop", "Predicted IR drop"),
}


def _number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text else value


def _csv_rows(path: Path, limit: int) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [
            {k: _number(v) for k, v in row.items()}
            for _, row in zip(range(limit), csv.DictReader(handle), strict=False)
        ]


@register
class HtmlReport(Step):
    """Write a self-contained HTML report of the run (plots, design, layout, IR drop, sign-off, metrics)."""

    name = "report.html"
    version = "3"
    inputs = {
        "pareto": "Pareto set (CSV)",
        "pareto_plot": "Pareto plot (PNG, or a directory of PNGs)",
        "design": "chosen design (JSON)",
        "layout": "layout render (PNG)",
        "golden_map": "golden IR-drop heat map (PNG)",
        "dynamic_map": "dynamic IR-drop heat map (PNG)",
        "predicted_map": "predicted IR-drop heat map (PNG)",
        "signoff": "sign-off report (signoff.json)",
        "layers": "per-layer workload table (CSV, e.g. layers.csv of workload.map)",
    }
    optional_inputs = frozenset(inputs)
    outputs = {"html": "report.html", "metrics": "report_metrics.json"}
    reads_run_metrics = True

    class Params(StepParams):
        title: str = Field(default="eda run report", max_length=200, description="page title")
        pareto_rows: int = Field(default=20, ge=0, le=10_000, description="rows of the Pareto table shown")

    def run(self, ctx: StepContext) -> StepResult:
        report = Report(ctx.params.title, subtitle=f"{len(ctx.run_metrics)} steps before this report")
        images: dict[str, list[str]] = {}
        anchors: dict[str, str] = {}
        pareto = ctx.optional_input("pareto")
        if pareto is not None:
            images.setdefault("Design-space exploration", []).append(
                table_html(_csv_rows(pareto, ctx.params.pareto_rows), table_id="pareto-table")
            )
            anchors["Design-space exploration"] = "pareto"
        for name, (title, anchor, caption) in _IMAGES.items():
            path = ctx.optional_input(name)
            if path is None:
                continue
            pngs = sorted(path.glob("*.png")) if path.is_dir() else [path]
            for k, png in enumerate(pngs):
                label = f"{caption}: {png.stem.replace('_', ' ')}" if path.is_dir() else caption
                ident = f"img-{name}" if k == 0 else f"img-{name}-{k}"
                images.setdefault(title, []).append(image_html(png, label, image_id=ident))
            anchors[title] = anchor
        design = ctx.optional_input("design")
        order = [
            "Design-space exploration",
            "Chosen design",
            "Workload",
            "Layout",
            "IR drop",
            "Sign-off",
            "Metrics",
        ]
        bodies: dict[str, str] = {t: "".join(parts) for t, parts in images.items()}
        if design is not None:
            data = json.loads(design.read_text())
            rows = [{"parameter": k, "value": v} for k, v in data.items() if not isinstance(v, dict | list)]
            bodies["Chosen design"] = table_html(rows, table_id="design-table")
            anchors["Chosen design"] = "design"
        layers = ctx.optional_input("layers")
        if layers is not None:
            bodies["Workload"] = table_html(_csv_rows(layers, 10_000), table_id="layers-table")
            anchors["Workload"] = "workload"
        signoff = ctx.optional_input("signoff")
        if signoff is not None:
            data = json.loads(signoff.read_text())
            verdict = "PASS" if data.get("passed") else f"FAIL — {data.get('violations')} violation(s)"
            css = "pass" if data.get("passed") else "fail"
            rows = [
                {
                    "check": c["description"],
                    "metric": c["metric"],
                    "measured": c["measured"],
                    "limit": f"{c['compare']} {c['limit']}",
                    "status": c["status"].upper(),
                }
                for c in data["checks"]
            ]
            bodies["Sign-off"] = f'<p id="signoff-verdict" class="{css}">{verdict}</p>' + table_html(
                rows, table_id="signoff-table"
            )
            anchors["Sign-off"] = "signoff"
        flat = [
            {"step": step, "metric": k, "value": v}
            for step, metrics in ctx.run_metrics.items()
            for k, v in metrics.items()
        ]
        bodies["Metrics"] = table_html(flat, table_id="metrics-table")
        anchors["Metrics"] = "metrics"
        for title in order:
            if title in bodies:
                report.add(title, anchors[title], bodies[title])
        report.write(ctx.path("report.html"), metrics=ctx.run_metrics)
        return StepResult(
            outputs={"html": "report.html", "metrics": "report_metrics.json"},
            metrics={"report__html__sections": len(report.sections)},
        )
