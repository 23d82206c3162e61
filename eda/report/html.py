"""A self-contained HTML report: sections of text, tables and images embedded as base64 (opens from disk)."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Section", "Report", "table_html", "image_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2430}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;border-bottom:1px solid #dde;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem} td,th{border:1px solid #ccd;padding:.25rem .6rem;text-align:right}
th{background:#f2f4f8} td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #dde;margin:.3rem 0} figure{display:inline-block;margin:.4rem;vertical-align:top;max-width:48%}
figcaption{font-size:.85rem;color:#556} .pass{color:#17813a;font-weight:600} .fail{color:#b3261e;font-weight:600}
.missing{color:#9a6700;font-weight:600} .scroll{overflow-x:auto;max-width:100%} .muted{color:#667} code{background:#f2f4f8;padding:0 .2rem}
"""


def _cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value)
    css = text.lower() if text.lower() in ("pass", "fail", "missing") else ""
    return f'<td class="{css}">{html.escape(text)}</td>' if css else f"<td>{html.escape(text)}</td>"


def table_html(rows: list[dict[str, Any]], columns: list[str] | None = None, *, table_id: str = "") -> str:
    """An HTML table of ``rows`` (dicts); ``columns`` picks and orders the keys."""
    if not rows:
        return '<p class="muted">(no rows)</p>'
    columns = columns or list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(r.get(c, "")) for c in columns) + "</tr>" for r in rows)
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def image_html(path: Path, caption: str, *, image_id: str = "") -> str:
    """A figure with the PNG at ``path`` embedded as a data URI (the page needs no other files)."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    ident = f' id="{image_id}"' if image_id else ""
    return (
        f'<figure><img{ident} alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


@dataclass
class Section:
    """One report section: a title, an anchor id and an HTML body."""

    title: str
    anchor: str
    body: str


@dataclass
class Report:
    """A report page being assembled."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)

    def add(self, title: str, anchor: str, body: str) -> None:
        self.sections.append(Section(title, anchor, body))

    def render(self) -> str:
        nav = " · ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in self.sections)
        parts = [
            f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{s.body}</section>'
            for s in self.sections
        ]
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            f'<h1>{html.escape(self.title)}</h1><p class="muted">{html.escape(self.subtitle)}</p>'
            f"<nav>{nav}</nav>{''.join(parts)}</body></html>\n"
        )

    def write(self, path: Path, metrics: dict[str, Any] | None = None) -> Path:
        """Write the page (and ``metrics.json`` beside it when given)."""
        path.write_text(self.render(), encoding="utf-8")
        if metrics is not None:
            (path.parent / "report_metrics.json").write_text(
                json.dumps(metrics, indent=2, default=str) + "\n"
            )
        return path
