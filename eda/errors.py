"""One exception hierarchy for everything a user can get wrong, and the exit codes the CLI maps it to.

Exit codes (the contract with shells and CI systems):

* 0 — success
* 1 — sign-off violations found (the flow ran; the design failed a limit)
* 2 — bad input or usage (flow file, netlist, spec, parameters)
* 3 — internal error (a bug: please report it with the ``--debug`` traceback)

A :class:`UserError` carries *what* went wrong, *where* (file:line, step, node) and *how to fix it*;
the CLI prints it as one paragraph without a traceback.
"""

from __future__ import annotations

import errno
import importlib.util
import re
import sys

__all__ = [
    "EXIT_OK",
    "EXIT_VIOLATIONS",
    "EXIT_USAGE",
    "EXIT_INTERNAL",
    "EdaError",
    "UserError",
    "FlowError",
    "NetlistError",
    "FloatingNetError",
    "SpecError",
    "DataError",
    "LimitError",
    "StorageError",
    "TaskError",
    "SignoffViolation",
    "storage_error",
    "missing_module_error",
]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class EdaError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    exit_code: int = EXIT_INTERNAL

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        """The one-paragraph message shown to the user: ``where: message. hint``."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text}\n  hint: {self.hint}"
        return text


class UserError(EdaError):
    """Bad input or usage; the user can fix it (exit code 2)."""

    exit_code = EXIT_USAGE


class FlowError(UserError):
    """A flow YAML file is malformed, references something missing, or has a cycle."""


class NetlistError(UserError):
    """A netlist (PDN SPICE, circuit) is malformed or physically broken."""


class FloatingNetError(NetlistError):
    """Part of a PDN has no resistive path to any pad, so its voltage is undefined."""


class SpecError(UserError):
    """An architecture or design spec is infeasible."""


class DataError(UserError):
    """Benchmark data or an input file is missing or unreadable."""


class LimitError(UserError):
    """An input asks for more than a resource limit of :mod:`eda.limits` allows (exit code 2)."""


class StorageError(UserError):
    """The file system refused a write (disk full, quota, read-only, permission): exit code 2.

    Not a bug of the toolkit and not fixed by changing the input either: the message names the path and
    the hint says how to make room or where else to write.
    """


class TaskError(EdaError):
    """A task fanned out through an executor failed; the message names the task."""

    exit_code = EXIT_INTERNAL

    def __init__(self, task: str, cause: BaseException | str, *, remote_traceback: str | None = None) -> None:
        self.task = task
        self.cause = cause
        self.remote_traceback = remote_traceback
        cause_text = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        missing = missing_module_error(cause) if isinstance(cause, BaseException) else None
        super().__init__(f"task '{task}' failed: {cause_text}", hint=missing.hint if missing else None)
        if isinstance(cause, UserError):
            self.exit_code = cause.exit_code
        elif missing is not None:
            self.exit_code = missing.exit_code


class SignoffViolation(EdaError):
    """Raised by the CLI layer when sign-off limits were violated (exit code 1)."""

    exit_code = EXIT_VIOLATIONS


#: errno -> how to fix it, for the file-system errors that are the environment's, not a bug's
_STORAGE_HINTS: dict[int, str] = {
    errno.ENOSPC: "free space on that file system, or write elsewhere (--out, --runs)",
    errno.EDQUOT: "free space within your quota, or write elsewhere (--out, --runs)",
    errno.EFBIG: "the file is larger than this file system allows; write elsewhere (--out, --runs)",
    errno.EROFS: "the file system is read-only; write elsewhere (--out, --runs)",
    errno.EACCES: "check the permissions of that path, or write elsewhere (--out, --runs)",
    errno.EPERM: "check the permissions of that path, or write elsewhere (--out, --runs)",
    errno.ENAMETOOLONG: "use a shorter path or name",
}


def storage_error(exc: BaseException) -> StorageError | None:
    """A :class:`StorageError` for an ``OSError`` the user's environment caused (disk full, quota,
    read-only or permission denied), naming the path; ``None`` for any other exception."""
    if not isinstance(exc, OSError) or exc.errno not in _STORAGE_HINTS:
        return None
    path = exc.filename if exc.filename is not None else None
    reason = exc.strerror or str(exc)
    return StorageError(
        f"the file system refused the operation: {reason}",
        where=str(path) if path is not None else None,
        hint=_STORAGE_HINTS[exc.errno],
    )


#: import names whose distribution on PyPI is spelled differently
_DISTRIBUTION_OF_MODULE: dict[str, str] = {
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
    "sksparse": "scikit-sparse",
}


def _declared_requirement(distribution: str) -> tuple[str, str | None] | None:
    """(requirement, extra or ``None`` for a base dependency) of the installed ``eda`` that names
    ``distribution``; ``None`` when eda's metadata is not installed or does not name it."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        declared = requires("eda") or []
    except PackageNotFoundError:
        return None
    wanted = re.sub(r"[-_.]+", "-", distribution).lower()
    for entry in declared:
        requirement, _, marker = entry.partition(";")
        name = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
        if name is None or re.sub(r"[-_.]+", "-", name.group(0)).lower() != wanted:
            continue
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", marker)
        if extra is None or extra.group(1) != "all":
            return requirement.strip(), extra.group(1) if extra else None
    return None


def missing_module_error(exc: BaseException) -> UserError | None:
    """A :class:`UserError` for a ``ModuleNotFoundError`` of a third-party package that is not installed
    (an incomplete installation, not a bug), naming the ``pip install`` that brings it; ``None`` for any
    other exception, for a module of eda or of the standard library, and for a missing submodule of an
    installed package (those are bugs)."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    top = exc.name.split(".")[0]
    if top in {"eda", "__main__"} or top in sys.stdlib_module_names:
        return None
    try:
        if importlib.util.find_spec(top) is not None:
            return None
    except (ImportError, ValueError):
        pass
    distribution = _DISTRIBUTION_OF_MODULE.get(top, top.replace("_", "-"))
    declared = _declared_requirement(distribution)
    if declared is None:
        hint = f"pip install {distribution}"
    elif declared[1] is None:
        hint = f"pip install '{declared[0]}' (a dependency of eda: reinstall eda without --no-deps)"
    else:
        hint = f"pip install 'eda[{declared[1]}]' (or pip install '{declared[0]}')"
    return UserError(
        f"the Python package '{distribution}' is not installed (import of '{exc.name}')", hint=hint
    )
