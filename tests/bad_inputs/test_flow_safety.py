"""Issue 19 items 3 (run lock), 10 (a step log on a full disk) and 11 (cache integrity): two runs each."""

from __future__ import annotations

import io
import json
import logging
import stat
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from eda.flow.cache import hash_path
from eda.flow.runner import RunLock, run_flow
from eda.flow.schema import load_flow
from tests.flow.helpers import run_cli

CHAIN = """\
name: chain
plugins: [eda_test_steps]
executor: serial
steps:
  - id: src
    use: demo.source
    with: {value: 2}
  - id: add
    use: demo.add
    inputs: {a: src.value}
    with: {offset: 3}
"""


def _flow(tmp_path: Path) -> Path:
    path = tmp_path / "chain.yaml"
    path.write_text(CHAIN)
    return path


def _value(run_dir: Path, step: str) -> int:
    return json.loads((run_dir / step / "value.json").read_text())["value"]


def test_same_run_id_while_running_is_refused(tmp_path: Path) -> None:
    flow, runs = _flow(tmp_path), tmp_path / "runs"
    nightly = ["run", str(flow), "--runs", str(runs), "--run-id", "nightly", "--no-progress"]
    assert run_cli(*nightly)[0] == 0
    run_dir = runs / "chain" / "nightly"
    params = (run_dir / "02-add" / "params.json").read_bytes()
    rerun = [*nightly, "--set", "add.offset=100"]
    lock = RunLock(run_dir).acquire()  # another eda process is running this run
    try:
        code, out = run_cli(*rerun)
    finally:
        lock.release()
    assert code == 2, out
    assert "is in use by another eda run (pid" in out and "another --run-id" in out
    assert (run_dir / "02-add" / "params.json").read_bytes() == params  # untouched
    assert _value(run_dir, "02-add") == 5
    code, out = run_cli(*rerun)
    assert code == 0, out  # free again once the other run ended
    assert _value(run_dir, "02-add") == 102


def test_lock_is_exclusive_between_holders(tmp_path: Path) -> None:
    first = RunLock(tmp_path).acquire()
    with pytest.raises(Exception, match="in use by another eda run"):
        RunLock(tmp_path).acquire()
    first.release()
    RunLock(tmp_path).acquire().release()


def test_finished_artifacts_are_read_only_and_hashes_match(tmp_path: Path) -> None:
    flow = tmp_path / "pdn.yaml"
    flow.write_text(
        "name: pdn\nexecutor: serial\nsteps:\n  - id: grid\n    use: pdn.generate\n"
        "    with: {nodes: 1500}\n  - id: solve\n    use: pdn.solve\n    inputs: {netlist: grid.netlist}\n"
        "    with: {plots: false}\n"
    )
    result = run_flow(load_flow(flow), runs_dir=tmp_path / "runs", progress=False)
    for record in result.steps:
        done = json.loads((record.directory / "done.json").read_text())
        for name, rel in done["outputs"].items():
            path = record.directory / rel
            assert hash_path(path) == done["hashes"][name], (record.id, name)  # pdn.solve's metrics.json too
            assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path


@pytest.mark.parametrize("tamper", ["truncate", "append", "delete"])
def test_changed_artifact_is_detected_and_rerun(tmp_path: Path, tamper: str) -> None:
    flow, runs = _flow(tmp_path), tmp_path / "runs"
    first = run_flow(load_flow(flow), runs_dir=runs, progress=False)
    second = run_flow(load_flow(flow), runs_dir=runs, progress=False)
    assert [r.status for r in second.steps] == ["reused", "reused"]
    artifact = second.run_dir / "01-src" / "value.json"
    assert artifact.stat().st_nlink == 2  # shared with the first run by a hard link ...
    assert (
        not artifact.stat().st_mode & stat.S_IWUSR
    )  # ... that is read-only (root ignores that: the hash guards)
    if tamper == "delete":
        artifact = first.run_dir / "01-src" / "value.json"  # the copy the cache index points at
    artifact.chmod(0o644)
    if tamper == "truncate":
        artifact.write_text("")
    elif tamper == "append":
        artifact.write_text(artifact.read_text() + " ")
    else:
        artifact.unlink()
    code, out = run_cli("run", str(flow), "--runs", str(runs), "--no-progress")
    assert code == 0, out
    assert "changed on disk since the step finished" in out and "'value' (value.json)" in out
    third = max(p for p in (runs / "chain").iterdir() if p.is_dir() and p.name not in ("latest", ".cache"))
    assert _value(third, "01-src") == 2 and _value(third, "02-add") == 5
    assert json.loads((first.run_dir / "01-src" / "done.json").read_text())["key"]


def test_step_log_on_full_disk_prints_no_traceback() -> None:
    from eda.flow.runner import _StepLogHandler

    handler = _StepLogHandler("/dev/full", encoding="utf-8")
    logger = logging.getLogger("eda.test.full")
    logger.propagate = False
    logger.addHandler(handler)
    err = io.StringIO()
    with redirect_stderr(err):
        logger.error("x" * 100_000)
        logger.removeHandler(handler)
        handler.close()
    assert err.getvalue() == ""
    assert isinstance(handler.failed, OSError)
