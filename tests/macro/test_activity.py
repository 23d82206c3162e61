"""Window means of the macro's PWL cell currents and the most demanding segment (hand calculations)."""

from __future__ import annotations

import numpy as np
import pytest

from eda.acim.spec import ACIMSpec
from eda.macro.activity import Segment, cycle_trace, interval_means, window_means, worst_segment


def test_window_means_integrate_the_trapezoids_exactly():
    # a trapezoid of 4 C (0 -> 2 A over 1 s, 2 A for 1 s, back to 0 over 1 s) and a constant 1 A, to t = 4 s
    times = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    currents = np.array([[0.0, 2.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    means = window_means(times, currents, 4.0, 2)
    # [0, 2] s: 1 C (ramp) + 2 C -> 1.5 A; [2, 4] s: 1 C (ramp down) -> 0.5 A; constant stays 1 A
    np.testing.assert_allclose(means, [[1.5, 1.0], [0.5, 1.0]], rtol=1e-12)
    # windows that cut a ramp: [0, 0.5] s holds 0.25 C of the first ramp -> 0.5 A
    np.testing.assert_allclose(window_means(times, currents, 4.0, 8)[0], [0.5, 1.0], rtol=1e-12)
    # the charge is conserved whatever the windows
    for windows in (1, 3, 7):
        total = window_means(times, currents, 4.0, windows).sum(axis=0) * 4.0 / windows
        np.testing.assert_allclose(total, [4.0, 4.0], rtol=1e-12)


def test_window_means_refuse_windows_past_the_waveforms():
    with pytest.raises(ValueError, match="past the waveforms"):
        window_means(np.array([0.0, 1.0]), np.ones((1, 2)), 2.0, 2)


def test_worst_segment_is_the_largest_data_load():
    segments = [
        Segment("a", 1.0, data_scale=1.2, column_fraction=0.5),
        Segment("b", 1.0, data_scale=0.8, column_fraction=1.0),
        Segment("c", 5.0, data_scale=0.2, column_fraction=1.0),
    ]
    assert worst_segment(segments).name == "b"


def test_interval_means_match_a_fine_quadrature_on_uneven_edges():
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(0.1, 1.0, 40))
    times -= times[0]
    currents = rng.uniform(0.0, 2.0, (5, len(times)))
    edges = np.sort(rng.uniform(0.0, times[-1], 12))
    fine = np.linspace(0.0, times[-1], 400_001)
    dense = np.stack([np.interp(fine, times, row) for row in currents])
    whole = interval_means(times, currents, edges)
    # waveforms taken two at a time (the last block holds one) give the same means
    blocks = interval_means(times, currents, edges, block_bytes=2 * 8 * len(times))
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        inside = (fine >= a) & (fine <= b)
        expect = np.trapezoid(dense[:, inside], fine[inside]) / (fine[inside][-1] - fine[inside][0])
        # the fine grid cuts each interval within one fine step: error below slope x step
        for means in (whole, blocks):
            np.testing.assert_allclose(means[k], expect, rtol=2e-3, atol=1e-6)
    with pytest.raises(ValueError, match="increase"):
        interval_means(times, currents, np.array([1.0, 1.0, 2.0]))


def test_cycle_trace_runs_the_layers_in_order_with_binomial_input_bits():
    spec = ACIMSpec(rows=256, cols=64, local_array_size=8, adc_bits=5)
    layers = [Segment("a", 1.0, data_scale=0.6, column_fraction=0.5), Segment("b", 1.0, data_scale=1.2)]
    trace = cycle_trace(layers, spec, 1e-7, 400, seed=1, per_layer=4)
    assert len(trace) == 400 and all(c.seconds == 1e-7 for c in trace)
    assert [c.name.split("#")[0] for c in trace[:10]] == list("aaaabbbbaa")
    assert {c.column_fraction for c in trace if c.name.startswith("a")} == {0.5}
    for name, scale in (("a", 0.6), ("b", 1.2)):
        scales = np.array([c.data_scale for c in trace if c.name.startswith(name)])
        p = scale / 2  # a cycle's density of ones among 256 input bits ~ Binomial(256, p) / 256
        sigma = np.sqrt(p * (1 - p) / 256) / 0.5
        assert abs(scales.mean() - scale) < 4 * sigma / np.sqrt(len(scales))
        assert 0.7 * sigma < scales.std() < 1.3 * sigma
    with pytest.raises(ValueError):
        cycle_trace([], spec, 1e-7, 4)
