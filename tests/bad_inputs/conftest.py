"""The malformed-input corpus runs flows with the flow tests' demo steps (``plugins: [eda_test_steps]``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FLOW_TESTS = Path(__file__).resolve().parent.parent / "flow"


@pytest.fixture(autouse=True)
def demo_steps(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(FLOW_TESTS))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FLOW_TESTS), os.environ.get("PYTHONPATH", "")]))
    import eda_test_steps  # noqa: F401 - registers the demo steps

    return FLOW_TESTS
