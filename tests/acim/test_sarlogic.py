"""The SAR logic as drawn (the foundry standard cells of eda.acim.celllib.sar) converts: driven by the library's
StrongARM comparator (schematic) and an ideal charge-redistribution DAC, it produces the successive-approximation
code of the SAR rule D = ceil((VREF - V)/Δu) - 1 (clipped) for inputs half a step inside each code, in ngspice
with the SkyWater models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eda.acim.ngspice import Conditions, Deck, simulate
from eda.acim.spec import ACIMSpec
from tests.acim.simulator_marks import needs_simulation

pytestmark = [pytest.mark.ngspice, pytest.mark.slow, needs_simulation]

#: V, V per DAC unit, SAR clock period (ns), reset (ns); inputs sit half a step (25 mV) inside a code, beyond
#: the comparator's systematic offset (about 10 mV in the characterisation)
VREF, STEP, PERIOD, RESET = 1.2, 0.05, 2.0, 2.0


def test_standard_cell_sar_logic_produces_the_successive_approximation_codes() -> None:
    from eda.acim.verify import sar_subckt_text

    spec = ACIMSpec(rows=64, cols=4, local_array_size=8, adc_bits=5, cols_per_adc=4)
    bits = spec.adc_bits
    text, ports = sar_subckt_text(spec, "sar")
    lines_of = {b: [p for p in ports if p.startswith(f"DB{b}_")] for b in range(bits)}
    assert all(lines_of.values())
    # inputs half a DAC step inside codes 12 (01100) and 21 (10101): every bit kept once and rejected once;
    # one above VREF (every trial rejected: 0) and one beyond the window (every trial kept: 31)
    codes = [12, 21]
    inputs = [VREF - (d + 0.5) * STEP for d in codes] + [VREF + 0.3 * STEP, VREF - 33.5 * STEP]
    expected = [min(max(math.ceil((VREF - v) / STEP) - 1, 0), 2**bits - 1) for v in inputs]
    assert expected == [*codes, 0, 31]

    vdd = 1.8
    conversion = RESET + (bits + 1) * PERIOD + 1.0
    rst, clk_sar, clk_cmp, vin, sample_at = [(0.0, vdd)], [(0.0, 0.0)], [(0.0, 0.0)], [], []
    for n, v in enumerate(inputs):
        t0 = n * conversion
        vin += [(t0 + 0.01, v), (t0 + conversion, v)]
        rst += [(t0 + 0.01, vdd), (t0 + 0.05, vdd), (t0 + RESET - 0.5, vdd), (t0 + RESET - 0.45, 0.0)]
        for j in range(bits + 1):
            tj = t0 + RESET + j * PERIOD
            clk_sar += [(tj, 0.0), (tj + 0.05, vdd), (tj + PERIOD / 4, vdd), (tj + PERIOD / 4 + 0.05, 0.0)]
            if j < bits:  # the comparator decides from a quarter period after the SAR edge to past the next
                clk_cmp += [
                    (tj + PERIOD / 4, 0.0),
                    (tj + PERIOD / 4 + 0.05, vdd),
                    (tj + 1.125 * PERIOD, vdd),
                    (tj + 1.125 * PERIOD + 0.05, 0.0),
                ]
        sample_at.append(t0 + conversion - 0.3)
        rst += [(t0 + conversion - 0.05, 0.0), (t0 + conversion, vdd)]

    def pwl(points: list[tuple[float, float]]) -> str:
        out, last = [], -1.0
        for t, value in points:
            t = max(t, last + 1e-3)
            out.append(f"{t:.3f}n {value:g}")
            last = t
        return "PWL(" + " ".join(out) + ")"

    # an ideal DAC: bit b's plates add 2^b steps to the comparator input as its first DAC line rises
    dac = " + ".join(f"{2**b}*v({lines_of[b][0]})" for b in range(bits))
    from eda.acim.library import load_library

    comparator = load_library().role("adc")
    deck = Deck("sar logic conversion", Conditions("tt"))
    deck.add(
        text,
        comparator.spice.read_text(),
        f"VDD VDD 0 {vdd:g}",
        "VSS VSS 0 0",
        f"VREF VREF 0 {VREF:g}",
        f"VIN VIN 0 {pwl(vin)}",
        f"BADC ADCIN 0 V = v(VIN) + {STEP:g}*({dac})/{vdd:g}",
        f"VRST RST 0 {pwl(rst)}",
        f"VCKS CLKSAR 0 {pwl(clk_sar)}",
        f"VCKC CLKC 0 {pwl(clk_cmp)}",
        f"XC ADCIN VREF CLKC OUTP OUTN VDD VSS VDD VSS {comparator.name}",
        "XS " + " ".join({"CLK": "CLKSAR", "VPB": "VDD", "VNB": "VSS"}.get(p, p) for p in ports) + " sar",
    )
    for p in ports:
        if p.startswith("DB"):
            deck.add(f"C{p} {p} 0 5f")  # a DAC line's load
    watched = [f"DOUT{b}" for b in range(bits)] + [p for b in range(bits) for p in lines_of[b]]
    deck.control = [
        f"tran 0.02n {len(inputs) * conversion:.3f}n",
        "set wr_singlescale",
        "wrdata sar.txt " + " ".join(f"v({p})" for p in watched),
    ]
    t = simulate(deck, outputs=("sar.txt",)).table("sar.txt")
    for n, when in enumerate(sample_at):
        level = {p: float(np.interp(when * 1e-9, t[:, 0], t[:, k + 1])) for k, p in enumerate(watched)}
        assert all(v < 0.2 * vdd or v > 0.8 * vdd for v in level.values()), f"input {n}: undriven {level}"
        code = sum(2**b for b in range(bits) if level[f"DOUT{b}"] > vdd / 2)
        assert code == expected[n], f"input {inputs[n]:.3f} V: code {code}, SAR rule {expected[n]}"
        # after the conversion every DAC line of a bit holds that bit of the code (T = 0, DB = C)
        for b in range(bits):
            assert all((level[p] > vdd / 2) == bool(code >> b & 1) for p in lines_of[b])
