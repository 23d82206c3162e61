"""Fixtures for flow-engine tests: the test plugin on sys.path and PYTHONPATH (for spawned workers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def plugin_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    import eda_test_steps  # noqa: F401 - registers the demo steps

    return HERE


@pytest.fixture
def write_flow(tmp_path: Path):
    def _write(text: str, name: str = "flow.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write
