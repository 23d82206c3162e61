"""Sign-off limits: every violation collected, malformed limit files exit 2 naming the key."""

from __future__ import annotations

import json

import pytest

from eda.errors import UserError
from eda.signoff.check import evaluate_limits, load_limits, parse_limits
from tests.flow.helpers import run_cli

LIMITS = """\
limits:
  worst_static_drop_mv: {value: 25, compare: "<="}
  drc_violations: {value: 0, compare: "=="}
  lvs_match: {value: true, compare: "=="}
  snr: {metric: acim__model__snr_db, value: 20, compare: ">="}
"""


def test_every_violation_is_collected():
    limits = parse_limits(LIMITS)
    measured = {
        "pdn__static__worst_drop_mv": 31.0,
        "signoff__drc__violations": 2,
        "signoff__lvs__match": True,
        "acim__model__snr_db": 24.0,
    }
    results = {r.name: r for r in evaluate_limits(limits, measured)}
    assert results["worst_static_drop_mv"].status == "fail"
    assert results["worst_static_drop_mv"].metric == "pdn__static__worst_drop_mv"
    assert results["drc_violations"].status == "fail"
    assert results["lvs_match"].status == "pass"
    assert results["snr"].status == "pass"


def test_boundary_and_missing_metric():
    limits = parse_limits(
        {
            "limits": {
                "worst_static_drop_mv": {"value": 25, "compare": "<="},
                "lvs_match": {"value": True, "compare": "=="},
            }
        }
    )
    results = {r.name: r for r in evaluate_limits(limits, {"static__worst_drop_mv": 25.0})}
    assert results["worst_static_drop_mv"].status == "pass"  # <= is inclusive
    assert results["lvs_match"].status == "missing" and not results["lvs_match"].passed


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("limits:\n  worst_static_drop_mv: {value: 25, comapre: '<='}\n", "unknown key 'comapre'"),
        ("limits:\n  worst_static_drop_mv: {value: 25, compare: '=<'}\n", "compare"),
        ("limits:\n  worst_statc_drop_mv: {value: 25}\n", "did you mean 'worst_static_drop_mv'"),
        ("limits:\n  worst_static_drop_mv: {value: lots}\n", "value"),
        ("limts: {}\n", "unknown key 'limts'"),
    ],
)
def test_malformed_limits_name_the_key(tmp_path, text, fragment):
    path = tmp_path / "signoff.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as info:
        load_limits(path)
    assert fragment in str(info.value)
    assert f"{path}:" in str(info.value)


FLOW = """\
name: so
plugins: [eda_test_steps]
steps:
  - id: src
    use: demo.source
    with: {value: 7}
  - id: check
    use: signoff.check
    inputs: {limits: signoff.yaml}
"""


@pytest.fixture
def plugin(monkeypatch):
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "flow"))


def test_flow_exits_1_listing_violations_and_2_on_malformed_file(tmp_path, plugin):
    (tmp_path / "flow.yaml").write_text(FLOW)
    (tmp_path / "signoff.yaml").write_text(
        "limits:\n  src_value: {metric: demo__source__value, value: 5, compare: '<='}\n"
        "  lvs_match: {value: true, compare: '=='}\n"
    )
    code, output = run_cli(
        "run", str(tmp_path / "flow.yaml"), "--runs", str(tmp_path / "runs"), "--no-progress"
    )
    assert code == 1 and "2 violation(s)" in output
    report = json.loads(next((tmp_path / "runs" / "so").glob("*/02-check/signoff.json")).read_text())
    assert report["violations"] == 2
    assert {c["name"]: c["status"] for c in report["checks"]} == {"src_value": "fail", "lvs_match": "missing"}
    # relaxing the limit re-runs only the check and passes... except LVS, still missing
    (tmp_path / "signoff.yaml").write_text("limits:\n  src_value: {metric: demo__source__value, value: 8}\n")
    code, output = run_cli(
        "run", str(tmp_path / "flow.yaml"), "--runs", str(tmp_path / "runs"), "--no-progress"
    )
    assert code == 0, output
    (tmp_path / "signoff.yaml").write_text("limits:\n  src_value: {metric: demo__source__value, valeu: 8}\n")
    code, output = run_cli(
        "run", str(tmp_path / "flow.yaml"), "--runs", str(tmp_path / "runs"), "--no-progress"
    )
    assert code == 2 and "valeu" in output and "signoff.yaml:2" in output


def test_cli_check_reads_a_run_metrics_file(tmp_path):
    (tmp_path / "metrics.json").write_text(
        json.dumps({"steps": {"solve": {"metrics": {"pdn__static__worst_drop_mv": 12.5}}}})
    )
    (tmp_path / "signoff.yaml").write_text("limits:\n  worst_static_drop_mv: {value: 10}\n")
    code, output = run_cli(
        "signoff",
        "check",
        str(tmp_path / "metrics.json"),
        "--limits",
        str(tmp_path / "signoff.yaml"),
        "--out",
        str(tmp_path / "so"),
    )
    assert code == 1 and "FAIL" in output and "12.5" in output
    (tmp_path / "signoff.yaml").write_text("limits:\n  worst_static_drop_mv: {value: 15}\n")
    code, output = run_cli(
        "signoff",
        "check",
        str(tmp_path / "metrics.json"),
        "--limits",
        str(tmp_path / "signoff.yaml"),
        "--out",
        str(tmp_path / "so"),
    )
    assert code == 0 and "PASS" in output


def test_every_measurement_counts_and_step_restricts():
    measured = {
        "static.pdn__static__worst_drop_mv": 3.4,
        "dynamic.pdn__static__worst_drop_mv": 0.0,
        "other.pdn__static__worst_drop_mv": 9.0,
    }
    limits = parse_limits({"limits": {"worst_static_drop_mv": {"value": 5.0}}})
    (result,) = evaluate_limits(limits, measured)
    assert result.status == "fail" and result.measured == 9.0 and result.metric.startswith("other.")
    limits = parse_limits({"limits": {"worst_static_drop_mv": {"value": 5.0, "step": "static"}}})
    (result,) = evaluate_limits(limits, measured)
    assert result.status == "pass" and result.measured == 3.4
    snr = parse_limits({"limits": {"snr": {"metric": "snr_db", "value": 20, "compare": ">="}}})
    (result,) = evaluate_limits(snr, {"a.x__snr_db": 25.0, "b.x__snr_db": 18.0})
    assert result.status == "fail" and result.measured == 18.0  # the smallest decides a lower bound
