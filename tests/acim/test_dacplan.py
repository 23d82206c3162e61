"""DAC plan: every bit gets exactly 2**b capacitors, each column serves at most four lines that never cross,
and every capacitor's line passes over it on a middle track."""

from __future__ import annotations

import pytest

from eda.acim.dacplan import MAX_NETS, VSS_NET, dac_plan
from eda.errors import SpecError

CASES = [
    (32, 4, 5),
    (8, 4, 5),
    (128, 4, 8),
    (2, 4, 3),
    (1, 4, 2),
    (16, 1, 2),
    (4, 2, 3),
    (64, 8, 8),
    (32, 2, 5),
]


@pytest.mark.parametrize(("groups", "cols", "bits"), CASES)
def test_binary_weights_and_wiring(groups: int, cols: int, bits: int) -> None:
    plan = dac_plan(groups, cols, bits)
    caps = plan.bit_caps()
    for b in range(bits):
        assert caps[f"DB{b}"] == 2**b
    assert caps.get(VSS_NET, 0) == groups * cols - (2**bits - 1)  # termination + MAC-only capacitors
    for column in plan.columns:
        assert sum(count for _, count in column.runs) == groups
        assert len(column.runs) <= MAX_NETS
        nets = [net for net, _ in column.runs]
        assert len(nets) == len(set(nets))  # one contiguous run per net
        for g in range(groups):
            assert column.track(g) in (1, 2)  # only the middle tracks lie over a capacitor
            assert column.net(g) in nets

        # lines present at the same height never share a track, and two lines never swap sides (they would cross)
        def position(i: int, height: int, column=column) -> int:
            return column.after[i] if column.extent(i)[0] <= height else column.tracks[i]

        for height in range(groups):
            alive = [i for i in range(len(nets)) if column.extent(i)[1] >= height]
            assert len({position(i, height) for i in alive}) == len(alive)
            if height:
                both = [i for i in alive if column.extent(i)[1] >= height - 1]
                for i in both:
                    for j in both:
                        before = position(i, height - 1) - position(j, height - 1)
                        after = position(i, height) - position(j, height)
                        assert before * after >= 0


def test_known_packing_256_rows_local_array_8() -> None:
    plan = dac_plan(32, 4, 5)
    assert plan.columns[0].runs == (("DB4", 16), ("DB3", 8), ("DB2", 4), ("VSS", 4))
    assert plan.columns[1].runs == (("DB1", 2), ("DB0", 1), ("VSS", 29))
    assert plan.columns[2].runs == (("VSS", 32),)


@pytest.mark.parametrize(
    ("groups", "cols", "bits", "hint"),
    [
        (32, 4, 8, "fewer adc_bits"),  # the DAC rule: 256 > 128 capacitors
        (64, 4, 8, "cols_per_adc >= 8"),  # 256 capacitors but seven small bits in one column
        (16, 1, 4, "cols_per_adc >= 2"),
    ],
)
def test_infeasible_plans_say_what_fits(groups: int, cols: int, bits: int, hint: str) -> None:
    with pytest.raises(SpecError) as err:
        dac_plan(groups, cols, bits)
    assert hint in (err.value.hint or "")
