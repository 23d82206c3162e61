"""Where the real benchmark data lives: ``EDA_DATA``, else ``../shared/data`` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

from eda.errors import DataError

__all__ = ["data_dir", "require_data", "repo_root"]


def repo_root() -> Path:
    """The source checkout holding the ``eda`` package (shipped flows, designs and cells are package data: :mod:`eda.shipped`)."""
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path | None:
    """The benchmark data directory, or ``None`` when it is not available.

    Order: the ``EDA_DATA`` environment variable; ``../shared/data`` next to the checkout; ``../shared/data``
    relative to the current directory.
    """
    env = os.environ.get("EDA_DATA")
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    for base in (repo_root(), Path.cwd()):
        candidate = base.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate.resolve()
    return None


def require_data(subpath: str = "") -> Path:
    """``data_dir() / subpath``; raises :class:`DataError` saying how to provide it when absent."""
    root = data_dir()
    if root is None:
        raise DataError(
            "benchmark data not found",
            hint="set EDA_DATA to the data directory (it holds iccad23/ and circuitnet-zero-riscy/)",
        )
    path = root / subpath
    if not path.exists():
        raise DataError(f"'{path}' does not exist", hint=f"check EDA_DATA (now {root})")
    return path
