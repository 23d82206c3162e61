"""Window means of the macro's PWL cell currents and the most demanding segment (hand calculations)."""

from __future__ import annotations

import numpy as np
import pytest

from eda.macro.activity import Segment, window_means, worst_segment


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
