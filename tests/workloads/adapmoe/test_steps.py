"""The AdapMoE flow end to end: a top-2 MoE trained here -> gating threshold from a held-out loss budget ->
workload -> ACIM mapping with current maps; and the method's claim on the trained model (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eda.shipped import flows_dir


def test_adapmoe_flow_maps_expert_activity(tmp_path) -> None:
    from eda.workloads.workload import Workload
    from tests.flow.helpers import run_cli

    flow = flows_dir() / "workload-adapmoe.yaml"
    code, text = run_cli(
        "run",
        str(flow),
        "--runs",
        str(tmp_path),
        "--set",
        "adapmoe.tokens=1024",
        "--set",
        "adapmoe.train_steps=100",
        "--set",
        "adapmoe.workload_tokens=6",
        "--set",
        "map.slices=12",
    )
    assert code == 0, text
    metrics = json.loads(next(tmp_path.rglob("metrics.json")).read_text())["steps"]["adapmoe"]["metrics"]
    report = json.loads(next(tmp_path.rglob("adapmoe.json")).read_text())
    assert report["threshold_from"].startswith("quality budget")
    assert report["timing"]["source"].startswith("measured")
    # the threshold keeps the calibration text's loss increase within the flow's budget
    assert report["calibration_loss_increase_nats"] <= 0.005 + 1e-12
    # the workload's trace runs exactly the experts the gating decision keeps: 2 per layer minus the dropped
    work = Workload.load(next(tmp_path.rglob("workload.yaml")))
    ups = sum(1 for phase in work.trace for name in phase.layers if name.endswith(".up"))
    assert ups / len(work.trace) == pytest.approx(work.meta["activated_experts_per_token"])
    assert ups < 2 * 4 * len(work.trace) or report["threshold"] == 0.0
    assert metrics["workload__adapmoe__load_to_expert_ratio"] > 1.0  # a cold read costs more than a matvec
    currents = np.load(next(tmp_path.rglob("currents.npz")))
    maps = currents["currents_a"]
    assert maps.shape[0] == 12 and maps.sum() > 0
    share = maps / maps.sum(axis=(1, 2), keepdims=True)
    assert (share.max(0) - share.min(0)).max() > 0  # which experts draw current changes over time


@pytest.mark.slow
def test_sensitivity_gating_beats_dropping_at_random() -> None:
    """AdapMoE's claim on the trained MoE: dropping second experts where H_l w2² is small costs less held-out
    loss than dropping as many at random, and saves experts (text not used to choose the threshold)."""
    from eda.workloads.adapmoe.steps import AdapMoEParams, run_adapmoe

    _, report, metrics = run_adapmoe(AdapMoEParams(source="trained", layers=4, tokens=8192))
    assert metrics["workload__adapmoe__activated_reduction"] > 0.05
    assert report["loss_adaptive_nats"] - report["loss_top2_nats"] < 0.5 * (
        report["loss_random_drop_nats"] - report["loss_top2_nats"]
    )


def test_adapmoe_cli_writes_workload_and_rejects_bad_source(tmp_path) -> None:
    from eda.workloads.workload import Workload
    from tests.flow.helpers import run_cli

    out = tmp_path / "moe.yaml"
    code, text = run_cli("workload", "adapmoe", "--out", str(out), "--report", str(tmp_path / "r.json"))
    assert code == 0, text
    assert "workload__adapmoe__speedup" in text
    work = Workload.load(out)
    assert work.meta["method"] == "adapmoe" and len(work.trace) == 16
    assert (
        json.loads((tmp_path / "r.json").read_text())["ladder"]["lru"]["activated_experts_per_token"] == 16.0
    )
    code, text = run_cli("workload", "adapmoe", "--source", "bogus")
    assert code == 2 and "generator" in text


def test_out_of_range_parameter_is_a_usage_error(tmp_path) -> None:
    from tests.flow.helpers import run_cli

    flow = flows_dir() / "workload-adapmoe.yaml"
    code, text = run_cli("run", str(flow), "--runs", str(tmp_path), "--set", "adapmoe.reduction=0.9")
    assert code == 2
    assert "reduction" in text
