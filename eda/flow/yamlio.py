"""Safe YAML reading that keeps line numbers and never turns ``no``/``on``/``yes`` into booleans.

YAML 1.1 (PyYAML's default) reads ``no`` as ``False`` — a layer called ``no`` or a country code would
silently change type. Here only ``true``/``false`` (any case) are booleans, as in YAML 1.2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from eda.errors import FlowError

__all__ = ["StrictBoolLoader", "load_yaml", "YamlDocument", "parse_scalar"]


class StrictBoolLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only ``true``/``false``."""


StrictBoolLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictBoolLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class YamlDocument:
    """A parsed YAML file: its data plus a way to find the line of any key path."""

    def __init__(self, data: Any, node: yaml.Node | None, source: str) -> None:
        self.data = data
        self.node = node
        self.source = source

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """1-based line of the deepest node that ``path`` (keys and list indices) reaches."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == str(part):
                        line = key_node.start_mark.line + 1
                        node = value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def where(self, path: tuple[Any, ...]) -> str:
        """``file:line`` for a key path."""
        line = self.line_of(path)
        return f"{self.source}:{line}" if line else self.source


def load_yaml(path: Path | str) -> YamlDocument:
    """Read a YAML file safely; syntax errors become :class:`FlowError` naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError(f"cannot read '{path}': {exc.strerror or exc}") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str = "<string>") -> YamlDocument:
    """Parse YAML text (see :func:`load_yaml`)."""
    try:
        node = yaml.compose(text, Loader=StrictBoolLoader)
        data = yaml.load(text, Loader=StrictBoolLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = exc.problem or exc.context or "invalid YAML"
        raise FlowError(f"YAML syntax error: {problem}", where=where,
                        hint="check indentation, colons and quotes around that line") from None
    except yaml.YAMLError as exc:
        raise FlowError(f"YAML error: {exc}", where=source) from None
    return YamlDocument(data, node, source)


def parse_scalar(text: str) -> Any:
    """Parse a command-line value (``--set a.b=VALUE``) the way the flow file would."""
    try:
        return yaml.load(text, Loader=StrictBoolLoader) if text.strip() else ""
    except yaml.YAMLError:
        return text
