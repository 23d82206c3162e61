"""The standard-cell SAR block (eda.acim.celllib.sar): two 4-bit ADC groups of an 8-column tap segment,
placed from the foundry's sky130_fd_sc_hd cells and routed, pass the foundry DRC deck and match their netlist
under the foundry LVS deck and the project's own deck."""

from __future__ import annotations

from pathlib import Path

import gdstk
import pytest

pytestmark = [pytest.mark.pdk, pytest.mark.klayout]


@pytest.fixture(scope="module")
def block(tmp_path_factory) -> tuple[Path, Path, dict]:
    from eda.acim.celllib.sar import sar_block
    from eda.acim.dacplan import dac_plan
    from eda.tech import load_tech

    drawn = sar_block(load_tech(), dac_plan(4, 4, 4), 8, name="sar_test")
    out = tmp_path_factory.mktemp("sar")
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    lib.add(drawn.cell, *drawn.cell.dependencies(True))
    lib.write_gds(out / "sar.gds")
    (out / "sar.spice").write_text(drawn.spice)
    return out / "sar.gds", out / "sar.spice", drawn.meta


def test_every_cell_of_both_groups_is_placed(block) -> None:
    """Per group: 4 token + EOC + 4 code dfrtp, one dfstp, three inverters, one or2 per DAC line."""
    from eda.acim.dacplan import dac_plan

    _, _, meta = block
    plan = dac_plan(4, 4, 4)
    lines = sum(1 for column in plan.columns for net, _ in column.runs if net != "VSS")
    assert meta["params"]["cells"] == 2 * (9 + 1 + 3 + lines)


def test_foundry_drc_is_clean(block, tmp_path) -> None:
    from eda.signoff.foundry import run_foundry_drc

    gds, _, _ = block
    report = run_foundry_drc(gds, out_dir=tmp_path)
    assert report.clean, report.text()


def test_both_lvs_decks_match_every_transistor(block, tmp_path) -> None:
    from eda.signoff.foundry import run_foundry_lvs
    from eda.signoff.lvs import run_lvs

    gds, spice, _ = block
    foundry = run_foundry_lvs(gds, spice, out_dir=tmp_path)
    assert foundry.match, foundry.text()
    assert foundry.devices_layout_by_class == foundry.devices_schematic_by_class
    assert foundry.devices_layout_by_class["sky130_fd_pr__pfet_01v8_hvt"] > 0
    own = run_lvs(gds, spice)
    assert own.match, own.text()


def test_comparator_outputs_carry_no_more_wire_than_the_comparator_is_characterised_with(block) -> None:
    """Each comparator output is the cell's own wiring plus the block's drop to its receiver (top row, under
    the comparator pin); together no more than the wire the comparator's delay bench loads it with."""
    from eda.acim.characterize_benches import COMPARATOR_WIRE_FF
    from eda.acim.library import load_library
    from eda.acim.wirecap import net_capacitance
    from eda.tech import load_tech

    gds, _, _ = block
    tech = load_tech()
    in_block = net_capacitance(gds, tech)
    comparator = load_library().role("adc")
    in_cell = net_capacitance(comparator.gds, tech)
    for g in range(2):
        for out in ("OUTP", "OUTN"):
            total = in_block[f"{out}_{g}"] + in_cell[out]
            assert 0 < total <= COMPARATOR_WIRE_FF, (out, g, in_block[f"{out}_{g}"], in_cell[out])
