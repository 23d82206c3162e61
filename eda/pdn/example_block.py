"""The example design ``pdn-block``: a made-up, placed 200 x 200 µm block as a place-and-
route flow leaves it for IR-drop analysis — a DEF (1000 DBU/µm, as OpenROAD writes SKY130 designs), an
instance power report in the sign-off format of the CircuitNet ``inst.power.rpt`` files, and the PDN as a SPICE
netlist of resistors and pads (no currents; the layer stack of ``eda pdn generate``).

Standard cells fill 2.72 µm rows (0.46 µm sites) at about half density; their power rises towards an activity
hot spot at (140, 60) µm; a 40 x 30 µm memory macro sits at (20, 130) µm. Deterministic (seeded, the
same bytes every time); built where it is needed (the ``pdn.example_block`` flow step) rather than
shipped::

    python -m eda.pdn.example_block OUT_DIR
"""

from __future__ import annotations

import gzip
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from eda.pdn.generate import GridSpec, generate_pdn
from eda.pdn.netlist import PdnNetlist, write_netlist
from eda.pdn.nodenames import iccad_name

DIE_UM = 200.0
DBU = 1000
VDD = 1.8
ROW_UM, SITE_UM = 2.72, 0.46
#: cell, width in sites, power at 1.8 V and nominal activity (W)
CELLS = (
    ("sky130_fd_sc_hd__inv_1", 3, 2.0e-6),
    ("sky130_fd_sc_hd__nand2_1", 4, 3.0e-6),
    ("sky130_fd_sc_hd__nor2_1", 4, 3.2e-6),
    ("sky130_fd_sc_hd__buf_4", 6, 8.0e-6),
    ("sky130_fd_sc_hd__dfxtp_1", 19, 1.2e-5),
)
MACRO = ("core/sram0", "sram_1rw_64x32", (20.0, 130.0, 60.0, 160.0), 2.0e-3)
HOT_UM, HOT_SIGMA_UM, HOT_GAIN = (140.0, 60.0), 30.0, 5.0
HEADER = (
    "*inst_name  cell_name  freq  toggle_rate  leakage_power  switching_power  internal_power  total_power  "
    "library  P/G-pin  P/G-volt  powerDomain  bbox"
)


def _cells(rng: np.random.Generator) -> list[tuple[str, str, float, float, float, float, str]]:
    """(name, cell, x0, y0, width, power W, orientation) of the standard cells, row by row."""
    out = []
    mx0, my0, mx1, my1 = MACRO[2]
    for row in range(int(DIE_UM // ROW_UM)):
        y = row * ROW_UM
        x = rng.integers(0, 8) * SITE_UM
        while True:
            cell, sites, power = CELLS[rng.integers(len(CELLS))]
            w = sites * SITE_UM
            if x + w > DIE_UM:
                break
            blocked = x + w > mx0 and x < mx1 and y + ROW_UM > my0 and y < my1
            if not blocked:
                cx, cy = x + w / 2 - HOT_UM[0], y + ROW_UM / 2 - HOT_UM[1]
                gain = 1.0 + HOT_GAIN * np.exp(-(cx * cx + cy * cy) / (2 * HOT_SIGMA_UM**2))
                k = len(out)
                name = f"core/regs/q_reg[{k % 32}]_{k}" if cell.endswith("dfxtp_1") else f"core/u{k}"
                out.append(
                    (name, cell, x, y, w, power * gain * rng.uniform(0.6, 1.4), "FS" if row % 2 else "N")
                )
            x += w + rng.integers(0, 2 * sites) * SITE_UM
    return out


def _def(cells: list, path: Path) -> None:
    lines = [
        "VERSION 5.8 ;",
        'DIVIDERCHAR "/" ;',
        'BUSBITCHARS "[]" ;',
        "DESIGN pdn_block ;",
        f"UNITS DISTANCE MICRONS {DBU} ;",
        f"DIEAREA ( 0 0 ) ( {int(DIE_UM * DBU)} {int(DIE_UM * DBU)} ) ;",
        f"COMPONENTS {len(cells) + 1} ;",
    ]
    name, cell, (x0, y0, _, _), _ = MACRO
    lines.append(f"- {name} {cell} + FIXED ( {round(x0 * DBU)} {round(y0 * DBU)} ) N ;")
    for name, cell, x, y, _, _, orient in cells:
        escaped = name.replace("[", "\\[").replace("]", "\\]")
        lines.append(f"- {escaped} {cell} + PLACED ( {round(x * DBU)} {round(y * DBU)} ) {orient} ;")
    lines += ["END COMPONENTS", "END DESIGN", ""]
    path.write_bytes(gzip.compress("\n".join(lines).encode(), mtime=0))


def _report(cells: list, path: Path) -> None:
    def row(name: str, cell: str, box: tuple, power: float, freq: str) -> str:
        leak, internal = 1e-3 * power, 0.3 * power
        switching = power - leak - internal
        return (
            f"{name}  {cell}  {freq}  0.15  {leak:.6g}  {switching:.6g}  {internal:.6g}  {power:.6g}  library  "
            f"VDD  {VDD:g}  VDD  [{box[0]:.6f},{box[1]:.6f},{box[2]:.6f},{box[3]:.6f}]"
        )

    lines = ["*** design instance power info", HEADER, row(MACRO[0], MACRO[1], MACRO[2], MACRO[3], "1e+08")]
    lines += [row(n, c, (x, y, x + w, y + ROW_UM), p, "1e+08") for n, c, x, y, w, p, _ in cells]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))


def _pdn(path: Path) -> PdnNetlist:
    """The generated grid's resistors and pads, node names in DEF units of this block."""
    net = generate_pdn(GridSpec(width_um=DIE_UM, height_um=DIE_UM, vdd=VDD, seed=7)).netlist
    x_dbu, y_dbu = np.round(net.x_um * DBU), np.round(net.y_um * DBU)
    assert np.allclose(x_dbu, net.x_um * DBU) and np.allclose(y_dbu, net.y_um * DBU)
    empty_i = np.zeros(0, dtype=np.int64)
    bare = replace(
        net,
        names=iccad_name(x_dbu, y_dbu, net.layer, net="VDD"),
        i_a=empty_i,
        i_b=empty_i.copy(),
        i_amp=np.zeros(0),
        waves=None,
        i_line=empty_i.copy(),
        c_a=empty_i.copy(),
        c_b=empty_i.copy(),
        c_f=np.zeros(0),
        c_line=empty_i.copy(),
        tran=None,
    )
    write_netlist(bare, path, title="pdn_block: VDD grid m1/m4/m7/m8/m9, bump pads (1000 DBU/um node names)")
    return bare


#: file names of the three inputs of a placed design, by role
FILES = {
    "def": "pdn_block.def.gz",
    "power_report": "pdn_block.inst.power.rpt.gz",
    "pdn": "pdn_block.pdn.sp.gz",
}


def write_example_block(out: Path) -> dict[str, Path]:
    """Write the block's DEF, instance power report and PDN netlist into ``out``; their paths by role."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {role: out / name for role, name in FILES.items()}
    cells = _cells(np.random.default_rng(7))
    _def(cells, paths["def"])
    _report(cells, paths["power_report"])
    _pdn(paths["pdn"])
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m eda.pdn.example_block OUT_DIR")
    for role, path in write_example_block(Path(sys.argv[1])).items():
        print(f"{role}: {path}")
