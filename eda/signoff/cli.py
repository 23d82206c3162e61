"""``eda signoff drc``, ``eda signoff lvs`` and ``eda signoff render``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer()


DECK_HELP = (
    "own (the project's fast Python deck) | foundry (the SKY130 KLayout runset: $PDK_ROOT, else "
    "$EDA_SKY130_DECKS or ../shared/pdk/sky130) | the path of a KLayout runset. Default: the runset of "
    "the PDK under $PDK_ROOT when there is one (and no own-deck option is given), else own."
)

#: the options ``eda signoff drc`` and ``eda signoff lvs`` share: which deck, the own deck's tech.yaml, and the
#: report directory
DeckOption = Annotated[str | None, typer.Option("--deck", metavar="own|foundry|RUNSET", help=DECK_HELP)]
TechOption = Annotated[
    Path | None, typer.Option("--tech", help="tech.yaml of the own deck (default: bundled SKY130).")
]
ReportDirOption = Annotated[
    Path | None, typer.Option("--out", help="Report directory (default: beside the GDS).")
]


def _own_options(**given: object) -> list[str]:
    """The own-deck-only options that were given (``--tech``, ``--flat``, ``--subckt``)."""
    return [f"--{name}" for name, value in given.items() if value]


@app.command("drc")
def drc_command(
    gds: Annotated[Path, typer.Argument(help="Layout (GDS).")],
    deck: DeckOption = None,
    tech: TechOption = None,
    top: Annotated[str | None, typer.Option("--top", help="Top cell (default: the single top cell).")] = None,
    out: ReportDirOption = None,
    flat: Annotated[
        bool, typer.Option("--flat", help="Own deck: flat instead of hierarchical checking.")
    ] = False,
) -> None:
    """Check every rule of the deck; exit 1 when there are violations, 2 when the deck cannot run."""
    from eda.signoff.deck import choose_runset, drc_with_deck

    runset = choose_runset("drc", deck, base=Path.cwd(), own_options=_own_options(tech=tech, flat=flat))
    report = drc_with_deck(
        gds, runset, out or gds.parent, f"{gds.stem}.drc", tech=tech, top=top, deep=not flat
    )
    typer.echo(report.text())
    if not report.clean:
        raise typer.Exit(1)


@app.command("lvs")
def lvs_command(
    gds: Annotated[Path, typer.Argument(help="Layout (GDS).")],
    netlist: Annotated[Path, typer.Argument(help="Reference SPICE netlist.")],
    deck: DeckOption = None,
    tech: TechOption = None,
    subckt: Annotated[
        str | None, typer.Option("--subckt", help="Own deck: top subcircuit (default: the top cell name).")
    ] = None,
    out: ReportDirOption = None,
) -> None:
    """Extract the layout and compare with the netlist; exit 1 on mismatch, 2 when the deck cannot run."""
    from eda.signoff.deck import choose_runset, lvs_with_deck

    runset = choose_runset("lvs", deck, base=Path.cwd(), own_options=_own_options(tech=tech, subckt=subckt))
    report = lvs_with_deck(
        gds, netlist, runset, out or gds.parent, f"{gds.stem}.lvs", tech=tech, subckt=subckt
    )
    typer.echo(report.text())
    if not report.match:
        raise typer.Exit(1)


@app.command("render")
def render_command(
    gds: Annotated[Path, typer.Argument(help="Layout (GDS).")],
    png: Annotated[Path | None, typer.Option("--out", help="PNG path (default: GDS name .png).")] = None,
    width: Annotated[int, typer.Option(help="Image width (pixels).")] = 1200,
    height: Annotated[int, typer.Option(help="Image height (pixels).")] = 900,
    lyp: Annotated[
        Path | None,
        typer.Option("--lyp", help="KLayout layer properties (default: the shipped SKY130 .lyp)."),
    ] = None,
) -> None:
    """Render the layout to a PNG with KLayout, layers named and coloured by a .lyp file."""
    from eda.signoff.render import render_png

    typer.echo(
        str(render_png(gds, png or gds.with_suffix(".png"), width=width, height=height, layer_properties=lyp))
    )
