"""The end-to-end flow (what `make demo` runs: all-MiniLM-L6-v2 on an ACIM macro): report filled from real results, identical metrics on Dask,
resume after a kill, sign-off exit codes. The flow runs twice: once locally, once on Dask killed half-way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eda.cli import flows_dir
from eda.flow.runner import run_flow
from eda.flow.schema import load_flow
from tests.flow.helpers import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.klayout]

FLOW = flows_dir() / "minilm-on-acim.yaml"
#: metrics that measure time or the machine, not the design
_TIMING = ("seconds", "_s", "parse_s", "solve_s", "backend", "runtime", "ms_per", "step_s")


def _copy_flow(tmp: Path) -> Path:
    """The shipped flow next to a copy of its limits file (the flow refers to ../designs/)."""
    (tmp / "flows").mkdir(parents=True, exist_ok=True)
    (tmp / "designs").mkdir(exist_ok=True)
    shutil.copy(FLOW, tmp / "flows" / FLOW.name)
    shutil.copy(flows_dir().parent / "designs" / "signoff-acim.yaml", tmp / "designs" / "signoff-acim.yaml")
    return tmp / "flows" / FLOW.name


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    flow = _copy_flow(tmp)
    return tmp, flow, run_flow(load_flow(flow), runs_dir=tmp / "runs", progress=False)


def _design_metrics(result) -> dict[str, object]:
    return {
        f"{r.id}.{k}": v
        for r in result.steps
        for k, v in r.metrics.items()
        if not any(k.endswith(t) or t in k for t in _TIMING)
    }


def test_report_sections_filled_from_real_results(local_run):
    _, _, result = local_run
    assert result.exit_code == 0, [r.id for r in result.steps if r.violations]
    page = (result.record("report").directory / "report.html").read_text()
    for anchor in ("pareto", "design", "workload", "layout", "irdrop", "signoff", "metrics"):
        assert f'<section id="{anchor}">' in page, anchor
    for image in ("img-pareto_plot", "img-layout", "img-golden_map", "img-dynamic_map"):
        assert f'id="{image}"' in page, image
    assert "PASS" in page
    signoff = json.loads((result.record("signoff").directory / "signoff.json").read_text())
    assert {c["status"] for c in signoff["checks"]} == {"pass"} and len(signoff["checks"]) >= 6
    pdn = result.record("pdn").metrics
    assert pdn["macro__pdn__conservation_error"] < 1e-6
    # the macro's cell currents follow the activity measured on the real network, not the models' default ½
    segments = json.loads((result.record("pdn").directory / "macro_pdn.json").read_text())["power"][
        "segments"
    ]
    scales = {round(s["data_scale"], 9) for s in segments}
    assert len(scales) > 1 and 1.0 not in scales
    static = result.record("static").metrics
    assert (
        0
        < static["pdn__static__worst_drop_mv"]
        < result.record("dynamic").metrics["pdn__dynamic__worst_drop_mv"]
    )


def test_macro_prediction_is_the_networks_and_close_to_the_golden_map(local_run):
    """`irdrop.predict` with the macro checkpoint: inside its training distribution, the network's own map
    (no rail fallback), within 5 % of the golden worst drop on average and shaped like it. (Its hot-spot
    F1 on this macro, 0.64, is below the 0.7 target: docs/results/irdrop.md.)"""
    _, _, result = local_run
    predict = result.record("predict").metrics
    assert predict["irdrop__predict__in_distribution"] is True
    assert predict["irdrop__predict__from_model"] is True
    scores = result.record("irdrop").metrics
    assert scores["macro__predict__nmae"] <= 0.05
    assert scores["macro__predict__correlation"] >= 0.9
    assert scores["macro__predict__f1"] > 0  # the predicted hot spot overlaps the golden one


def test_dynamic_prediction_is_the_networks_and_close_to_the_golden_transient(local_run):
    """`irdrop.predict` with the dynamic macro checkpoint on the window's peak and time-slice maps: the
    network's own map of the worst drop over time, within 10 % of the golden transient's worst drop on
    average (twice the held-out designs' mean target, for one design) and shaped like it."""
    _, _, result = local_run
    predict = result.record("predict_dynamic").metrics
    assert predict["irdrop__predict__from_model"] is True
    scores = result.record("irdrop").metrics
    assert scores["macro__predict_dynamic__nmae"] <= 0.10
    assert scores["macro__predict_dynamic__correlation"] >= 0.8
    golden = result.record("dynamic").metrics
    assert golden["pdn__dynamic__step_converged"]  # the golden's step agrees within 0.5 % with half of it


def test_signoff_violation_exits_1_and_malformed_limits_exit_2(local_run):
    tmp, flow, _ = local_run
    limits = tmp / "designs" / "signoff-acim.yaml"
    original = limits.read_text()
    try:
        limits.write_text(
            original.replace(
                "worst_static_drop_mv:        {value: 18.0", "worst_static_drop_mv:        {value: 0.001"
            )
        )
        code, output = run_cli("run", str(flow), "--runs", str(tmp / "runs"), "--no-progress")
        assert code == 1 and "1 violation(s)" in output
        assert "reused" in output  # only the sign-off and the report ran again
        limits.write_text(original.replace("{value: 18.0, compare:", "{value: 18.0, comprae:"))
        code, output = run_cli("run", str(flow), "--runs", str(tmp / "runs"), "--no-progress")
        assert code == 2 and "comprae" in output and "signoff-acim.yaml:" in output
    finally:
        limits.write_text(original)


@pytest.mark.distributed
def test_dask_run_killed_mid_flow_resumes_and_matches_local(local_run, tmp_path):
    """On a Dask LocalCluster: kill -9 after the layout step, run again: nothing completed is redone, and
    every design metric equals the local run's."""
    _, _, local = local_run
    flow = _copy_flow(tmp_path)
    runs = tmp_path / "runs"
    cmd = [
        sys.executable,
        "-m",
        "eda.cli",
        "run",
        str(flow),
        "--runs",
        str(runs),
        "--no-progress",
        "--executor",
        "dask",
    ]
    # a session of its own, so the kill takes the Dask cluster's worker processes too
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
        start_new_session=True,
    )
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None:
        if list(runs.glob("minilm-on-acim/*/05-generate/done.json")):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the flow finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = next(p for p in (runs / "minilm-on-acim").iterdir() if p.is_dir() and not p.name.startswith("."))
    completed = sorted(p.name for p in killed.iterdir() if (p / "done.json").is_file())
    assert "04-explore" in completed and "05-generate" in completed
    resumed = run_flow(load_flow(flow), runs_dir=runs, executor="dask", progress=False)
    status = {r.id: r.status for r in resumed.steps}
    for name in completed:
        assert status[name.split("-", 1)[1]] == "reused", (name, status)
    assert resumed.exit_code == 0
    a, b = _design_metrics(local), _design_metrics(resumed)
    assert a.keys() == b.keys()
    for key in a:
        if (
            "he_bytes" in key
        ):  # serialised fresh (random) ciphertexts: SEAL's zstd size varies by a few hundred B
            assert b[key] == pytest.approx(a[key], rel=1e-3), key
        elif isinstance(a[key], float):
            assert b[key] == pytest.approx(a[key], rel=1e-9, abs=1e-12), key
        else:
            assert a[key] == b[key], key
