"""PNG render of a layout with ``klayout.lay.LayoutView`` (headless)."""

from __future__ import annotations

from pathlib import Path

from eda.errors import DataError

__all__ = ["render_png"]


def render_png(gds: str | Path, png: str | Path, *, width: int = 1200, height: int = 900,
               max_depth: int = 20) -> Path:
    """Draw all layers of ``gds`` (full hierarchy down to ``max_depth``) into ``png``; returns the path."""
    import klayout.lay as lay

    gds, png = Path(gds), Path(png)
    if not gds.is_file():
        raise DataError(f"GDS file not found: {gds}")
    view = lay.LayoutView()
    view.load_layout(str(gds), True)
    view.max_hier_levels = max_depth
    view.zoom_fit()
    png.parent.mkdir(parents=True, exist_ok=True)
    view.save_image(str(png), width, height)
    return png
