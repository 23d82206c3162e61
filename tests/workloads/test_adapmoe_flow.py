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
