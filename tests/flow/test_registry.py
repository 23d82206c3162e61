"""Built-in steps are registered through the ``eda.steps`` entry points, as a plugin's are."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import eda
from eda.errors import FlowError
from eda.flow import registry
from tests.flow.helpers import run_cli

ROOT = Path(eda.__file__).resolve().parent


def _step_modules_on_disk() -> set[str]:
    """Every ``steps`` / ``*_steps`` module of the eda package."""
    found = set()
    for path in ROOT.rglob("*.py"):
        if path.stem == "steps" or path.stem.endswith("_steps"):
            found.add(".".join(path.relative_to(ROOT.parent).with_suffix("").parts))
    return found


def _declared() -> dict[str, str]:
    data = tomllib.loads((ROOT.parent / "pyproject.toml").read_text())
    return data["project"]["entry-points"]["eda.steps"]


def test_every_step_module_is_declared_in_pyproject():
    declared = set(_declared().values())
    assert declared == _step_modules_on_disk(), 'add each steps module to [project.entry-points."eda.steps"]'


def test_installed_entry_points_match_pyproject():
    installed = {e.name: e.value for e in entry_points(group=registry.STEP_ENTRY_POINTS)}
    missing = {name: module for name, module in _declared().items() if installed.get(name) != module}
    assert not missing, f"installed metadata lacks {missing}: re-run `pip install -e .`"


def test_every_registered_step_comes_from_a_declared_or_plugin_module():
    declared = set(_declared().values())
    steps = registry.registered_steps()
    builtin = {name: cls for name, cls in steps.items() if cls.__module__.startswith("eda.")}
    assert builtin and all(cls.__module__ in declared for cls in builtin.values())
    # one step of each declared module is registered (the module was loaded through its entry point)
    assert {cls.__module__ for cls in builtin.values()} == declared


def test_empty_entry_point_group_is_a_flow_error(monkeypatch):
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    with pytest.raises(FlowError, match="entry-point group 'eda.steps' is empty") as info:
        registry.load_builtin_steps()
    assert "pip install -e ." in (info.value.hint or "")


def test_every_builtin_step_parameter_is_described():
    steps = {
        name: cls for name, cls in registry.registered_steps().items() if cls.__module__.startswith("eda.")
    }
    bare = [
        f"{name}.{field}"
        for name, cls in steps.items()
        for field, info in cls.Params.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert not bare, f"parameters without a description (shown by `eda steps`): {bare}"


def test_eda_steps_shows_each_parameter_description():
    cls = registry.resolve("acim.explore")
    code, output = run_cli("steps", "acim.explore")
    assert code == 0
    lines = {
        line.split(":")[0].strip(): line for line in output.splitlines() if line.strip().startswith("--")
    }
    assert set(lines) == {f"--{field}" for field in cls.Params.model_fields}
    for field, info in cls.Params.model_fields.items():
        assert lines[f"--{field}"].rstrip().endswith(info.description)
