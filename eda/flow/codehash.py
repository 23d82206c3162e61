"""The implementation hash of a step: the source of its module and of every module it imports, transitively.

A step's cache key (:func:`eda.flow.cache.cache_key`) carries this hash, so editing a step, or any module of
its package that it reaches through imports (at module level or inside functions), re-runs it without anyone
bumping ``Step.version``. The import graph is read from the source with :mod:`ast` (nothing is imported or
executed); it follows modules of the step's own top-level package and of ``eda`` (the framework plugins
build on), and stops at the standard library and third-party packages, whose versions are the
environment's business. Python's :mod:`modulefinder` does the same walk but resolves through the import
system and reads every third-party dependency too (seconds for torch), hence this small reader.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

__all__ = ["implementation_hash", "implementation_files"]

_FRAMEWORK = "eda"


def _root(top: str) -> Path | None:
    """The directory that holds the top-level module or package ``top`` (None if it is not on disk)."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.has_location:
        return None
    origin = Path(spec.origin)
    return origin.parent.parent if spec.submodule_search_locations else origin.parent


def _locate(module: str, roots: dict[str, Path | None]) -> Path | None:
    """The source file of ``module`` (``a/b.py`` or ``a/b/__init__.py`` under its top package's root);
    ``roots`` memoises :func:`_root` for one walk."""
    top = module.split(".")[0]
    if top not in roots:
        roots[top] = _root(top)
    root = roots[top]
    if root is None:
        return None
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=4096)
def _imports(path: Path, mtime_ns: int, size: int, module: str) -> tuple[str, ...]:
    """Absolute names of every module ``path`` (the source of ``module``) may import, anywhere in it."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return ()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1]) if node.level <= len(parts) else ""
                base = f"{parent}.{node.module}" if node.module else parent
            else:
                base = node.module or ""
            if base:
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return tuple(sorted(names))


def implementation_files(module: str) -> dict[str, Path]:
    """Module name -> source file of ``module`` and everything it imports inside its own top-level package
    and ``eda`` (with the ``__init__`` of every package on the way)."""
    follow = {module.split(".")[0], _FRAMEWORK}
    found: dict[str, Path] = {}
    roots: dict[str, Path | None] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in found or name.split(".")[0] not in follow:
            continue
        path = _locate(name, roots)
        if path is None:
            continue
        found[name] = path
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        stat = path.stat()
        todo.extend(_imports(path, stat.st_mtime_ns, stat.st_size, name))
    return found


def implementation_hash(module: str) -> str:
    """SHA-256 over the names and bytes of :func:`implementation_files` of ``module`` ("" when it has no
    source on disk, e.g. a class defined interactively)."""
    files = implementation_files(module)
    if not files:
        return ""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
