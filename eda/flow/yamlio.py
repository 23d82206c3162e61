"""Safe YAML reading that keeps line numbers and never turns ``no``/``on``/``yes`` into booleans.

YAML 1.1 (PyYAML's default) reads ``no`` as ``False`` — a layer called ``no`` or a country code would
silently change type. Here only ``true``/``false`` (any case) are booleans, as in YAML 1.2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from eda.errors import FlowError, LimitError
from eda.limits import check_limit, limit

__all__ = ["StrictBoolLoader", "load_yaml", "parse_yaml", "decode_text", "YamlDocument", "parse_scalar"]


class StrictBoolLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only ``true``/``false``."""


StrictBoolLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictBoolLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


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
    """Read a YAML file safely; syntax errors become :class:`FlowError` naming file and line.

    Refused with a clear message: a missing path or a directory, a file above the ``yaml_bytes`` limit,
    bytes that are not UTF-8 (the line and column of the first bad byte), binary data, and documents
    that expand past the ``yaml_nodes`` limit through aliases (see :mod:`eda.limits`).
    """
    path = Path(path)
    if path.is_dir():
        raise FlowError(
            f"'{path}' is a directory, not a YAML file", hint="give the path of the .yaml file itself"
        )
    try:
        size = path.stat().st_size
        check_limit("yaml_bytes", size, what="this YAML file", where=str(path))
        raw = path.read_bytes()
    except OSError as exc:
        raise FlowError(
            f"cannot read '{path}': {exc.strerror or exc}",
            hint="check the path" if not path.exists() else "check the file's permissions",
        ) from None
    return parse_yaml(decode_text(raw, str(path), kind="YAML"), str(path))


def decode_text(raw: bytes, source: str, *, kind: str = "text") -> str:
    """``raw`` as UTF-8 text (a leading byte-order mark dropped); binary data or an invalid byte is a
    :class:`FlowError` naming ``source:line:column`` and the byte."""
    if b"\0" in raw[:65536]:
        raise FlowError(
            f"binary data, not a {kind} file",
            where=source,
            hint=f"give a {kind} file (this one holds NUL bytes: an image, archive or program?)",
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FlowError(
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
            where=f"{source}:{line}:{column}",
            hint="save the file as UTF-8 (it looks like Latin-1 or another legacy encoding; "
            "e.g. iconv -f latin1 -t utf-8)",
        ) from None


def _expanded_size(node: yaml.Node, budget: int) -> int:
    """Nodes of ``node`` with every alias expanded (memoised per node, stops as soon as ``budget`` is
    exceeded so a "billion laughs" document costs as much as its text)."""
    memo: dict[int, int] = {}

    def size(item: yaml.Node) -> int:
        key = id(item)
        if key in memo:
            return memo[key]
        memo[key] = 1  # a recursive alias counts once (PyYAML refuses to construct it anyway)
        total = 1
        if isinstance(item, yaml.SequenceNode):
            children: list[yaml.Node] = list(item.value)
        elif isinstance(item, yaml.MappingNode):
            children = [n for pair in item.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > budget:
                break
        memo[key] = total
        return total

    return size(node)


def parse_yaml(text: str, source: str = "<string>") -> YamlDocument:
    """Parse YAML text (see :func:`load_yaml`)."""
    try:
        node = yaml.compose(text, Loader=StrictBoolLoader)
        if node is not None:
            budget = limit("yaml_nodes")
            check_limit(
                "yaml_nodes",
                _expanded_size(node, budget),
                where=source,
                counted_to=True,
                what="this YAML document (aliases expanded)",
            )
        data = yaml.load(text, Loader=StrictBoolLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = exc.problem or exc.context or "invalid YAML"
        raise FlowError(
            f"YAML syntax error: {problem}",
            where=where,
            hint="check indentation, colons and quotes around that line",
        ) from None
    except yaml.reader.ReaderError as exc:
        raise FlowError(
            f"character {exc.character!r} is not allowed in YAML",
            where=source,
            hint="remove control characters; YAML files are plain UTF-8 text",
        ) from None
    except yaml.YAMLError as exc:
        raise FlowError(f"YAML error: {exc}", where=source) from None
    except RecursionError:
        raise FlowError("YAML nested too deeply", where=source, hint="flatten the structure") from None
    return YamlDocument(data, node, source)


def parse_scalar(text: str) -> Any:
    """Parse a command-line value (``--set a.b=VALUE``) the way the flow file would (same limits)."""
    if not text.strip():
        return ""
    try:
        return parse_yaml(text, "--set value").data
    except FlowError as exc:
        if isinstance(exc, LimitError):
            raise
        return text
