"""A package eda needs that is not installed is the installation's fault, not a bug: exit 2 with the
``pip install`` that brings it (eda.errors.missing_module_error), from a command, a flow step or a task."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from eda.errors import EXIT_USAGE, TaskError, UserError, missing_module_error
from tests.flow.helpers import run_cli


def _import_error(name: str) -> ModuleNotFoundError:
    try:
        __import__(name)
    except ModuleNotFoundError as exc:
        return exc
    raise AssertionError(f"{name} imported")


#: eda's requirements as importlib.metadata.requires("eda") gives them (the installed metadata)
REQUIRES = [
    "numpy>=2.0",
    "klayout>=0.29",
    'klayout>=0.29; extra == "signoff"',
    'pyamg>=5.1; extra == "fast"',
    'eda[dev,dist,fast,signoff,workloads]; extra == "all"',
]


@pytest.fixture
def requires(monkeypatch):
    """eda's installed requirements, fixed (a checkout's eda.egg-info can be older than pyproject.toml)."""
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: REQUIRES if name == "eda" else None)


def test_a_base_dependency_hints_its_declared_requirement(monkeypatch, requires):
    # as if klayout were not installed (its submodule too: another test may have imported klayout.db, and the
    # import machinery then names whichever of the two it meets first)
    monkeypatch.setitem(sys.modules, "klayout", None)
    monkeypatch.setitem(sys.modules, "klayout.db", None)
    error = missing_module_error(_import_error("klayout.db"))
    assert isinstance(error, UserError) and error.exit_code == EXIT_USAGE
    assert "'klayout' is not installed" in error.message and "klayout.db" in error.message
    assert "pip install 'klayout>=" in error.hint and "without --no-deps" in error.hint


def test_a_package_of_an_extra_hints_the_extra(monkeypatch, requires):
    monkeypatch.setitem(sys.modules, "pyamg", None)
    error = missing_module_error(_import_error("pyamg"))
    assert error is not None and "pip install 'eda[fast]'" in error.hint and "pyamg>=" in error.hint


def test_an_undeclared_package_hints_its_distribution_name(requires):
    error = missing_module_error(_import_error("eda_test_package_not_installed"))
    assert error is not None and error.hint == "pip install eda-test-package-not-installed"


@pytest.mark.parametrize(
    "exc",
    [
        ModuleNotFoundError("No module named 'eda.nothing'", name="eda.nothing"),  # eda's own: a bug
        ModuleNotFoundError("No module named 'json.nothing'", name="json.nothing"),  # the standard library
        ModuleNotFoundError("No module named 'numpy.nothing'", name="numpy.nothing"),  # installed package
        ModuleNotFoundError("no name"),
        ImportError("cannot import name 'x'", name="numpy"),
        ValueError("not an import"),
    ],
)
def test_bugs_are_not_mistaken_for_a_missing_package(exc):
    assert missing_module_error(exc) is None


def test_a_task_that_misses_a_package_exits_2_with_the_hint():
    error = TaskError("solve[3]", _import_error("eda_test_package_not_installed"))
    assert error.exit_code == EXIT_USAGE and "pip install eda-test-package-not-installed" in error.render()
    assert TaskError("solve[3]", ValueError("bug")).exit_code == 3


def test_a_step_that_misses_a_package_exits_2_naming_the_step(write_flow, tmp_path):
    text = "name: np\nplugins: [eda_test_steps]\nsteps:\n  - id: need\n    use: demo.needs_package\n"
    code, output = run_cli("run", str(write_flow(text)), "--runs", str(tmp_path / "runs"), "--no-progress")
    assert code == 2, output
    assert "step 'need' (demo.needs_package)" in output
    assert "'eda-test-package-not-installed' is not installed" in output
    assert "hint: pip install eda-test-package-not-installed" in output
    assert "Traceback" not in output and "internal error" not in output


def test_acim_generate_without_klayout_exits_2_with_the_install_hint(tmp_path):
    """The issue's case: a wheel installed without klayout (say with --no-deps). The ACIM models measure
    the compute cell's wiring with klayout, so generate cannot go on; it says how to install it."""
    script = (
        "import sys; sys.modules['klayout'] = None\n"
        "from eda.cli import main\n"
        "sys.exit(main(['acim', 'generate', '--rows', '16', '--cols', '16', '--local-array-size', '4',"
        " '--adc-bits', '4', '--out', 'o']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "'klayout' is not installed" in done.stderr
    assert "hint: pip install 'klayout>=" in done.stderr  # eda's metadata names it, as a base dependency
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
