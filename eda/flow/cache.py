"""Content hashing and the step cache key (name + version + implementation + params + input content hashes)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

__all__ = ["hash_path", "cache_key", "link_tree", "freeze_tree"]

_CHUNK = 1 << 20


def _hash_file(path: Path, digest: Any) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def hash_path(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a directory's sorted relative names and file contents."""
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(child.relative_to(path)).encode())
            digest.update(b"\0")
            _hash_file(child, digest)
    else:
        _hash_file(path, digest)
    return digest.hexdigest()


def cache_key(
    step_name: str, step_version: str, params: dict[str, Any], input_hashes: dict[str, str], code: str = ""
) -> str:
    """The identity of a step execution: same key, same outputs (steps are deterministic).

    ``code`` is the step's implementation hash (:func:`eda.flow.codehash.implementation_hash`): a change to
    its source or to a module it imports changes the key; ``step_version`` stays for deliberate
    invalidation (a change in data the code reads, say)."""
    payload = json.dumps(
        {"step": step_name, "version": step_version, "code": code, "params": params, "inputs": input_hashes},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def freeze_tree(root: Path) -> None:
    """Make every file under ``root`` read-only (directories stay writable so a run can be deleted).

    Finished step artifacts are frozen before :func:`link_tree` shares them between runs by hard links:
    an editor or a stray ``open(..., "w")`` then fails instead of silently changing every run that
    shares the file (a deliberate ``chmod`` + edit is still caught by the content hash on reuse).
    """
    for path in (root, *root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            mode = path.stat().st_mode
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def link_tree(source: Path, target: Path) -> None:
    """Copy a directory tree by hard links (cheap, same content), falling back to copies across devices.

    Share only frozen trees (:func:`freeze_tree`): a hard link is the same file in both runs."""

    def _copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=_copy, symlinks=True)
