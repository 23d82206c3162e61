"""The SAR logic of one ADC group as an abstract block: boundary, pins and rails (an LVS black box).

The block is ``cols_per_adc`` columns wide and as tall as its logic needs (:func:`eda.acim.floorplan.
sar_height`). Pins: the comparator outputs ``OUTP``/``OUTN`` (met2, top edge, on the last column's c0/c4
slots where the comparator drops them), one met4 pin per DAC line ``DB<b>_<j>`` at the x where that line
leaves the block (top edge, from the :class:`~eda.acim.dacplan.DacPlan`), the result bits ``DOUT<b>``
(met3, bottom edge) and the full-width met1 rails ``CLK``, ``VDD``, ``VSS`` (they cross the tap columns).
Its behaviour is a successive-approximation register: on each ``CLK`` edge it latches ``OUTP > OUTN`` into
the current bit, drives the DAC lines of all its columns, and presents ``DOUT`` after ``adc_bits`` cycles.
"""

from __future__ import annotations

from eda.acim.celllib.cell import CellCanvas, DrawnCell
from eda.acim.celllib.grid import ColumnGrid
from eda.acim.dacplan import VSS_NET, DacPlan
from eda.layout.sky130 import R
from eda.tech import Tech

__all__ = ["sar_block", "SAR_RAILS"]

#: y centres (µm from the block's bottom) and widths of its met1 rails
SAR_RAILS: dict[str, tuple[float, float]] = {"VSS": (0.6, 0.48), "CLK": (1.3, 0.3), "VDD": (2.0, 0.48)}


def sar_block(
    tech: Tech, plan: DacPlan, height: float, grid: ColumnGrid | None = None, name: str | None = None
) -> DrawnCell:
    """The abstract SAR block of an ADC group whose DAC lines follow ``plan``."""
    grid = grid or ColumnGrid()
    k = plan.cols_per_adc
    name = name or f"sar_k{k}_b{plan.adc_bits}"
    cv = CellCanvas(name, tech, k * grid.pitch, height)
    last = (k - 1) * grid.pitch
    pin_h = 0.75  # pins of at least the met3/met4 minimum area (0.24 µm²)
    for net, slot in (("OUTP", 0), ("OUTN", 4)):
        x = last + grid.c(slot)
        cv.rect("met2", x - grid.met2_w / 2, height - pin_h, x + grid.met2_w / 2, height)
        cv.pin(net, "met2", x - grid.met2_w / 2, height - pin_h, x + grid.met2_w / 2, height)
    dac_ports = []
    half = (R.via3 + 2 * R.m4_via3) / 2
    for j, column in enumerate(plan.columns):
        for (net, _), track in zip(column.runs, column.tracks, strict=True):
            if net == VSS_NET:
                continue
            port = f"{net}_{j}"
            x = j * grid.pitch + grid.m4(track)
            cv.rect("met4", x - half, height - pin_h, x + half, height)
            cv.pin(port, "met4", x - half, height - pin_h, x + half, height)
            dac_ports.append(port)
    w3 = R.m3_w / 2 + 0.02
    for b in range(plan.adc_bits):  # spread evenly over the block's width
        x = (b + 0.5) * k * grid.pitch / plan.adc_bits
        cv.rect("met3", x - w3, 0, x + w3, pin_h)
        cv.pin(f"DOUT{b}", "met3", x - w3, 0, x + w3, pin_h)
    for net, (y, w) in SAR_RAILS.items():
        cv.hwire("met1", 0, k * grid.pitch, y, w)
        cv.pin(net, "met1", 0, y - w / 2, k * grid.pitch, y + w / 2)
    cv.rails.update({"VDD": SAR_RAILS["VDD"][0], "VSS": SAR_RAILS["VSS"][0]})
    ports = ["OUTP", "OUTN", *dac_ports, *[f"DOUT{b}" for b in range(plan.adc_bits)], "CLK", "VDD", "VSS"]
    behaviour = (
        "successive approximation register: on each CLK edge latches OUTP>OUTN into the current bit, "
        "drives the DAC lines DB<b>_<j> of its columns, DOUT<b> after adc_bits cycles"
    )
    drawn = cv.finish(
        "sar",
        ports,
        [],
        params={"columns": k, "adc_bits": plan.adc_bits, "behaviour": behaviour},
        extra_lines=["* abstract SAR logic (LVS black box)"],
    )
    drawn.meta["abstract"] = True
    drawn.meta["devices"] = 0
    return drawn
