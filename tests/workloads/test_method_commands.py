"""``eda workload <method>`` for the methods run as a one-step flow (``--set KEY=VALUE`` parameters)."""

from __future__ import annotations

import json
import re

from eda.workloads.workload import Workload
from tests.flow.helpers import run_cli


def test_privquant_command_meets_its_budget_and_writes_workload_and_report(tmp_path):
    out, report = tmp_path / "pq.json", tmp_path / "pq_report.json"
    code, text = run_cli(
        "workload",
        "privquant",
        "--out",
        str(out),
        "--report",
        str(report),
        "--set",
        "budget_fraction=0.6",
        "--set",
        "seed=0",
    )
    assert code == 0, text
    work = Workload.load(out)
    assert len(work.layers) == 4  # the digits CNN: conv, conv, fc, fc
    assert json.loads(report.read_text())
    # communication within 60 % of uniform 8-bit: a reduction of at least 1 / 0.6
    reduction = float(re.search(r"comm_reduction_vs_uniform8\s+([0-9.]+)", text).group(1))
    assert reduction >= 1 / 0.6 * (1 - 1e-3)


def test_bad_parameters_are_usage_errors_before_any_work(tmp_path):
    out = tmp_path / "w.yaml"
    for args, fragment in (
        (["--set", "nonsense=1"], "unknown parameter 'nonsense' of workload.hequant"),
        (["--set", "budget_fraction=7"], "less than or equal to 1"),
        (["--set", "budget_fraction"], "bad --set 'budget_fraction'"),
        (["--set", "other.seed=1"], "bad --set 'other.seed=1'"),
    ):
        code, text = run_cli("workload", "hequant", "--out", str(out), *args)
        assert code == 2 and fragment in text and "Traceback" not in text, (args, text)
        assert "--set" in text and "flow.yaml" not in text
    assert not out.exists()
