"""Cell characterisation in ngspice with the SkyWater models: the bitcell at every corner, and the library's
characterisation reproducing itself and the shipped ``tt.yaml``."""

from __future__ import annotations

import math

import pytest
import yaml

from eda.acim.devicemodels import CORNERS
from eda.acim.ngspice import Conditions
from tests.acim.simulator_marks import needs_simulation

pytestmark = [pytest.mark.ngspice, pytest.mark.pdk, needs_simulation]


@pytest.fixture(scope="module")
def cells():
    from eda.acim.characterize_benches import CellNetlists
    from eda.acim.library import load_library

    return CellNetlists.of(load_library(), ".subckt none\n.ends none\n", 2.76)


@pytest.mark.parametrize("corner", CORNERS)
def test_bitcell_holds_and_reads_without_flipping(cells, corner) -> None:
    """Through compute reads and half-selected write cycles a stored 1 and a stored 0 keep their value, the 1
    discharges its precharged read line and the 0 leaves it high; the butterflies open with margin: more
    than 30 % of VDD on hold, and in the half-selected read (WL on, bit lines at VDD) more than six sigma of
    the threshold mismatch of the cell's 0.42/0.15 µm devices (A_VT/√(W·L) ≈ 20 mV), the usual yield margin
    of a bitcell in a large array."""
    from eda.acim.characterize_benches import butterfly, hold_read_transient, static_noise_margin
    from eda.acim.models.tech import AVT_MV_UM

    cond = Conditions(corner)
    result = hold_read_transient(cells, cond)
    assert result["holds_one"] and result["holds_zero"] and result["reads"], result
    hold = static_noise_margin(*butterfly(cells, cond, read=False))
    read = static_noise_margin(*butterfly(cells, cond, read=True))
    six_sigma_V = 6 * AVT_MV_UM / math.sqrt(0.42 * 0.15) * 1e-3
    assert hold > 0.3 * cond.vdd_V and six_sigma_V < read < hold


def _flat(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flat(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _flat(value, f"{prefix}{i}.")
    else:
        yield prefix[:-1], data


@pytest.mark.slow
def test_characterisation_reproduces_itself_and_the_shipped_file(tmp_path) -> None:
    """Two fresh runs at tt give the same file; the shipped tt.yaml equals them to the simulator's relative
    tolerance (reltol 1e-3, and 5 significant digits written)."""
    from eda.acim.characterize import characterization_file, characterize
    from eda.acim.library import default_library_dir

    first = characterize(out=tmp_path / "a", plots=False)
    second = characterize(out=tmp_path / "b", plots=False)
    assert (tmp_path / "a" / "tt.yaml").read_text() == (tmp_path / "b" / "tt.yaml").read_text()
    assert first == second
    shipped = yaml.safe_load(characterization_file(default_library_dir(), "tt").read_text())
    fresh, ship = dict(_flat(first)), dict(_flat(shipped))
    assert fresh.keys() == ship.keys()
    for key, value in fresh.items():
        if isinstance(value, float) and math.isfinite(value):
            assert ship[key] == pytest.approx(value, rel=2e-3, abs=1e-3), key
        else:
            assert ship[key] == value, key
