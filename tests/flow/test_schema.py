"""Flow validation: every mistake exits 2 with a message naming the problem and its place."""

from __future__ import annotations

import pytest

from eda.errors import FlowError
from eda.flow.schema import load_flow
from tests.flow.helpers import run_cli

GOOD = """\
name: demo
description: two steps
plugins: [eda_test_steps]
steps:
  - id: src
    use: demo.source
    with: {value: 2, label: no}
  - id: add
    use: demo.add
    inputs: {a: src.value}
    with:
      offset: 3
"""


def test_valid_flow_resolves_in_dependency_order(write_flow):
    flow = load_flow(write_flow(GOOD))
    assert [s.id for s in flow.steps] == ["src", "add"]
    assert flow.step("add").inputs["a"].step == "src"
    assert flow.step("add").params.offset == 3


def test_no_stays_a_string_not_a_boolean(write_flow):
    flow = load_flow(write_flow(GOOD))
    assert flow.step("src").params.label == "no"


def test_set_override_parses_like_yaml(write_flow):
    flow = load_flow(write_flow(GOOD), ["add.offset=7", "src.label=off"])
    assert flow.step("add").params.offset == 7
    assert flow.step("src").params.label == "off"


BROKEN = {
    "unknown top-level key": (
        GOOD.replace("description:", "descripton:"),
        ["unknown key 'descripton'", "flow.yaml:2", "did you mean 'description'"],
    ),
    "unknown step key": (
        GOOD.replace("    with: {value", "    wiht: {value"),
        ["unknown key 'wiht'", "flow.yaml:7", "did you mean 'with'"],
    ),
    "unknown parameter": (
        GOOD.replace("offset: 3", "ofset: 3"),
        ["unknown parameter 'ofset'", "flow.yaml:12", "did you mean 'offset'"],
    ),
    "wrong type": (GOOD.replace("offset: 3", "offset: lots"), ["offset", "valid integer", "flow.yaml:12"]),
    "bad reference": (
        GOOD.replace("a: src.value", "a: srcc.value"),
        ["'srcc.value'", "flow.yaml:10", "did you mean 'src.value'"],
    ),
    "missing output": (
        GOOD.replace("a: src.value", "a: src.valeu"),
        ["no output 'valeu'", "did you mean 'value'"],
    ),
    "unknown input": (
        GOOD.replace("a: src.value", "x: src.value"),
        ["no input 'x'", "inputs of demo.add: a, b"],
    ),
    "unknown step name": (
        GOOD.replace("use: demo.add", "use: demo.ad"),
        ["unknown step 'demo.ad'", "flow.yaml:9", "did you mean 'demo.add'"],
    ),
    "yaml syntax error": (
        GOOD.replace("  - id: add", "  - id: add\n   bad: [unclosed"),
        ["YAML syntax error", "flow.yaml:"],
    ),
    "duplicate id": (GOOD.replace("id: add", "id: src"), ["duplicate step id 'src'", "flow.yaml:8"]),
    "missing required input": (GOOD.replace("    inputs: {a: src.value}\n", ""), ["needs input(s) a"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_flow_exits_2_naming_the_problem(write_flow, tmp_path, case):
    text, expected = BROKEN[case]
    code, output = run_cli("run", str(write_flow(text)), "--runs", str(tmp_path / "runs"))
    assert code == 2, output
    for fragment in expected:
        assert fragment in output, (fragment, output)
    assert "Traceback" not in output


def test_cycle_is_detected_before_running(write_flow, tmp_path):
    text = """\
name: cyc
plugins: [eda_test_steps]
steps:
  - id: a
    use: demo.add
    inputs: {a: b.value}
  - id: b
    use: demo.add
    inputs: {a: a.value}
"""
    code, output = run_cli("run", str(write_flow(text)), "--runs", str(tmp_path / "runs"))
    assert code == 2
    assert "dependency cycle" in output and "a -> b -> a" in output
    assert not (tmp_path / "runs").exists()


def test_bad_override_names_the_step(write_flow):
    with pytest.raises(FlowError, match="(?s)no step 'ad'.*did you mean 'add'"):
        load_flow(write_flow(GOOD), ["ad.offset=1"])
    with pytest.raises(FlowError, match="STEP.KEY=VALUE"):
        load_flow(write_flow(GOOD), ["offset=1"])


def test_missing_flow_file_exits_2(tmp_path):
    code, output = run_cli("run", str(tmp_path / "nope.yaml"))
    assert code == 2 and "not found" in output
