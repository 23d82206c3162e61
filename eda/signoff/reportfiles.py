"""Writing a check's report as ``<stem>.json`` (machine-readable) and ``<stem>.txt`` (for people)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["write_report_files"]


def write_report_files(out_dir: str | Path, stem: str, data: dict[str, Any], text: str) -> dict[str, Path]:
    """Write ``<stem>.json`` and ``<stem>.txt`` into ``out_dir``; returns ``{"json": path, "text": path}``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "text": out / f"{stem}.txt"}
    paths["json"].write_text(json.dumps(data, indent=1))
    paths["text"].write_text(text + "\n")
    return paths
