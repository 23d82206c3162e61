"""Shipped files (eda.shipped): found inside the package, and from a non-editable wheel run outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from eda.errors import FlowError
from eda.shipped import default_library_dir, designs_dir, find_flow, flows_dir, shipped_flows

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_directories_hold_the_files_the_flows_name():
    assert (flows_dir() / "quickstart.yaml").is_file()
    assert (designs_dir() / "signoff-acim.yaml").is_file()
    assert (default_library_dir() / "library.yaml").is_file()
    # the flows refer to their limits as ../designs/<file>: that layout must hold wherever they are installed
    assert designs_dir().parent == flows_dir().parent


def test_find_flow_by_name_path_or_docs_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    quickstart = flows_dir() / "quickstart.yaml"
    assert find_flow("quickstart") == quickstart
    assert find_flow("quickstart.yaml") == quickstart
    assert find_flow("flows/quickstart.yaml") == quickstart
    own = tmp_path / "flows" / "quickstart.yaml"  # a user's own file of the same name wins
    own.parent.mkdir()
    own.write_text("name: mine\nsteps: []\n")
    assert find_flow("flows/quickstart.yaml") == Path("flows/quickstart.yaml")
    with pytest.raises(FlowError, match="not found") as info:
        find_flow("elsewhere/quickstart.yaml")
    assert "quickstart" in (info.value.hint or "")


def _source_copy(tmp: Path) -> Path:
    """The checkout's tracked and untracked files without build outputs (the build writes build/ and
    *.egg-info beside pyproject.toml; other sessions use the checkout at the same time)."""
    skip = shutil.ignore_patterns(
        ".venv",
        ".git",
        "runs",
        "build",
        "dist",
        "*.egg-info",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        "tests",
        "docs",
        "benchmarks",
    )
    dest = tmp / "src"
    shutil.copytree(ROOT, dest, ignore=skip)
    return dest


@pytest.mark.slow
def test_wheel_installed_outside_the_checkout_runs(tmp_path):
    """Build the wheel, install it (not editable, no dependencies: the test venv has them) into a target
    directory, and from a directory outside the checkout list the flows, run the quickstart flow and
    generate a small macro with the default cell library."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(_source_copy(tmp_path)),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("eda-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "eda/share/flows/quickstart.yaml",
        "eda/share/designs/signoff-acim.yaml",
        "eda/share/cells/sky130_acim/library.yaml",
        "eda/share/cells/sky130_acim/bitcell8t.gds",
        "eda/irdrop/checkpoints/pdnnet-default.pt",
        "eda/tech/sky130.yaml",
    ):
        assert shipped in names, shipped
    assert any(n.endswith("licenses/LICENSE") for n in names)

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
    )
    work = tmp_path / "user"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "EDA_DATA": ""}

    def eda(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(target / "bin" / "eda"), *args], cwd=work, env=env, capture_output=True, text=True
        )

    where = subprocess.run(
        [sys.executable, "-c", "import eda; print(eda.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(target), where

    listed = eda("flows")
    assert listed.returncode == 0, listed.stderr
    assert {line.split()[0] for line in listed.stdout.splitlines() if line[:1].isalpha()} == {
        p.stem for p in shipped_flows()
    }
    assert str(target) in listed.stdout

    run = eda("run", "quickstart", "--no-progress", "--runs", "runs")
    assert run.returncode == 0, run.stderr
    assert (work / "runs" / "quickstart").is_dir()

    gen = eda(
        "acim",
        "generate",
        "--rows",
        "16",
        "--cols",
        "16",
        "--local-array-size",
        "4",
        "--adc-bits",
        "4",
        "--out",
        "o",
    )
    assert gen.returncode == 0, gen.stderr
    assert "256 bitcells" in gen.stdout  # 16 x 16 from the default library's bitcell
    for suffix in (".gds", ".lef", ".spice", ".area.json", ".lib", ".v"):
        (path,) = (work / "o").glob(f"*{suffix}")
        assert path.stat().st_size > 0, path
