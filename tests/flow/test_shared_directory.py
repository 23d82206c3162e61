"""A Dask cluster must see the run directory at the client's path (tasks write their artifacts there):
checked before the first step, with a clear error (exit 2) when a worker does not."""

from __future__ import annotations

import json
import os

import pytest

from eda.flow import executors
from eda.flow.executors import get_executor
from tests.flow.conftest import HERE
from tests.flow.helpers import run_cli

pytestmark = pytest.mark.distributed

FANOUT = """\
name: fan
plugins: [eda_test_steps]
steps:
  - id: fan
    use: demo.fanout
    with: {n: 5}
"""


@pytest.fixture(scope="module")
def scheduler():
    """The address of a two-process LocalCluster (workers are separate processes, as on a cluster) whose
    workers import the test steps."""
    from dask.distributed import LocalCluster

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
        patch.syspath_prepend(str(HERE))  # spawned workers start with the parent's sys.path
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            yield cluster.scheduler_address


def test_workers_that_share_the_directory_pass_and_leave_no_probe(scheduler, tmp_path):
    with get_executor(f"dask:{scheduler}") as executor:
        executor.check_shared_directory(tmp_path)
        assert len(executor.client.nthreads()) == 2  # both workers answered, not a vacuous pass
    assert list(tmp_path.iterdir()) == []


def test_flow_on_a_remote_scheduler_runs_after_the_check(scheduler, write_flow, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative --runs: tasks still get absolute paths
    code, output = run_cli(
        "run", str(write_flow(FANOUT)), "--runs", "runs", "--executor", f"dask:{scheduler}"
    )
    assert code == 0, output
    squares = json.loads(next((tmp_path / "runs" / "fan").glob("*/01-fan/squares.json")).read_text())
    assert squares == [x * x for x in range(5)]


def test_a_worker_that_cannot_read_the_directory_is_reported(scheduler, tmp_path):
    """The worker-side check on a path the worker does not have names the path and why."""
    with get_executor(f"dask:{scheduler}") as executor:
        answers = executor.client.run(executors._answer_probe, str(tmp_path / "not-mounted"), "token")
    assert len(answers) == 2
    for answer in answers.values():
        assert answer.startswith("!cannot read") and "not-mounted" in answer


def test_run_stops_before_the_first_step_when_workers_see_another_directory(
    scheduler, write_flow, tmp_path, monkeypatch
):
    """The client's probe lands where the workers do not look (as when the run directory is a local disk
    of the client machine): exit 2, the requirement named, and no step ran."""
    elsewhere = tmp_path / "client-only"
    elsewhere.mkdir()
    write_probe = executors._write_probe
    monkeypatch.setattr(executors, "_write_probe", lambda directory, token: write_probe(elsewhere, token))
    runs = tmp_path / "runs"
    code, output = run_cli(
        "run", str(write_flow(FANOUT)), "--runs", str(runs), "--executor", f"dask:{scheduler}"
    )
    assert code == 2, output
    assert "2 Dask worker(s) do not share the run directory" in output
    assert "mount it on every worker machine at the same path" in output
    assert "Traceback" not in output
    assert not list(runs.glob("fan/*/01-fan"))
