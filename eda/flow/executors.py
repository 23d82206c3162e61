"""Executors: one interface for everything that fans out (design points, data generation, batch solves).

* :class:`SerialExecutor` — in-process, for tiny jobs and debugging.
* :class:`LocalExecutor` — a process pool with the *spawn* start method (safe with torch/threads).
* :class:`DaskExecutor` — a Dask ``distributed`` scheduler at an address, or a ``LocalCluster``.

Tasks write their artifacts (generated cases, checkpoints) into the run directory and return paths, so
every worker must see the run directory at the client's path. :meth:`Executor.check_shared_directory`
verifies that before any task runs (a no-op on this machine's pools; on Dask, every worker reads a probe
file the client wrote there and writes one the client reads back) and raises a :class:`UserError` naming
the workers that do not.

All give the same results for the same tasks (tasks must be deterministic), name a failing task in a
:class:`eda.errors.TaskError`, and never hang when a task raises. Executors are callable as a pymoo
elementwise runner: ``executor(f, X) -> [f(x) for x in X]``.
"""

from __future__ import annotations

import logging
import os
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from eda.errors import TaskError, UserError

__all__ = ["Executor", "SerialExecutor", "LocalExecutor", "DaskExecutor", "get_executor", "parse_executor"]

T = TypeVar("T")
R = TypeVar("R")
_LOG = logging.getLogger("eda.executor")


class _RemoteFailure:
    """A task's exception captured in the worker with its formatted traceback (picklable)."""

    def __init__(self, exc: BaseException) -> None:
        self.kind = type(exc).__name__
        self.text = str(exc)
        self.traceback = traceback.format_exc()
        try:
            import pickle

            pickle.dumps(exc)
            self.exc: BaseException | None = exc
        except Exception:
            self.exc = None


def _guarded(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a worker, turning an exception into a :class:`_RemoteFailure` value."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - reported to the caller by task name
        return _RemoteFailure(exc)


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the process that started the pool is gone.

    A pool's workers outlive a parent killed by a signal it cannot handle (``kill``, SIGKILL, the OOM
    killer) and would run the tasks already queued to them to the end, holding CPUs and writing files for
    a run that no longer exists; polling the parent pid once a second stops them.
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="eda-watch-parent", daemon=True).start()


def _unwrap(name: str, value: Any) -> Any:
    if isinstance(value, _RemoteFailure):
        cause: BaseException | str = value.exc if value.exc is not None else f"{value.kind}: {value.text}"
        raise TaskError(name, cause, remote_traceback=value.traceback)
    return value


class Executor(ABC):
    """Submit/map interface shared by all executors."""

    kind: str = "abstract"

    @abstractmethod
    def submit(self, fn: Callable[..., R], *args: Any, name: str = "task") -> Future:
        """Schedule ``fn(*args)``; ``result()`` of the returned future raises :class:`TaskError` on failure."""

    @abstractmethod
    def map(
        self, fn: Callable[[T], R], items: Iterable[T], *, name: str = "task", progress: bool = False
    ) -> list[R]:
        """``[fn(x) for x in items]`` computed by the workers, in order; the first failure raises
        :class:`TaskError` naming ``name[index]``."""

    def __call__(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """pymoo elementwise-runner protocol."""
        return self.map(fn, items, name="evaluate")

    def close(self) -> None:  # noqa: B027 - executors without workers have nothing to release
        """Release workers (idempotent)."""

    def check_shared_directory(self, directory: Path) -> None:  # noqa: B027 - same machine, same files
        """Raise :class:`UserError` unless every worker reads and writes ``directory`` at this path.

        The process pools run on this machine and share its file system: nothing to check."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _NamedFuture(Future):
    """Wraps a worker future (process pool or Dask) so ``result()`` raises a :class:`TaskError` naming the task.

    Task exceptions come back as :class:`_RemoteFailure` values (see :func:`_guarded`); an exception raised by
    the inner future itself means the infrastructure failed (a worker died, the task was lost).
    """

    def __init__(self, inner: Any, name: str) -> None:
        super().__init__()
        self._inner = inner
        self._name = name

    def result(self, timeout: float | None = None) -> Any:  # type: ignore[override]
        try:
            value = self._inner.result(timeout=timeout)
        except BrokenProcessPool as exc:
            raise TaskError(self._name, f"worker process died ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - a Dask worker died or the task was lost
            raise TaskError(self._name, exc) from None
        return _unwrap(self._name, value)

    def done(self) -> bool:
        return self._inner.done()


def _progress(items: list[Any], enabled: bool, name: str) -> Iterable[Any]:
    if not enabled:
        return items
    from eda.flow.progress import track

    return track(items, total=len(items), description=name)


class SerialExecutor(Executor):
    """Runs tasks in the calling process, one after another."""

    kind = "serial"

    def submit(self, fn: Callable[..., R], *args: Any, name: str = "task") -> Future:
        future: Future = Future()
        future.set_result(_guarded(fn, *args))
        return _NamedFuture(future, name)

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], *, name: str = "task", progress: bool = False
    ) -> list[R]:
        out = []
        for index, item in enumerate(_progress(list(items), progress, name)):
            out.append(_unwrap(f"{name}[{index}]", _guarded(fn, item)))
        return out


class _PoolExecutor(Executor):
    """An executor whose :meth:`submit` hands tasks to workers: :meth:`map` submits every item, collects the
    results in order and cancels the rest when one fails (or the caller is interrupted)."""

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], *, name: str = "task", progress: bool = False
    ) -> list[R]:
        futures = [self.submit(fn, item, name=f"{name}[{i}]") for i, item in enumerate(items)]
        if not futures:
            return []
        try:
            return [future.result() for future in _progress(futures, progress, name)]
        except BaseException:
            for future in futures:
                future._inner.cancel()  # type: ignore[attr-defined]
            raise


class LocalExecutor(_PoolExecutor):
    """A spawn-safe process pool on this machine (the default executor)."""

    kind = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(1, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def submit(self, fn: Callable[..., R], *args: Any, name: str = "task") -> Future:
        return _NamedFuture(self._get_pool().submit(_guarded, fn, *args), name)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(_PoolExecutor):
    """Dask ``distributed``: connect to ``address`` or start a ``LocalCluster`` of ``workers`` processes."""

    kind = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UserError(
                "the dask executor needs dask.distributed", hint="pip install 'eda[dist]'"
            ) from None
        self._cluster = None
        if address:
            try:
                self._client = Client(address, timeout="20s")
            except OSError as exc:
                raise UserError(
                    f"cannot reach the Dask scheduler at {address}: {exc}",
                    hint="start one with `dask scheduler` or use --executor dask (LocalCluster)",
                ) from None
        else:
            n = workers or max(1, min(2, os.cpu_count() or 1))
            self._cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)

    @property
    def client(self) -> Any:
        return self._client

    def check_shared_directory(self, directory: Path) -> None:
        """Every worker must read a file the client wrote in ``directory`` and write one the client reads:
        tasks write their artifacts there (at the client's path) and return the paths."""
        directory = Path(directory).absolute()
        try:
            self._client.wait_for_workers(1, timeout=60)
        except TimeoutError:
            raise UserError(
                f"the Dask scheduler at {self._client.scheduler.address} has had no worker for 60 s",
                hint="start workers with `dask worker SCHEDULER_ADDRESS` on the worker machines",
            ) from None
        problems = _shared_directory_problems(self._client, directory)
        if problems:
            listed = "; ".join(f"{worker}: {why}" for worker, why in sorted(problems.items()))
            raise UserError(
                f"{len(problems)} Dask worker(s) do not share the run directory {directory} with this "
                f"machine ({listed})",
                hint="every worker writes its tasks' artifacts into the run directory at this same path: "
                "mount it on every worker machine at the same path (a shared file system such as NFS), "
                "or give `eda run --runs` a directory on a mount every worker has",
            )

    def submit(self, fn: Callable[..., R], *args: Any, name: str = "task") -> Future:
        inner = self._client.submit(_guarded, fn, *args, pure=False, key=f"{name}-{os.urandom(4).hex()}")
        return _NamedFuture(inner, name)

    def close(self) -> None:
        if getattr(self, "_client", None) is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


_PROBE = ".eda-shared-probe-"


def _write_probe(directory: Path, token: str) -> Path:
    """The client's probe file in ``directory`` (its content is ``token``)."""
    probe = directory / f"{_PROBE}{token}"
    probe.write_text(token)
    return probe


def _answer_probe(directory: str, token: str) -> str:
    """Runs on every Dask worker: read the client's probe in ``directory`` and write this worker's answer
    beside it. Returns the answer's file name, or ``"!"`` and what went wrong."""
    import socket

    probe = Path(directory) / f"{_PROBE}{token}"
    try:
        seen = probe.read_text()
    except OSError as exc:
        return f"!cannot read {probe} ({exc.strerror or exc})"
    if seen != token:
        return f"!{probe} holds another run's probe"
    answer = probe.with_name(f"{probe.name}.{socket.gethostname()}.{os.getpid()}")
    try:
        answer.write_text(token)
    except OSError as exc:
        return f"!cannot write {answer} ({exc.strerror or exc})"
    return answer.name


def _holds(path: Path, token: str) -> bool:
    try:
        return path.read_text() == token
    except OSError:
        return False


def _shared_directory_problems(client: Any, directory: Path) -> dict[str, str]:
    """Worker address -> why it does not share ``directory`` with the client (empty when all do)."""
    token = os.urandom(8).hex()
    probe = _write_probe(directory, token)
    answers: dict[str, Any] = {}
    try:
        answers = client.run(_answer_probe, str(directory), token, on_error="return")
        problems: dict[str, str] = {}
        for worker, answer in answers.items():
            if isinstance(answer, BaseException):
                problems[worker] = f"the probe task failed ({type(answer).__name__}: {answer})"
            elif answer.startswith("!"):
                problems[worker] = answer[1:]
            elif not _holds(directory / answer, token):
                problems[worker] = f"wrote {directory / answer} but this machine does not see it"
        return problems
    finally:
        probe.unlink(missing_ok=True)
        for answer in answers.values():
            if isinstance(answer, str) and answer and not answer.startswith("!"):
                (directory / answer).unlink(missing_ok=True)


def parse_executor(spec: str) -> tuple[str, str | None]:
    """Split ``local``, ``serial``, ``dask`` or ``dask:ADDRESS`` into (kind, address)."""
    kind, _, address = spec.partition(":")
    kind = kind.strip().lower()
    if kind not in ("local", "serial", "dask"):
        raise UserError(f"unknown executor '{spec}'", hint="use local, serial, dask or dask:tcp://HOST:PORT")
    if kind != "dask" and address:
        raise UserError(f"executor '{kind}' takes no address (got '{spec}')")
    return kind, (address or None)


def get_executor(spec: str = "local", workers: int | None = None) -> Executor:
    """Build an executor from ``local`` | ``serial`` | ``dask`` | ``dask:tcp://host:port``."""
    kind, address = parse_executor(spec)
    if kind == "serial":
        return SerialExecutor()
    if kind == "local":
        return LocalExecutor(workers)
    if address and "://" not in address:
        address = f"tcp://{address}"
    return DaskExecutor(address, workers)
