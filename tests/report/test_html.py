"""The run report: self-contained HTML with the sections filled from real step outputs; renders in Chromium."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from eda.flow.runner import run_flow
from eda.flow.schema import load_flow

FLOW = """\
name: rep
plugins: [eda_test_steps]
steps:
  - id: src
    use: demo.source
    with: {value: 3}
  - id: check
    use: signoff.check
    with:
      limits:
        src: {metric: demo__source__value, value: 2, compare: "<="}
  - id: report
    use: report.html
    inputs: {pareto: pareto.csv, pareto_plot: plot.png, design: design.json, signoff: check.report}
"""


@pytest.fixture
def report_run(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "flow"))
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [3, 1, 2], "o")
    fig.savefig(tmp_path / "plot.png")
    plt.close(fig)
    (tmp_path / "pareto.csv").write_text("snr_db,tops_per_w\n20.5,120\n25.1,80\n")
    (tmp_path / "design.json").write_text(json.dumps({"rows": 64, "cols": 64, "local_array_size": 4}))
    (tmp_path / "flow.yaml").write_text(FLOW)
    return run_flow(load_flow(tmp_path / "flow.yaml"), runs_dir=tmp_path / "runs", progress=False)


def test_report_is_self_contained_with_every_section(report_run):
    record = report_run.record("report")
    page = (record.directory / "report.html").read_text()
    assert report_run.exit_code == 1  # the limit is violated, and the report still gets written
    for anchor in ("pareto", "design", "signoff", "metrics"):
        assert f'<section id="{anchor}">' in page
    assert "data:image/png;base64," in page and 'src="http' not in page and "<link" not in page
    png = base64.b64decode(page.split("data:image/png;base64,")[1].split('"')[0])
    assert png.startswith(b"\x89PNG")
    assert "FAIL — 1 violation(s)" in page and "demo__source__value" in page and "25.1" in page
    metrics = json.loads((record.directory / "report_metrics.json").read_text())
    assert metrics["src"]["demo__source__value"] == 3


@pytest.mark.chromium
def test_report_renders_in_headless_chromium(report_run, tmp_path):
    from eda.report.browser import rendered_dom, screenshot

    page = report_run.record("report").directory / "report.html"
    shot = screenshot(page, tmp_path / "shot.png", height=1600)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    dom = rendered_dom(page)
    for element in (
        'id="pareto-table"',
        'id="img-pareto_plot"',
        'id="signoff-verdict"',
        'id="metrics-table"',
        'id="design-table"',
    ):
        assert element in dom
