"""The AdapMoE flow end to end: generated routing trace -> workload -> ACIM mapping with current maps."""

from __future__ import annotations

import json

import numpy as np

from eda.data import repo_root


def test_adapmoe_flow_maps_expert_activity(tmp_path) -> None:
    from tests.flow.helpers import run_cli

    flow = repo_root() / "flows" / "workload-adapmoe.yaml"
    code, text = run_cli("run", str(flow), "--runs", str(tmp_path), "--set", "adapmoe.source=generator",
                         "--set", "adapmoe.tokens=400", "--set", "adapmoe.workload_tokens=6",
                         "--set", "map.slices=12")
    assert code == 0, text
    metrics = json.loads(next(tmp_path.rglob("metrics.json")).read_text())
    adapmoe = metrics["steps"]["adapmoe"]["metrics"]
    assert 0.2 < adapmoe["workload__adapmoe__activated_reduction"] < 0.3
    assert adapmoe["workload__adapmoe__speedup"] > 1.0
    currents = np.load(next(tmp_path.rglob("currents.npz")))
    maps = currents["currents_a"]
    assert maps.shape[0] == 12 and maps.sum() > 0
    share = maps / maps.sum(axis=(1, 2), keepdims=True)
    assert (share.max(0) - share.min(0)).max() > 0  # which experts draw current changes over time


def test_adapmoe_cli_writes_workload_and_rejects_bad_source(tmp_path) -> None:
    from eda.workloads.workload import Workload
    from tests.flow.helpers import run_cli

    out = tmp_path / "moe.yaml"
    code, text = run_cli("workload", "adapmoe", "--out", str(out), "--report", str(tmp_path / "r.json"))
    assert code == 0, text
    assert "workload__adapmoe__speedup" in text
    work = Workload.load(out)
    assert work.meta["method"] == "adapmoe" and len(work.trace) == 16
    assert json.loads((tmp_path / "r.json").read_text())["ladder"]["lru"]["activated_experts_per_token"] == 16.0
    code, text = run_cli("workload", "adapmoe", "--source", "bogus")
    assert code == 2 and "generator" in text


def test_out_of_range_parameter_is_a_usage_error(tmp_path) -> None:
    from tests.flow.helpers import run_cli

    flow = repo_root() / "flows" / "workload-adapmoe.yaml"
    code, text = run_cli("run", str(flow), "--runs", str(tmp_path), "--set", "adapmoe.reduction=0.9")
    assert code == 2
    assert "reduction" in text
