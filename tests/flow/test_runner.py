"""Runner: run directories, caching, --from/--to, violations and step errors."""

from __future__ import annotations

import json

from eda.flow.runner import run_flow
from eda.flow.schema import load_flow
from tests.flow.helpers import run_cli

CHAIN = """\
name: chain
plugins: [eda_test_steps]
steps:
  - id: src
    use: demo.source
    with: {value: 2}
  - id: other
    use: demo.source
    with: {value: 10}
  - id: add
    use: demo.add
    inputs: {a: src.value}
    with: {offset: 3}
  - id: final
    use: demo.add
    inputs: {a: add.value, b: other.value}
"""


def _value(result, step_id):
    record = result.record(step_id)
    return json.loads((record.directory / record.outputs["value"]).read_text())["value"]


def test_run_directory_layout(write_flow, tmp_path):
    result = run_flow(load_flow(write_flow(CHAIN)), runs_dir=tmp_path / "runs", progress=False)
    assert result.status == "ok" and result.exit_code == 0
    assert sorted(p.name for p in result.run_dir.iterdir() if p.is_dir()) == [
        "01-src",
        "02-other",
        "03-add",
        "04-final",
    ]
    step_dir = result.run_dir / "03-add"
    for name in ("params.json", "metrics.json", "outputs.json", "done.json", "step.log", "value.json"):
        assert (step_dir / name).is_file(), name
    assert json.loads((step_dir / "params.json").read_text())["params"] == {"offset": 3}
    assert _value(result, "final") == 2 + 3 + 10
    run_metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert run_metrics["steps"]["final"]["metrics"]["demo__add__value"] == 15
    assert (result.run_dir / "summary.md").read_text().count("| ran |") == 4
    assert not list(result.run_dir.glob(".*tmp"))


def test_second_run_reuses_every_step(write_flow, tmp_path):
    flow = load_flow(write_flow(CHAIN))
    first = run_flow(flow, runs_dir=tmp_path / "runs", progress=False)
    second = run_flow(flow, runs_dir=tmp_path / "runs", progress=False)
    assert second.run_dir != first.run_dir
    assert [r.status for r in second.steps] == ["reused"] * 4
    assert _value(second, "final") == 15


def test_changing_a_param_reruns_that_step_and_its_dependents_only(write_flow, tmp_path):
    path = write_flow(CHAIN)
    run_flow(load_flow(path), runs_dir=tmp_path / "runs", progress=False)
    changed = run_flow(load_flow(path, ["add.offset=4"]), runs_dir=tmp_path / "runs", progress=False)
    status = {r.id: r.status for r in changed.steps}
    assert status == {"src": "reused", "other": "reused", "add": "ran", "final": "ran"}
    assert _value(changed, "final") == 16


def test_from_forces_rerun_and_to_stops(write_flow, tmp_path):
    flow = load_flow(write_flow(CHAIN))
    run_flow(flow, runs_dir=tmp_path / "runs", progress=False)
    partial = run_flow(flow, runs_dir=tmp_path / "runs", to_step="add", progress=False)
    assert [r.id for r in partial.steps] == ["src", "add"]
    forced = run_flow(flow, runs_dir=tmp_path / "runs", from_step="add", progress=False)
    assert {r.id: r.status for r in forced.steps} == {
        "src": "reused",
        "other": "reused",
        "add": "ran",
        "final": "ran",
    }


def test_external_file_input_is_hashed(write_flow, tmp_path):
    data = tmp_path / "input.json"
    data.write_text(json.dumps({"value": 5}))
    text = "name: ext\nplugins: [eda_test_steps]\nsteps:\n  - id: add\n    use: demo.add\n    inputs: {a: input.json}\n"
    path = write_flow(text)
    first = run_flow(load_flow(path), runs_dir=tmp_path / "runs", progress=False)
    assert _value(first, "add") == 5
    data.write_text(json.dumps({"value": 6}))
    second = run_flow(load_flow(path), runs_dir=tmp_path / "runs", progress=False)
    assert second.steps[0].status == "ran" and _value(second, "add") == 6


def test_violations_exit_1_and_survive_reuse(write_flow, tmp_path):
    text = "name: so\nplugins: [eda_test_steps]\nsteps:\n  - id: check\n    use: demo.check\n    with: {violations: 2}\n"
    path = write_flow(text)
    code, output = run_cli("run", str(path), "--runs", str(tmp_path / "runs"), "--no-progress")
    assert code == 1 and "2 violation(s)" in output
    code, output = run_cli("run", str(path), "--runs", str(tmp_path / "runs"), "--no-progress")
    assert code == 1 and "reused" in output


def test_user_error_in_step_exits_2_naming_the_step(write_flow, tmp_path):
    text = "name: ue\nplugins: [eda_test_steps]\nsteps:\n  - id: check\n    use: demo.check\n    with: {user_error: true}\n"
    code, output = run_cli("run", str(write_flow(text)), "--runs", str(tmp_path / "runs"))
    assert code == 2
    assert (
        "step 'check' (demo.check)" in output
        and "local array size" in output
        and "hint: use rows=64" in output
    )
    assert "Traceback" not in output
    failed = list((tmp_path / "runs" / "ue").glob("*/01-check.failed"))
    assert failed and "SpecError" in (failed[0] / "step.log").read_text()


def test_cli_prints_outputs_and_steps_lists_parameters(write_flow, tmp_path):
    code, output = run_cli("run", str(write_flow(CHAIN)), "--runs", str(tmp_path / "runs"), "--no-progress")
    assert code == 0 and "final.value:" in output and "run directory:" in output
    code, output = run_cli("steps", "demo.add")
    assert code == 0 and "--offset: int = default 0" in output and "b?" in output


OPTIONAL = """\
name: opt
plugins: [eda_test_steps]
steps:
  - id: maybe
    use: demo.maybe
  - id: add
    use: demo.add
    inputs: {a: maybe.extra}
"""


def test_optional_output_missing_is_a_clear_error(write_flow, tmp_path):
    path = write_flow(OPTIONAL)
    code, output = run_cli("run", str(path), "--runs", str(tmp_path / "runs"), "--no-progress")
    assert code == 2 and "did not produce its optional output 'extra'" in output
    code, output = run_cli(
        "run", str(path), "--runs", str(tmp_path / "runs"), "--no-progress", "--set", "maybe.extra=true"
    )
    assert code == 0, output
