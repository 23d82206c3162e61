"""Checked output paths for the commands: ``--out DIR`` and ``--out FILE`` fail early with a clear message.

Without these checks an ``--out`` naming an existing file (where a directory is written) or a directory
(where a file is written) surfaced as an ``OSError`` deep inside a writer, after the work was done.
"""

from __future__ import annotations

from pathlib import Path

from eda.errors import UserError, storage_error

__all__ = ["output_dir", "output_file"]


def _blocking_file(path: Path) -> Path | None:
    """The first existing ancestor of ``path`` that is a file (so nothing can be created below it)."""
    for parent in path.parents:
        if parent.exists():
            return parent if not parent.is_dir() else None
    return None


def output_dir(path: str | Path, option: str = "--out") -> Path:
    """Create directory ``path`` (and its parents) for a command's outputs; returns it.

    Raises :class:`~eda.errors.UserError` when ``path`` or one of its parents is an existing file, and
    :class:`~eda.errors.StorageError` when the file system refuses (permission, read-only, full).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(
            f"'{path}' is an existing file, but an output directory is needed",
            where=option,
            hint=f"give {option} a directory (created when missing), e.g. {option} {path.name}_out",
        )
    blocker = _blocking_file(path)
    if blocker is not None:
        raise UserError(
            f"cannot create directory '{path}': '{blocker}' is a file",
            where=option,
            hint=f"give {option} a path whose parents are directories",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc) or UserError(
            f"cannot create directory '{path}': {exc.strerror or exc}", where=option
        ) from None
    return path


def output_file(path: str | Path, option: str = "--out") -> Path:
    """Prepare ``path`` for a command's output file (parents created; an existing file is replaced).

    Raises :class:`~eda.errors.UserError` when ``path`` is an existing directory or a parent is a file.
    """
    path = Path(path)
    if path.is_dir():
        raise UserError(
            f"'{path}' is a directory, but an output file is needed",
            where=option,
            hint=f"name the file to write, e.g. {option} {path / 'out'}",
        )
    output_dir(path.parent, option)
    return path
