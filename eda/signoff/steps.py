"""Sign-off steps ``signoff.drc`` and ``signoff.lvs`` (violations make the run exit with code 1).

Both take ``deck`` (own | foundry | a runset path; see :mod:`eda.signoff.deck`) and report which deck ran
in the metrics ``signoff__drc__deck`` / ``signoff__lvs__deck`` (``own`` or the runset's file name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult

__all__ = ["SignoffDrc", "SignoffLvs"]


def _tech(ctx: StepContext) -> object:
    from eda.shipped import default_library_dir, resolve_library

    tech = ctx.optional_input("tech")
    if tech is not None:
        return tech
    if ctx.params.library:
        lib = resolve_library(ctx.params.library, ctx.flow_dir)
        return lib / "tech.yaml" if lib else None
    return default_library_dir() / "tech.yaml"


DECK_DESCRIPTION = (
    "own (the project's Python deck) | foundry (the SKY130 KLayout runset: $PDK_ROOT, else "
    "$EDA_SKY130_DECKS or ../shared/pdk/sky130) | path of a KLayout runset (relative to the flow "
    "file); default: the runset under $PDK_ROOT when present and no own-deck option is set, "
    "else own"
)


class _DeckParams(StepParams):
    """The parameters both checks share: which deck runs, and the cell library whose ``tech.yaml`` the own
    deck reads."""

    deck: str | None = Field(default=None, description=DECK_DESCRIPTION)
    library: str | None = Field(default=None, description="own deck: take tech.yaml from this cell library")


def _own_options(ctx: StepContext, **flags: bool) -> list[str]:
    """The parameters and inputs given that only the own deck understands."""
    given = [name for name, value in flags.items() if value]
    if ctx.params.library:
        given.append("library")
    if ctx.optional_input("tech") is not None:
        given.append("input tech")
    return given


def _runset(ctx: StepContext, check: Literal["drc", "lvs"], **flags: bool) -> Path | None:
    """The runset the step runs (``None``: the own deck), from its ``deck`` parameter."""
    from eda.signoff.deck import choose_runset

    return choose_runset(check, ctx.params.deck, base=ctx.flow_dir, own_options=_own_options(ctx, **flags))


@register
class SignoffDrc(Step):
    """Design-rule check of a GDS (the own klayout region deck or a foundry runset); violations fail the run."""

    name = "signoff.drc"
    version = "2"
    inputs = {
        "gds": "layout to check",
        "tech": "tech.yaml of the own deck (default: the library's or bundled SKY130)",
    }
    optional_inputs = frozenset({"tech"})
    outputs = {
        "report": "drc.json",
        "text": "drc.txt",
        "markers": "drc.lyrdb",
        "log": "drc.log (klayout, runsets only)",
    }
    optional_outputs = frozenset({"log"})

    class Params(_DeckParams):
        top: str | None = Field(
            default=None, description="top cell to check (default: the GDS's single top cell)"
        )
        flat: bool = Field(default=False, description="own deck: flat instead of hierarchical checking")

    def run(self, ctx: StepContext) -> StepResult:
        from eda.signoff.deck import deck_label, drc_with_deck

        runset = _runset(ctx, "drc", flat=ctx.params.flat)
        report = drc_with_deck(
            ctx.input("gds"),
            runset,
            ctx.workdir,
            "drc",
            tech=_tech(ctx) if runset is None else None,
            top=ctx.params.top,
            deep=not ctx.params.flat,
        )
        ctx.log.info(report.text())
        outputs = {"report": "drc.json", "text": "drc.txt", "markers": "drc.lyrdb"}
        if runset is not None:
            outputs["log"] = "drc.log"
        return StepResult(
            outputs=outputs,
            metrics={
                "signoff__drc__violations": report.total,
                "signoff__drc__seconds": round(report.seconds, 3),
                "signoff__drc__deck": deck_label(runset),
            },
            violations=report.total,
        )


@register
class SignoffLvs(Step):
    """Layout versus schematic (the own klayout extraction or a foundry runset); a mismatch fails the run."""

    name = "signoff.lvs"
    version = "2"
    inputs = {"gds": "layout", "netlist": "reference SPICE netlist", "tech": "tech.yaml of the own deck"}
    optional_inputs = frozenset({"tech"})
    outputs = {
        "report": "lvs.json",
        "text": "lvs.txt",
        "lvsdb": "lvs.lvsdb (runsets only)",
        "extracted": "lvs.extracted.cir (runsets only)",
        "log": "lvs.log (klayout, runsets only)",
    }
    optional_outputs = frozenset({"lvsdb", "extracted", "log"})

    class Params(_DeckParams):
        subckt: str | None = Field(
            default=None, description="own deck: top subcircuit (default: the top cell)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.signoff.deck import deck_label, lvs_with_deck

        runset = _runset(ctx, "lvs", subckt=bool(ctx.params.subckt))
        report = lvs_with_deck(
            ctx.input("gds"),
            ctx.input("netlist"),
            runset,
            ctx.workdir,
            "lvs",
            tech=_tech(ctx) if runset is None else None,
            subckt=ctx.params.subckt,
        )
        ctx.log.info(report.text())
        outputs = {"report": "lvs.json", "text": "lvs.txt"}
        if runset is not None:
            outputs |= {"lvsdb": "lvs.lvsdb", "extracted": "lvs.extracted.cir", "log": "lvs.log"}
        return StepResult(
            outputs=outputs,
            metrics={
                "signoff__lvs__match": int(report.match),
                "signoff__lvs__devices": report.devices_layout,
                "signoff__lvs__seconds": round(report.seconds, 3),
                "signoff__lvs__deck": deck_label(runset),
            },
            violations=0 if report.match else 1,
        )
