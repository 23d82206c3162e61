"""Metal finger (MOM) compute capacitor: geometry, capacitance from geometry, and drawing.

The capacitor is a checkerboard of vertical fingers on met1 and met2: on met1 the fingers alternate
CTOP, CB, CTOP ...; on met2 each finger lies above a met1 finger of the other terminal. CTOP fingers hang
from a top bus, CB fingers rise from a bottom bus (buses on both layers, joined by via1). Within the
*finger region* (marked on the ``momcap`` ID layer for LVS) every finger couples

* laterally to its neighbours on the same layer: ``c_side = eps0 * eps_r * t_metal / s`` per µm, and
* vertically to the finger above/below: ``c_plate = eps0 * eps_r * w / t_ild`` per µm,

so ``C = L * [sum_layers (n - 1) * c_side + n * c_plate]`` with ``n`` fingers of length ``L``. These are
first-order parallel-plate values (no fringe), consistent between the drawing, the netlist and the LVS
extraction (which counts met1/met2 overlap area in the marker with the equivalent area coefficient).
The bottom plate CB reaches the column's DAC line ``DB<bit>`` (met4) through via2 + met3 + via3, or the
VSS rail for capacitors outside the DAC (``bit=None``).
"""

from __future__ import annotations

import math
from typing import Any

import gdstk

from eda.layout.cellgen import CompiledCell, G, rect, square, track_y
from eda.tech import Tech

__all__ = ["EPS0_FF_PER_UM", "momcap_params", "draw_momcap", "momcap_length"]

#: vacuum permittivity in fF/µm
EPS0_FF_PER_UM = 8.8541878128e-3

FINGER_W = 0.14  # m1.1 / m2.1
FINGER_S = 0.14  # m1.2 / m2.2
BUS_H = 0.30
GAP = 0.20  # finger end to the other bus
X0 = 2.9  # left edge of the finger field (right of BLB, under CTOP/CBL)
Y_BUS_CB = 4.4  # bottom bus centre (rails on tracks 0, 1 below)
LENGTH_STEP = 0.01


def momcap_params(tech: Tech, pitch: float, plan: Any, fingers: int) -> dict[str, float]:
    """Capacitance per µm of finger length and the fixed overhead height of the cap cell."""
    eps = EPS0_FF_PER_UM * float(tech.data.get("eps_r", 3.9))
    c_side = sum(eps * tech.prop(layer, "thickness_um") / FINGER_S for layer in ("met1", "met2"))
    c_plate = eps * FINGER_W / tech.prop("met2", "ild_below_um")
    c_per_um = (fingers - 1) * c_side + fingers * c_plate
    y_m0 = Y_BUS_CB + BUS_H / 2 + GAP
    overhead = y_m0 + GAP + BUS_H + G.top_margin
    field_w = fingers * (FINGER_W + FINGER_S)
    return {"fingers": fingers, "finger_w_um": FINGER_W, "finger_s_um": FINGER_S,
            "c_per_um_fF": round(c_per_um, 6), "c0_fF": 0.0, "overhead_um": round(overhead, 4),
            "min_length_um": 0.5, "length_step_um": LENGTH_STEP,
            "density_fF_per_um2": round(c_per_um / field_w, 6),
            "lvs_area_cap_fF_per_um2": round(c_per_um / (fingers * FINGER_W), 6)}


def momcap_length(params: dict[str, float], cap_fF: float) -> float:
    """Finger length (µm, on the length grid) for a capacitance of at least ``cap_fF``."""
    length = max(params["min_length_um"], (cap_fF - params["c0_fF"]) / params["c_per_um_fF"])
    return round(math.ceil(round(length / params["length_step_um"], 6)) * params["length_step_um"], 4)


def draw_momcap(name: str, tech: Tech, pitch: float, plan: Any, params: dict[str, float], cap_fF: float,
                bit: int | None = 0) -> CompiledCell:
    """Draw the cap cell for ``cap_fF`` whose bottom plate goes to ``DB<bit>`` (or VSS if ``bit`` is None)."""
    L = {n: tech.gds(n) for n in tech.layers}
    cell = gdstk.Cell(name)
    n = int(params["fingers"])
    length = momcap_length(params, cap_fF)
    height = round(params["overhead_um"] + length, 4)
    y_m0 = Y_BUS_CB + BUS_H / 2 + GAP
    y_m1 = y_m0 + length
    y_ct = y_m1 + GAP + BUS_H / 2
    pitch_f = FINGER_W + FINGER_S
    x_end = X0 + n * pitch_f - FINGER_S
    pins: list[dict[str, Any]] = []

    def pin(net: str, layer: str, x0: float, y0: float, x1: float, y1: float, use: str = "signal") -> None:
        lab = tech.label(layer)
        cell.add(gdstk.Label(net, ((x0 + x1) / 2, (y0 + y1) / 2), layer=lab[0], texttype=lab[1]))
        pins.append({"name": net, "layer": layer, "rect": [round(v, 4) for v in (x0, y0, x1, y1)], "use": use})

    # rails (VDD track 0, VSS track 1) and pass-through column lines
    for net, index in (("VDD", 0), ("VSS", 1)):
        y = track_y(index)
        rect(cell, L["met2"], 0, y - G.track_w / 2, pitch, y + G.track_w / 2)
        pin(net, "met2", 0, y - G.track_w / 2, 0.3, y + G.track_w / 2, "power" if net == "VDD" else "ground")
    w = G.col_w / 2
    for net in ("BL", "BLB", "CBL"):
        x = getattr(plan, net)
        rect(cell, L["met3"], x - w, 0, x + w, height)
        pin(net, "met3", x - w, height - 0.4, x + w, height)
    for b in range(8):
        x = plan.db(b)
        rect(cell, L["met4"], x - w, 0, x + w, height)
        pin(f"DB{b}", "met4", x - w, height - 0.4, x + w, height)
    # buses on met1 + met2, joined by via1
    cb_x1 = plan.db(bit) + 0.2 if bit is not None else x_end
    for layer in ("met1", "met2"):
        rect(cell, L[layer], X0, Y_BUS_CB - BUS_H / 2, cb_x1 if layer == "met2" else x_end, Y_BUS_CB + BUS_H / 2)
        rect(cell, L[layer], plan.CTOP - 0.15 if layer == "met2" else X0, y_ct - BUS_H / 2, x_end, y_ct + BUS_H / 2)
    x = X0 + 0.2
    while x + 0.2 <= x_end:
        square(cell, L["via"], x, Y_BUS_CB, G.via1)
        square(cell, L["via"], x, y_ct, G.via1)
        x += 0.4
    # fingers: met1 even = CTOP, met2 even = CB (checkerboard)
    for i in range(n):
        x0 = X0 + i * pitch_f
        for layer, top in (("met1", i % 2 == 0), ("met2", i % 2 == 1)):
            if top:
                rect(cell, L[layer], x0, y_m0, x0 + FINGER_W, y_ct)
            else:
                rect(cell, L[layer], x0, Y_BUS_CB, x0 + FINGER_W, y_m1)
    rect(cell, L["momcap"], X0, y_m0, x_end, y_m1)
    # top plate to the CTOP column line (met3, from the bus to the top edge)
    square(cell, L["via2"], plan.CTOP, y_ct, G.via2)
    rect(cell, L["met3"], plan.CTOP - w, y_ct - G.col_end, plan.CTOP + w, height)
    pin("CTOP", "met3", plan.CTOP - w, height - 0.4, plan.CTOP + w, height)
    # bottom plate to DB<bit> (via2 + met3 pad + via3) or to the VSS rail
    if bit is not None:
        x = plan.db(bit)
        square(cell, L["via2"], x, Y_BUS_CB, G.via2)
        rect(cell, L["met3"], x - 0.17, Y_BUS_CB - 0.36, x + 0.17, Y_BUS_CB + 0.36)
        square(cell, L["via3"], x, Y_BUS_CB, G.via3)
        bottom = f"DB{bit}"
    else:
        rect(cell, L["met2"], X0, track_y(1), X0 + 0.4, Y_BUS_CB)
        bottom = "VSS"
    rect(cell, L["boundary"], 0, 0, pitch, height)
    cap = params["c_per_um_fF"] * length
    through = ["BL", "BLB", "CBL", *[f"DB{b}" for b in range(8) if b != bit]]
    ports = (["CTOP", bottom] if bottom != "VSS" else ["CTOP"]) + ["VDD", "VSS", *through]
    meta = {"name": name, "role": "cap", "width_um": round(pitch, 4), "height_um": height, "ports": ports,
            "pins": pins, "rails": {"VDD": track_y(0), "VSS": track_y(1)},
            "abutment": {"left": ["VDD", "VSS"], "right": ["VDD", "VSS"],
                         "top": ["BL", "BLB", "CBL", "CTOP", *[f"DB{b}" for b in range(8)]],
                         "bottom": ["BL", "BLB", "CBL", *[f"DB{b}" for b in range(8)]]},
            "params": {**params, "bit": bit, "cap_fF": round(cap, 6), "finger_length_um": length}}
    spice = (f".subckt {name} {' '.join(ports)}\n"
             f"C1 CTOP {bottom} {cap:.6g}f\n.ends {name}\n")
    return CompiledCell(cell, meta, spice)
