"""PNG render of a layout with ``klayout.lay.LayoutView`` (headless)."""

from __future__ import annotations

from pathlib import Path

from eda.errors import DataError, UserError
from eda.limits import check_limit
from eda.signoff.gdsfile import check_gds

__all__ = ["render_png"]


def render_png(gds: str | Path, png: str | Path, *, width: int = 1200, height: int = 900,
               max_depth: int = 20) -> Path:
    """Draw all layers of ``gds`` (full hierarchy down to ``max_depth``) into ``png``; returns the path.

    A missing, non-GDS or truncated ``gds`` and a ``png`` naming a directory are :class:`DataError` /
    :class:`~eda.errors.UserError` (exit code 2), not crashes."""
    import klayout.lay as lay

    from eda.paths import output_file

    if width < 1 or height < 1:
        raise UserError(f"image size {width} x {height} pixels must be positive", where="--width/--height")
    check_limit("render_pixels", width * height, what=f"a {width} x {height} render")
    gds = check_gds(gds)
    png = output_file(png)
    view = lay.LayoutView()
    try:
        view.load_layout(str(gds), True)
    except (RuntimeError, ValueError) as exc:
        raise DataError(f"the GDS file is corrupt: {str(exc).splitlines()[0]}", where=str(gds),
                        hint="regenerate or re-copy the layout") from None
    view.max_hier_levels = max_depth
    view.zoom_fit()
    view.save_image(str(png), width, height)
    return png
