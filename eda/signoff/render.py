"""PNG render of a layout with ``klayout.lay.LayoutView`` (headless)."""

from __future__ import annotations

from pathlib import Path

from eda.errors import DataError, UserError
from eda.limits import check_limit
from eda.shipped import klayout_files
from eda.signoff.gdsfile import check_gds

__all__ = ["render_png"]


def render_png(
    gds: str | Path,
    png: str | Path,
    *,
    width: int = 1200,
    height: int = 900,
    max_depth: int = 20,
    layer_properties: str | Path | None = None,
) -> Path:
    """Draw all layers of ``gds`` (full hierarchy down to ``max_depth``) into ``png``; returns the path.

    Layers are named and coloured by ``layer_properties`` (a KLayout ``.lyp``; default: the shipped SKY130
    one, :func:`eda.shipped.klayout_files`); layers it does not list are drawn in KLayout's default style.

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
        raise DataError(
            f"the GDS file is corrupt: {str(exc).splitlines()[0]}",
            where=str(gds),
            hint="regenerate or re-copy the layout",
        ) from None
    lyp = Path(layer_properties) if layer_properties is not None else klayout_files()[0]
    if not lyp.is_file():
        raise UserError(
            f"layer-properties file '{lyp}' not found",
            where="--lyp",
            hint="give a KLayout .lyp file, or leave the option out for the shipped SKY130 one",
        )
    view.load_layer_props(str(lyp), True)  # True: add the layers the file does not list
    view.max_hier_levels = max_depth
    view.zoom_fit()
    view.save_image(str(png), width, height)
    return png
