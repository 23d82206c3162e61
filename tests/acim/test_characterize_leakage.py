"""Standby leakage of the library cells in ngspice: the bench sums what every source delivers, and a cell
whose only leaking devices are known off transistors draws their off current."""

from __future__ import annotations

import pytest

from eda.acim.ngspice import Conditions, Deck, simulate
from tests.acim.simulator_marks import needs_simulation

pytestmark = [pytest.mark.ngspice, pytest.mark.pdk, needs_simulation]


@pytest.fixture(scope="module")
def cells():
    from eda.acim.celllib.sar import sar_logic_subckt
    from eda.acim.characterize import DEFAULT_SAR
    from eda.acim.characterize_benches import CellNetlists
    from eda.acim.dacplan import dac_plan
    from eda.acim.library import load_library

    text, _ = sar_logic_subckt(dac_plan(*DEFAULT_SAR), "sar_logic")
    return CellNetlists.of(load_library(), text, 2.76)


def _pfet_off_nA(w_um: float, cond: Conditions) -> float:
    """Drain current (nA) of one pfet with V_GS = 0 and V_DS = -VDD (drain at 0 V)."""
    deck = Deck("pfet off", cond)
    deck.options += " gmin=1e-16"
    deck.add(f"VS S 0 {cond.vdd_V:g}", f"MP D S S S sky130_fd_pr__pfet_01v8 w={w_um:g}u l=0.15u", "VD D 0 0")
    deck.control = ["op", "set wr_singlescale", "wrdata p.txt i(VS)"]
    return float(-simulate(deck, outputs=("p.txt",)).table("p.txt")[-1][-1] * 1e9)


def test_row_driver_in_standby_leaks_through_its_two_off_pmos(cells):
    """Word lines off (WLN = XN = VDD): both outputs low, both pull-up pfets (1.68 µm) off with VDD across
    them; the nfets are on with no voltage across. The cell draws twice one such pfet's off current."""
    from eda.acim.characterize_benches import standby_leakage_nW

    cond = Conditions()
    expected = 2 * _pfet_off_nA(1.68, cond) * cond.vdd_V
    assert expected > 0
    assert standby_leakage_nW(cells, "row_driver", cond) == pytest.approx(expected, rel=0.02)


def test_every_cell_leaks_a_positive_finite_power_and_the_shipped_file_has_it(cells):
    import math

    import yaml

    from eda.acim.characterize import characterization_file
    from eda.acim.characterize_benches import leakage_benches
    from eda.acim.library import default_library_dir

    fresh = leakage_benches(cells, Conditions())
    assert all(math.isfinite(v) and v > 0 for v in fresh.values()), fresh
    shipped = yaml.safe_load(characterization_file(default_library_dir(), "tt").read_text())["leakage"]
    assert shipped.keys() == fresh.keys()
    for key, value in fresh.items():
        assert shipped[key] == pytest.approx(value, rel=2e-3), key
