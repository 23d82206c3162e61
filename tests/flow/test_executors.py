"""Executor contract: identical results on every executor; a failing task is reported by name."""

from __future__ import annotations

import json

import pytest

from eda.errors import TaskError, UserError
from eda.flow.executors import get_executor, parse_executor
from eda.flow.runner import run_flow
from eda.flow.schema import load_flow
from tests.flow.helpers import run_cli

FANOUT = """\
name: fan
plugins: [eda_test_steps]
steps:
  - id: fan
    use: demo.fanout
    with: {n: 12}
"""

EXECUTORS = ["serial", "local", pytest.param("dask", marks=pytest.mark.distributed)]


@pytest.mark.parametrize("spec", EXECUTORS)
def test_map_results_and_named_failure(spec):
    import eda_test_steps as tasks

    with get_executor(spec, workers=2) as executor:
        assert executor.map(tasks.square, range(10), name="sq") == [x * x for x in range(10)]
        assert executor(tasks.square, [3, 4]) == [9, 16]  # pymoo elementwise-runner protocol
        assert executor.submit(tasks.square, 7, name="seven").result() == 49
        with pytest.raises(TaskError) as info:
            executor.map(tasks.square_or_fail, range(6), name="sq")
        assert info.value.task == "sq[3]"
        assert "three is not allowed" in str(info.value)
        # the executor is still usable after a failure (no hang, no broken pool)
        assert executor.map(tasks.square, [5], name="again") == [25]


@pytest.mark.parametrize("spec", EXECUTORS)
def test_flow_fanout_identical_on_every_executor(write_flow, tmp_path, spec):
    result = run_flow(
        load_flow(write_flow(FANOUT)), runs_dir=tmp_path / "runs", executor=spec, progress=False
    )
    record = result.record("fan")
    assert json.loads((record.directory / "squares.json").read_text()) == [x * x for x in range(12)]
    assert record.metrics["demo__fanout__sum"] == sum(x * x for x in range(12))


@pytest.mark.parametrize("spec", ["local", pytest.param("dask", marks=pytest.mark.distributed)])
def test_failing_task_in_flow_is_named(write_flow, tmp_path, spec):
    path = write_flow(FANOUT.replace("{n: 12}", "{n: 6, fail: true}"))
    code, output = run_cli("run", str(path), "--runs", str(tmp_path / "runs"), "--executor", spec)
    assert code != 0
    assert "task 'square[3]' failed" in output and "three is not allowed" in output


def test_executor_spec_parsing():
    assert parse_executor("dask:tcp://10.0.0.1:8786") == ("dask", "tcp://10.0.0.1:8786")
    assert parse_executor("local") == ("local", None)
    with pytest.raises(UserError, match="unknown executor"):
        parse_executor("slurm")


@pytest.mark.distributed
def test_dask_scheduler_address(tmp_path):
    """Connect to an existing scheduler by address (here one started by a LocalCluster)."""
    import eda_test_steps as tasks
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        with get_executor(f"dask:{cluster.scheduler_address}") as executor:
            assert executor.map(tasks.square, [1, 2, 3], name="sq") == [1, 4, 9]


_ORPHAN_SCRIPT = """
import os, sys, time
from eda.flow.executors import LocalExecutor

def work(path):
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(120)

if __name__ == "__main__":
    ex = LocalExecutor(1)
    ex.submit(work, sys.argv[1])
    time.sleep(120)
"""


def test_local_workers_exit_when_the_parent_is_killed(tmp_path):
    """A worker of a parent killed with SIGKILL stops instead of running its queued work to the end."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(_ORPHAN_SCRIPT)
    marker = tmp_path / "worker.pid"
    parent = subprocess.Popen([sys.executable, str(script), str(marker)], cwd=tmp_path)
    try:
        for _ in range(600):  # the worker starts (spawn imports eda): poll, no timing assertion
            if marker.exists() and marker.read_text():
                break
            time.sleep(0.1)
        worker = int(marker.read_text())
        os.kill(worker, 0)  # alive
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its reaper is gone too
            return f.read().split(")")[-1].split()[0] != "Z"

    for _ in range(300):
        if not alive(worker):
            break
        time.sleep(0.1)
    assert not alive(worker)
