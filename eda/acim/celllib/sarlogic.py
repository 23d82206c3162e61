"""The SAR logic of one ADC group as transistors: a token shift register, a code register and DAC drivers.

Every flip-flop is a positive-edge true-single-phase-clock (TSPC, Yuan & Svensson) flip-flop of nine
transistors with a reset PMOS on its output stage and an output inverter::

    stage 1 (p-latch)   P1 VDD-[D]-a   P2 a-[CK]-X   N1 X-[D]-VSS          X = NOT D while CK = 0
    stage 2 (precharge) P3 VDD-[CK]-Y  N2 Y-[X]-b    N3 b-[CK]-VSS         Y = D after the rising edge
    stage 3             P4 VDD-[Y]-QB  N4 QB-[CK]-c  N5 c-[Y]-VSS          QB = NOT D
    reset               PR VDD-[RSTB]-QB                                   QB = 1 (Q = 0) while RST = 1
    output              Q = NOT QB

The conversion of a B-bit ADC (CLK is the SAR clock, RST its reset, both from the macro's left edge):

* ``F`` (a reset PMOS and an NMOS clocked by CLK) goes low on the first rising edge after reset; its
  node ``QBF`` feeds the token register, so the first edge loads the token into ``T<B-1>``;
* tokens ``T<b>`` shift down one bit per edge (``T<b>`` samples ``T<b+1>``), ``EOC`` after ``T0``;
* code bit ``C<b>`` samples the decision ``DEC = NOT OUTN`` (1 when the comparator input ``ADCIN`` is
  below ``VREF``: keep the bit) on the rising edge of ``T<b-1>`` (``EOC`` for bit 0), i.e. at the end of
  bit b's trial;
* every DAC line ``DB<b>_<j>`` is driven by its own NAND2 of ``QB`` of ``T<b>`` and ``C<b>``:
  ``DB = T<b> OR C<b>`` (the bit is tried while its token is there and kept if the decision said so);
* ``DOUT<b> = C<b>``; ``OUTP`` drives a dummy inverter so both comparator outputs carry the same load.

After ``B + 1`` rising edges of CLK following the release of RST, ``DOUT`` holds the code. CLK must stay
low while RST is high (a rising edge during reset fights the reset PMOS). Sizes: W/L 0.42/0.15 µm,
the DAC NAND2s 0.84 µm (they drive up to ``2**b`` capacitors and a met4 line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eda.acim.celllib.cell import Mos
from eda.acim.dacplan import VSS_NET, DacPlan

__all__ = ["SarLogic", "sar_logic", "tspc", "DAC_DRIVER_W"]

#: width (µm) of the DAC line NAND2 transistors
DAC_DRIVER_W = 0.84


@dataclass
class SarLogic:
    """The SAR logic's transistors, ports and named parts (for the layout and the testbenches)."""

    adc_bits: int
    dac_ports: list[tuple[str, int]]  # (port DB<b>_<j>, bit b) in plan order
    devices: list[Mos] = field(default_factory=list)

    @property
    def ports(self) -> list[str]:
        """SPICE port order of the SAR subcircuit."""
        return [
            "OUTP",
            "OUTN",
            *[p for p, _ in self.dac_ports],
            *[f"DOUT{b}" for b in range(self.adc_bits)],
            "CLK",
            "RST",
            "VDD",
            "VSS",
            "VPB",
            "VNB",
        ]


def tspc(name: str, d: str, ck: str, q: str | None, qb: str, reset: bool = True) -> list[Mos]:
    """The transistors of one TSPC flip-flop ``name`` (see the module docstring)."""
    a, x, y, b, c = (f"{name}_{s}" for s in ("a", "x", "y", "b", "c"))
    devices = [
        Mos(f"{name}p1", "p", a, d, "VDD"),
        Mos(f"{name}p2", "p", x, ck, a),
        Mos(f"{name}n1", "n", x, d, "VSS"),
        Mos(f"{name}p3", "p", y, ck, "VDD"),
        Mos(f"{name}n2", "n", y, x, b),
        Mos(f"{name}n3", "n", b, ck, "VSS"),
        Mos(f"{name}p4", "p", qb, y, "VDD"),
        Mos(f"{name}n4", "n", qb, ck, c),
        Mos(f"{name}n5", "n", c, y, "VSS"),
    ]
    if reset:
        devices.append(Mos(f"{name}pr", "p", qb, "RSTB", "VDD"))
    if q is not None:
        devices += [Mos(f"{name}pq", "p", q, qb, "VDD"), Mos(f"{name}nq", "n", q, qb, "VSS")]
    return devices


def _inverter(name: str, inp: str, out: str) -> list[Mos]:
    return [Mos(f"{name}p", "p", out, inp, "VDD"), Mos(f"{name}n", "n", out, inp, "VSS")]


def _nand2(name: str, a: str, b: str, out: str, w: float) -> list[Mos]:
    mid = f"{name}_m"
    return [
        Mos(f"{name}pa", "p", out, a, "VDD", w=w),
        Mos(f"{name}pb", "p", out, b, "VDD", w=w),
        Mos(f"{name}na", "n", out, a, mid, w=w),
        Mos(f"{name}nb", "n", mid, b, "VSS", w=w),
    ]


def sar_logic(plan: DacPlan) -> SarLogic:
    """The SAR logic of an ADC group whose DAC lines follow ``plan`` (one NAND2 per DAC line)."""
    bits = plan.adc_bits
    ports = [
        (f"{net}_{j}", int(net[2:]))
        for j, column in enumerate(plan.columns)
        for net, _ in column.runs
        if net != VSS_NET
    ]
    logic = SarLogic(bits, ports)
    dev = logic.devices
    dev += _inverter("irst", "RST", "RSTB")
    dev += _inverter("idec", "OUTN", "DEC")
    dev += _inverter("idum", "OUTP", "DUM")
    dev += [Mos("fpr", "p", "QBF", "RSTB", "VDD"), Mos("fn", "n", "QBF", "CLK", "VSS")]
    for b in range(bits - 1, -1, -1):
        d = "QBF" if b == bits - 1 else f"T{b + 1}"
        dev += tspc(f"t{b}", d, "CLK", f"T{b}", f"TB{b}")
    dev += tspc("eoc", "T0", "CLK", "EOC", "EOCB")
    for b in range(bits):
        ck = f"T{b - 1}" if b else "EOC"
        dev += tspc(f"c{b}", "DEC", ck, f"DOUT{b}", f"CB{b}")
    for port, b in ports:
        dev += _nand2(f"d{port.lower()}", f"TB{b}", f"CB{b}", port, DAC_DRIVER_W)
    return logic
