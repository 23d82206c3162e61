"""The step cache follows the code: editing a step or a module it imports re-runs it, nothing else does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eda.flow.codehash import implementation_files, implementation_hash

STEPS = """
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from . import shared


@register
class Scale(Step):
    name = "codepkg.scale"
    outputs = {"value": "value.json"}

    class Params(StepParams):
        value: int = 5

    def run(self, ctx: StepContext) -> StepResult:
        from codepkg.helper import FACTOR  # a function-level import is followed too

        ctx.path("value.json").write_text(str(ctx.params.value * FACTOR + shared.OFFSET))
        return StepResult(outputs={"value": "value.json"}, metrics={"codepkg__value": ctx.params.value * FACTOR})
"""

FLOW = "name: code\nplugins: [codepkg.steps]\nsteps:\n  - id: scale\n    use: codepkg.scale\n"


def _package(root: Path) -> Path:
    pkg = root / "codepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "steps.py").write_text(STEPS)
    (pkg / "helper.py").write_text("FACTOR = 2\n")
    (pkg / "shared.py").write_text("OFFSET = 0\n")
    (pkg / "unrelated.py").write_text("X = 1\n")
    return pkg


def _run(root: Path) -> tuple[str, int]:
    """``eda run`` in a fresh process (so edited modules are imported anew): (step status, value)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    command = "import sys; from eda.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            command,
            "run",
            str(root / "flow.yaml"),
            "--runs",
            str(root / "runs"),
            "--no-progress",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = (root / "runs" / "code" / "latest").resolve()
    step = json.loads((run / "metrics.json").read_text())["steps"]["scale"]
    return step["status"], int((run / "01-scale" / "value.json").read_text())


def test_files_follow_module_and_function_level_imports(tmp_path, monkeypatch):
    _package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    files = implementation_files("codepkg.steps")
    assert {"codepkg", "codepkg.steps", "codepkg.shared", "codepkg.helper"} <= set(files)
    assert "codepkg.unrelated" not in files
    assert "eda.flow.step" in files and "eda.flow.registry" in files  # the framework it builds on
    assert not any(name.split(".")[0] not in {"codepkg", "eda"} for name in files)  # no stdlib/third party


def test_hash_changes_with_a_dependency_only(tmp_path, monkeypatch):
    pkg = _package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = implementation_hash("codepkg.steps")
    (pkg / "unrelated.py").write_text("X = 2\n")
    assert implementation_hash("codepkg.steps") == before
    (pkg / "shared.py").write_text("OFFSET = 0  # same value, edited source\n")
    assert implementation_hash("codepkg.steps") != before
    assert implementation_hash("no_such_module_anywhere") == ""


def test_editing_a_steps_source_reruns_it(tmp_path):
    pkg = _package(tmp_path)
    (tmp_path / "flow.yaml").write_text(FLOW)
    assert _run(tmp_path) == ("ran", 10)
    assert _run(tmp_path) == ("reused", 10)
    (pkg / "unrelated.py").write_text("X = 3\n")
    assert _run(tmp_path) == ("reused", 10)
    (pkg / "helper.py").write_text("FACTOR = 3\n")  # a module the step imports inside run()
    assert _run(tmp_path) == ("ran", 15)
    (pkg / "steps.py").write_text(STEPS.replace("shared.OFFSET", "shared.OFFSET + 1"))
    assert _run(tmp_path) == ("ran", 16)
