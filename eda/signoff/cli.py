"""``eda signoff drc``, ``eda signoff lvs`` and ``eda signoff render``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer()


@app.command("drc")
def drc_command(
    gds: Annotated[Path, typer.Argument(help="Layout (GDS).")],
    tech: Annotated[Path | None, typer.Option("--tech", help="tech.yaml (default: bundled SKY130).")] = None,
    top: Annotated[str | None, typer.Option("--top", help="Top cell (default: the single top cell).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Report directory (default: beside the GDS).")] = None,
    flat: Annotated[bool, typer.Option("--flat", help="Flat instead of hierarchical checking.")] = False,
) -> None:
    """Check every rule of the technology; exit 1 when there are violations."""
    from eda.signoff.drc import run_drc

    out = out or gds.parent
    out.mkdir(parents=True, exist_ok=True)
    report = run_drc(gds, tech, top=top, deep=not flat, rdb_path=out / f"{gds.stem}.drc.lyrdb")
    report.write(out, f"{gds.stem}.drc")
    typer.echo(report.text())
    if not report.clean:
        raise typer.Exit(1)


@app.command("lvs")
def lvs_command(
    gds: Annotated[Path, typer.Argument(help="Layout (GDS).")],
    netlist: Annotated[Path, typer.Argument(help="Reference SPICE netlist.")],
    tech: Annotated[Path | None, typer.Option("--tech", help="tech.yaml (default: bundled SKY130).")] = None,
    subckt: Annotated[str | None, typer.Option("--subckt", help="Top subcircuit (default: the top cell name).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Report directory (default: beside the GDS).")] = None,
) -> None:
    """Extract the layout and compare with the netlist; exit 1 on mismatch."""
    from eda.signoff.lvs import run_lvs

    report = run_lvs(gds, netlist, tech, subckt=subckt)
    report.write(out or gds.parent, f"{gds.stem}.lvs")
    typer.echo(report.text())
    if not report.match:
        raise typer.Exit(1)


@app.command("render")
def render_command(
    gds: Annotated[Path, typer.Argument(help="Layout (GDS).")],
    png: Annotated[Path | None, typer.Option("--out", help="PNG path (default: GDS name .png).")] = None,
    width: Annotated[int, typer.Option(help="Image width (pixels).")] = 1200,
    height: Annotated[int, typer.Option(help="Image height (pixels).")] = 900,
) -> None:
    """Render the layout to a PNG with KLayout."""
    from eda.signoff.render import render_png

    typer.echo(str(render_png(gds, png or gds.with_suffix(".png"), width=width, height=height)))
