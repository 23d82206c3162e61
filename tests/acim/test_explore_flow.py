"""`eda acim explore` and the `acim.explore` step through the flow runner."""

from __future__ import annotations

import json

from eda.acim.spec import ACIMSpec
from eda.flow.runner import run_flow
from eda.flow.schema import load_flow


def _cli(*args: str) -> tuple[int, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from eda.cli import main

    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main(list(args))
    return code, out.getvalue()


def test_cli_explore_writes_pareto_best_and_metrics(tmp_path) -> None:
    code, text = _cli(
        "acim",
        "explore",
        "--rows",
        "32",
        "--cols",
        "32",
        "--min-snr",
        "15",
        "--generations",
        "8",
        "--population",
        "20",
        "--out",
        str(tmp_path),
    )
    assert code == 0, text
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    best = json.loads((tmp_path / "best_point.json").read_text())
    assert best["snr_total_db"] >= 15.0
    assert metrics["acim__best__tops_per_w"] == best["tops_per_w"]
    assert ACIMSpec.from_json(tmp_path / "best.json").rows == 32
    assert (tmp_path / "pareto.csv").read_text().startswith("pareto_index,")


def test_cli_rejects_an_impossible_snr_target(tmp_path) -> None:
    code, text = _cli(
        "acim",
        "explore",
        "--rows",
        "16",
        "--cols",
        "16",
        "--min-snr",
        "130",
        "--generations",
        "3",
        "--population",
        "8",
        "--out",
        str(tmp_path),
    )
    assert code == 2
    assert "no feasible design point" in text or "SNR" in text


def test_explore_step_in_a_flow(tmp_path) -> None:
    flow = tmp_path / "explore.yaml"
    flow.write_text(
        "name: explore-only\nsteps:\n  - id: explore\n    use: acim.explore\n"
        "    with: {rows: 16, cols: 16, population: 16, generations: 6, reference: true,"
        " local_array_size: [1, 2, 4], clock_MHz: [250.0, 500.0]}\n"
    )
    result = run_flow(load_flow(flow), runs_dir=tmp_path / "runs", progress=False)
    assert result.status == "ok"
    record = result.record("explore")
    metrics = json.loads((record.directory / "metrics.json").read_text())
    assert 0.0 < metrics["acim__explore__hypervolume_ratio"] <= 1.0 + 1e-9
    assert (record.directory / "plots" / "hypervolume.png").exists()
    spec = json.loads((record.directory / record.outputs["best"]).read_text())
    assert spec["local_array_size"] in (1, 2, 4)
