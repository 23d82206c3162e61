"""The package's layering: no import cycle between eda's subpackages, and the flow engine names no domain.

The import graph is read from the source (every import statement, at module level or inside a function),
so a cycle hidden behind a function-level import is found too. Each subpackage of ``eda`` is a node, each
top-level module (``eda.errors``, ``eda.limits``, ...) is one; ``eda.cli`` mounts every domain's commands
and is left out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

import eda

ROOT = Path(eda.__file__).resolve().parent
#: the domain subpackages the flow engine must not import (it finds their steps by name / entry point)
DOMAINS = ("pdn", "irdrop", "acim", "workloads", "signoff", "macro", "report", "layout", "tech")


def _node(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "eda" or len(parts) < 2:
        return None
    if (ROOT / parts[1]).is_dir():
        return parts[1]
    return f"eda.{parts[1]}" if (ROOT / f"{parts[1]}.py").is_file() else None


def _import_graph() -> tuple[nx.DiGraph, dict[tuple[str, str], set[str]]]:
    graph: nx.DiGraph = nx.DiGraph()
    where: dict[tuple[str, str], set[str]] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        if module == "eda.cli" or module == "eda":
            continue
        source = _node(module)
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                target = _node(name)
                if target and source and target != source and target != "eda.cli":
                    graph.add_edge(source, target)
                    where.setdefault((source, target), set()).add(str(path.relative_to(ROOT.parent)))
    return graph, where


def test_no_import_cycle_between_subpackages():
    graph, where = _import_graph()
    cycles = list(nx.simple_cycles(graph))
    detail = [
        " -> ".join(c + [c[0]])
        + ": "
        + "; ".join(f"{a}->{b} in {sorted(where[(a, b)])}" for a, b in zip(c, c[1:] + [c[0]], strict=True))
        for c in cycles
    ]
    assert not cycles, "\n".join(detail)


def test_flow_engine_imports_no_domain_package():
    graph, where = _import_graph()
    domains = [d for d in graph.successors("flow") if d in DOMAINS] if "flow" in graph else []
    assert not domains, {d: sorted(where[("flow", d)]) for d in domains}


def test_flow_engine_names_no_domain_package():
    """Not even as a string (a module list, an import by name): built-in steps come from entry points."""
    pattern = re.compile(r"\beda\.(" + "|".join(DOMAINS) + r")\b")
    named = {
        str(path.relative_to(ROOT.parent)): sorted(set(pattern.findall(path.read_text())))
        for path in sorted((ROOT / "flow").rglob("*.py"))
    }
    assert not {path: names for path, names in named.items() if names}
