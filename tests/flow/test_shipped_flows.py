"""Every shipped flow (eda/share/flows) validates (steps exist, params type-check, references resolve)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eda.cli import flows_dir
from eda.flow.schema import load_flow
from tests.flow.helpers import run_cli

FLOWS = sorted(flows_dir().glob("*.yaml"))


def test_flows_directory_is_shipped():
    assert Path(flows_dir(), "quickstart.yaml") in FLOWS


@pytest.mark.parametrize("path", FLOWS, ids=[p.stem for p in FLOWS])
def test_shipped_flow_validates(path):
    flow = load_flow(path)
    assert flow.description, f"{path.name} needs a description (shown by `eda flows`)"
    assert flow.steps


def test_eda_flows_lists_them_with_descriptions():
    code, output = run_cli("flows")
    assert code == 0
    listed = {
        line.split()[0] for line in output.splitlines() if line and not line[0].isspace() and line[0] != "("
    }
    assert listed == {path.stem for path in FLOWS}
