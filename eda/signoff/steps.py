"""Sign-off steps ``signoff.drc`` and ``signoff.lvs`` (violations make the run exit with code 1)."""

from __future__ import annotations

from pydantic import Field

from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult

__all__ = ["SignoffDrc", "SignoffLvs"]


def _tech(ctx: StepContext) -> object:
    from eda.acim.steps import resolve_library

    tech = ctx.optional_input("tech")
    if tech is not None:
        return tech
    if ctx.params.library:
        lib = resolve_library(ctx.params.library, ctx.flow_dir)
        return lib / "tech.yaml" if lib else None
    from eda.acim.library import default_library_dir

    return default_library_dir() / "tech.yaml"


@register
class SignoffDrc(Step):
    """Design-rule check of a GDS (hierarchical klayout region checks); violations fail the run."""

    name = "signoff.drc"
    version = "1"
    inputs = {"gds": "layout to check", "tech": "tech.yaml (default: the library's or bundled SKY130)"}
    optional_inputs = frozenset({"tech"})
    outputs = {"report": "drc.json", "text": "drc.txt", "markers": "drc.lyrdb"}

    class Params(StepParams):
        library: str | None = Field(default=None, description="take tech.yaml from this cell library")
        top: str | None = None
        flat: bool = False

    def run(self, ctx: StepContext) -> StepResult:
        from eda.signoff.drc import run_drc

        report = run_drc(ctx.input("gds"), _tech(ctx), top=ctx.params.top, deep=not ctx.params.flat,
                         rdb_path=ctx.workdir / "drc.lyrdb")
        report.write(ctx.workdir, "drc")
        ctx.log.info(report.text())
        return StepResult(outputs={"report": "drc.json", "text": "drc.txt", "markers": "drc.lyrdb"},
                          metrics={"signoff__drc__violations": report.total,
                                   "signoff__drc__seconds": round(report.seconds, 3)},
                          violations=report.total)


@register
class SignoffLvs(Step):
    """Layout versus schematic (klayout MOS + capacitor extraction); a mismatch fails the run."""

    name = "signoff.lvs"
    version = "1"
    inputs = {"gds": "layout", "netlist": "reference SPICE netlist", "tech": "tech.yaml"}
    optional_inputs = frozenset({"tech"})
    outputs = {"report": "lvs.json", "text": "lvs.txt"}

    class Params(StepParams):
        library: str | None = Field(default=None, description="take tech.yaml from this cell library")
        subckt: str | None = None

    def run(self, ctx: StepContext) -> StepResult:
        from eda.signoff.lvs import run_lvs

        report = run_lvs(ctx.input("gds"), ctx.input("netlist"), _tech(ctx), subckt=ctx.params.subckt)
        report.write(ctx.workdir, "lvs")
        ctx.log.info(report.text())
        return StepResult(outputs={"report": "lvs.json", "text": "lvs.txt"},
                          metrics={"signoff__lvs__match": int(report.match),
                                   "signoff__lvs__devices": report.devices_layout,
                                   "signoff__lvs__seconds": round(report.seconds, 3)},
                          violations=0 if report.match else 1)
