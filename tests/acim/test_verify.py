"""``eda.acim.verify``: a post-layout ADC group simulated in ngspice converts like the models' quantiser.

A small macro (16 rows, L = 4, G = 2: 8 capacitors, a 3-bit SAR ADC) keeps the run short. What the SAR
conversion must do follows from its definition, not from the code: a settled DAC and a comparator that
decides give codes that never fall as the product count rises and stay within one code of the
transfer's straight line (|INL| <= 1 LSB). The simulated charge sharing (the input at K = 0 and the step per
product) must match the models' capacitance accounting within 10 %: the models take each junction's
capacitance as its average over the node's swing, and the characterised compute-node junctions vary by
about 7 % across 0-1.1 V. (The SNR comparison needs many product counts and a wider ADC:
benchmarks/acim_verify.py, 200 vectors of a 5-bit column.)
"""

from __future__ import annotations

import numpy as np
import pytest

from eda.acim.spec import ACIMSpec
from tests.acim.simulator_marks import needs_simulation

pytestmark = [pytest.mark.ngspice, pytest.mark.slow, needs_simulation]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from eda.acim.verify import verify

    spec = ACIMSpec(rows=16, cols=2, local_array_size=4, adc_bits=3, cols_per_adc=2, weight_bits=2)
    return verify(
        spec,
        corner="tt",
        vectors=16,
        per_run=8,
        workers=1,
        check_lvs=False,
        out=tmp_path_factory.mktemp("verify"),
    )


def test_codes_rise_with_the_product_count_within_one_code_of_a_line(result) -> None:
    counts, codes = np.array(result["counts"]), np.array(result["codes"])
    assert np.ptp(counts) >= 3  # the vectors span the window
    ks = np.unique(counts)
    mean_code = np.array([codes[counts == k].mean() for k in ks])
    assert np.all(np.diff(mean_code) >= 0), dict(zip(ks.tolist(), mean_code.tolist(), strict=True))
    assert result["transfer"]["max_abs_inl_codes"] <= 1.0


def test_codes_span_the_product_counts(result) -> None:
    """Each product moves the ADC input by about one DAC step (the DAC's unit capacitors are the products'
    capacitors, the models put the ratio at 1.18), so the codes span about as many codes as the vectors span
    products: at least half as many (a comparator that never decides gives one code for every vector)."""
    counts, codes = np.array(result["counts"]), np.array(result["codes"])
    assert np.ptp(codes) >= np.ptp(counts) / 2, (counts.tolist(), codes.tolist())
    assert result["transfer"]["clipped"] <= len(codes) // 4


def test_charge_sharing_matches_the_models_capacitances(result) -> None:
    for key in ("v_zero_V", "step_mV"):
        sim, model = result[key]["sim"], result[key]["model"]
        assert abs(model / sim - 1) <= 0.10, (key, sim, model)


def test_comparator_clocked_after_the_dac_settles(result) -> None:
    phase = result["phase_ns"]
    assert 0 < phase["compare"] < phase["sar_bit"]
    assert result["settling_ns_sim"] > 0 and np.isfinite(result["energy_fJ_sim"])
