"""Resume after SIGKILL: a killed run leaves no artifact a re-run would trust; completed steps are reused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

FLOW = """\
name: resume
plugins: [eda_test_steps]
steps:
  - id: src
    use: demo.source
    with: {value: 1}
  - id: slow
    use: demo.slow
    inputs: {a: src.value}
    with: {chunks: 100}
"""


def _eda(flow: Path, runs: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "eda.cli", "run", str(flow), "--runs", str(runs), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )


def test_sigkill_mid_step_then_resume(write_flow, tmp_path):
    flow, runs = write_flow(FLOW), tmp_path / "runs"
    proc = _eda(flow, runs)
    deadline = time.monotonic() + 120
    partial = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(runs.glob("resume/*/.02-slow.tmp/data.txt"))
        if found and "chunk 3" in found[0].read_text():
            partial = found[0]
            break
        time.sleep(0.05)
    assert partial is not None, "the slow step never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_run = partial.parent.parent
    assert (killed_run / "01-src" / "done.json").is_file()
    assert not (killed_run / "02-slow").exists(), "a half-written step directory was published"

    proc = _eda(flow, runs)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output
    assert "src" in output and "reused" in output
    new_run = max(
        (
            p
            for p in (runs / "resume").iterdir()
            if p.is_dir() and p.name != "latest" and not p.name.startswith(".")
        ),
        key=lambda p: p.stat().st_mtime,
    )
    data = (new_run / "02-slow" / "data.txt").read_text()
    assert data.endswith("complete\n") and data.count("chunk") == 100
