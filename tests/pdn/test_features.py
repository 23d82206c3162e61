"""Effective-distance and PDN-density maps, and rasterisation of node values."""

from __future__ import annotations

import numpy as np
import pytest

from eda.pdn.features import effective_distance_map, pad_positions, pdn_density_map
from eda.pdn.generate import GridSpec, generate_pdn
from eda.pdn.netlist import parse_netlist
from eda.pdn.raster import rasterize_points

TWO_PADS = (
    "R1 n1_m1_0_0 n1_m9_20000_0 1\nR2 n1_m1_0_0 n1_m9_0_40000 1\nV1 n1_m9_20000_0 0 1\nV2 n1_m9_0_40000 0 1\n"
)


def test_effective_distance_two_pads():
    net = parse_netlist(TWO_PADS)
    m = effective_distance_map(net, (30, 30), snap_um=None)
    assert m[10, 0] == 0.0 and m[0, 20] == 0.0
    # tile (0, 0): distances 10 and 20 µm -> 1 / (1/10 + 1/20)
    assert m[0, 0] == pytest.approx(1.0 / (0.1 + 0.05))
    assert m[29, 29] == pytest.approx(1.0 / (1 / np.hypot(19, 29) + 1 / np.hypot(29, 9)))
    # tiles taken 7 at a time (the last chunk partial) give the same map
    chunked = effective_distance_map(net, (30, 30), snap_um=None, chunk=7)
    assert chunked[0, 0] == pytest.approx(1.0 / (0.1 + 0.05)) and chunked[10, 0] == 0.0
    np.testing.assert_allclose(chunked, m, rtol=1e-12)


def test_pad_snapping_to_bump_sites():
    net = parse_netlist(TWO_PADS.replace("20000_0", "48800_160800").replace("0_40000", "340000_160800"))
    np.testing.assert_allclose(pad_positions(net), [[25.0, 75.0], [175.0, 75.0]])  # 24.4,80.4 / 170,80.4


def test_pdn_density_counts_stripes():
    spec = GridSpec(width_um=200, height_um=200, pad_pitch_um=100, seed=0)
    gen = generate_pdn(spec)
    net = gen.netlist
    dens = pdn_density_map(net, region_um=100.0)
    m4 = spec.layers[1]
    stripes = np.arange(m4.offset_um, 200 + 1e-9, m4.pitch_um)
    first_region = np.count_nonzero(stripes < 100)
    assert dens[0, 0] == pytest.approx(first_region)  # stripes per 100 µm in a 100 µm region
    assert dens.shape == gen.current_map.shape


def test_rasterize_tensor_grid_reproduces_bilinear_field():
    # a bilinear field is reproduced exactly by spline interpolation on a tensor grid of nodes
    xs, ys = np.array([0.0, 2.4, 4.8, 7.2, 9.6]), np.array([0.0, 3.0, 6.0, 9.0])
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    m = rasterize_points(X.ravel(), Y.ravel(), 1e-3 * (1 + 0.1 * X.ravel() + 0.05 * Y.ravel()), (10, 10))
    gx, gy = np.meshgrid(np.arange(10.0), np.arange(10.0), indexing="ij")
    expected = 1e-3 * (1 + 0.1 * np.clip(gx, 0, 9.6) + 0.05 * np.clip(gy, 0, 9.0))
    np.testing.assert_allclose(m, expected, rtol=1e-10)


def test_rasterize_scattered_points():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 20, 300), rng.uniform(0, 20, 300)
    m = rasterize_points(x, y, 2.0 * x + y, (21, 21))
    gx, gy = np.meshgrid(np.arange(21.0), np.arange(21.0), indexing="ij")
    inside = (gx > 3) & (gx < 17) & (gy > 3) & (gy < 17)
    np.testing.assert_allclose(m[inside], (2 * gx + gy)[inside], rtol=1e-6)
