"""Macro PDN extraction: Kirchhoff, node counts, a rail's resistance by hand, every conductor drawn, IR drop."""

from __future__ import annotations

from dataclasses import replace

import gdstk
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from eda.acim.celllib.grid import ColumnGrid
from eda.acim.celllib.sar import SAR_RAILS
from eda.acim.celllib.tapcol import STRIPE_X, TAP_VDD_X
from eda.acim.floorplan import floorplan
from eda.acim.generator import generate
from eda.acim.spec import ACIMSpec
from eda.errors import SpecError
from eda.macro.activity import Segment, dynamic_waveforms, macro_power, static_currents
from eda.macro.grid import PowerGrid, extract_power_grid, stripes_in_gds
from eda.macro.spice import write_grid_spice
from eda.pdn.netlist import read_netlist
from eda.pdn.static import solve_static
from eda.tech import load_tech

SPEC = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=3)


def _drop(grid: PowerGrid, current: np.ndarray, tmp_path) -> np.ndarray:
    """Static IR drop (V) per grid node, solved by eda.pdn from the written netlist."""
    net = read_netlist(write_grid_spice(grid, tmp_path / "grid.sp", current=current))
    result = solve_static(net)
    names = {(n.decode() if isinstance(n, bytes) else str(n)): i for i, n in enumerate(net.names)}
    return result.drop[[names[name] for name in grid.node_names()]]


def _on(grid: PowerGrid, layer: str, *, x: float | None = None, y: float | None = None) -> np.ndarray:
    """Indices of the nodes on ``layer`` at ``x`` and/or ``y`` (µm)."""
    mask = np.array([name == layer for name in grid.layer])
    if x is not None:
        mask &= np.abs(grid.x_um - x) < 1e-3
    if y is not None:
        mask &= np.abs(grid.y_um - y) < 1e-3
    return np.flatnonzero(mask)


def _components(grid: PowerGrid) -> np.ndarray:
    adjacency = sp.coo_matrix((np.ones(len(grid.r_a)), (grid.r_a, grid.r_b)), shape=(grid.n_nodes,) * 2)
    return connected_components(adjacency, directed=False)[1]


@pytest.fixture(scope="module")
def vdd(acim_library) -> PowerGrid:
    return extract_power_grid(SPEC, acim_library, net="VDD")


@pytest.fixture(scope="module")
def vss(acim_library) -> PowerGrid:
    return extract_power_grid(SPEC, acim_library, net="VSS")


@pytest.fixture(scope="module")
def macro(acim_library, tmp_path_factory):
    return generate(SPEC, acim_library, tmp_path_factory.mktemp("macro16"))


def test_pads_deliver_what_the_cells_draw(vdd, acim_library, tmp_path):
    power = macro_power(SPEC, library=acim_library)
    current = static_currents(vdd, power)
    assert current.sum() == pytest.approx(sum(power.component_w.values()) / power.vdd, rel=1e-12)
    net = read_netlist(write_grid_spice(vdd, tmp_path / "g.sp", current=current))
    v = solve_static(net).voltage
    pads = np.isin(net.r_a, net.v_pos) ^ np.isin(net.r_b, net.v_pos)
    flow = (v[net.r_a[pads]] - v[net.r_b[pads]]) / net.r_ohm[pads]
    into = np.where(np.isin(net.r_a[pads], net.v_pos), flow, -flow)
    assert into.sum() == pytest.approx(net.i_amp.sum(), rel=1e-8)  # Kirchhoff over the whole grid
    assert len(vdd.pads) == 2 + len(vdd.stripes_x_um)  # ring corners + one per stripe, on the bottom bar
    assert set(np.round(vdd.y_um[vdd.pads], 4)) == {
        acim_library.power["ring_space_um"] + acim_library.power["ring_width_um"] / 2
    }


def test_nodes_per_rail_are_its_sinks_and_junctions(vdd, vss, acim_library):
    """Each rail has a node per sink and per via (tap columns, driver column, column VSS lines) and no more."""
    fp = floorplan(SPEC, acim_library)
    s, taps, groups = SPEC, fp.n_taps, SPEC.local_arrays_per_column
    bit = acim_library.role("bitcell").rails["VDD"]
    for r in range(s.rows):  # bitcells, tap lines, the driver's line and the driver itself
        y = fp.row_y(r) + (fp.bit_h - bit if fp.row_mirrored(r) else bit)
        assert len(_on(vdd, "met1", y=y)) == s.cols + taps + 2
    for g in range(groups):  # compute cells, tap lines, the control driver's line (no sink of its own)
        y = fp.compute_y(g) + acim_library.role("compute").rails["VDD"]
        assert len(_on(vdd, "met1", y=y)) == s.cols + taps + 1
        y = fp.compute_y(g) + acim_library.role("compute").rails["VSS"]
        assert len(_on(vss, "met1", y=y)) == s.cols + taps + 1  # the compute sinks sit on the column vias
    assert len(_on(vdd, "met1", y=fp.adc.y0 + acim_library.role("adc").rails["VDD"])) == s.adcs + taps
    assert len(_on(vss, "met1", y=fp.adc.y0 + acim_library.role("adc").rails["VSS"])) == s.cols + taps
    assert len(_on(vss, "met1", y=fp.colper.y0 + acim_library.role("colper").rails["VSS"])) == s.cols + taps
    for net, grid in (("VDD", vdd), ("VSS", vss)):
        assert len(_on(grid, "met1", y=fp.sar.y0 + SAR_RAILS[net][0])) == s.adcs + taps
    # tap-column lines: a via per rail of the net, a powertap per compute row and the SAR row on stripe taps
    vdd_rails = s.rows + groups + 2
    for i in range(taps):
        stripe = groups + 1 if i % 2 == 0 else 0
        assert len(_on(vdd, "met2", x=fp.tap_x(i) + TAP_VDD_X)) == vdd_rails + stripe
    assert len(_on(vdd, "met1")) == s.rows * (s.cols + taps + 2) + groups * (s.cols + taps + 1) + 2 * (
        s.adcs + taps
    )
    n_stripes = len(vdd.stripes_x_um)
    assert len(_on(vdd, "met2")) == taps * vdd_rails + n_stripes * (groups + 1) + (s.rows + groups)
    assert len(_on(vdd, "met4")) == n_stripes * (groups + 1 + 2) + 4  # stripe taps and ends, ring sides
    assert vdd.n_nodes == len(_on(vdd, "met1")) + len(_on(vdd, "met2")) + len(_on(vdd, "met4")) + 2 * (
        2 + n_stripes
    )
    assert {k: len(v) for k, v in vdd.sinks.items()} == {
        "bitcell": 256,
        "row_driver": 16,
        "compute": 64,
        "adc": 4,
        "sar": 4,
    }
    assert {k: len(v) for k, v in vss.sinks.items()} == {
        "bitcell": 256,
        "row_driver": 16,
        "compute": 64,
        "colper": 16,
        "adc": 4,
        "sar": 4,
    }


def test_bitcell_rail_between_two_tap_columns_is_sheet_times_length_over_width(vdd, acim_library):
    tech = load_tech(acim_library.tech_file)
    fp = floorplan(SPEC, acim_library)
    bit = acim_library.role("bitcell")
    pin = next(p for p in bit.pins if p.name == "VDD" and p.layer == "met1")
    width = pin.rect[3] - pin.rect[1]
    row = 5  # a mirrored row
    y = fp.row_y(row) + fp.bit_h - bit.rails["VDD"]
    xa, xb = fp.tap_x(0) + TAP_VDD_X, fp.tap_x(1) + TAP_VDD_X
    expected = tech.prop("met1", "sheet_res_ohm_sq") * (xb - xa) / width
    on_rail = set(_on(vdd, "met1", y=y).tolist())
    total = 0.0
    for a, b, r, kind in zip(vdd.r_a, vdd.r_b, vdd.r_ohm, vdd.r_kind, strict=True):
        if (
            kind == "rail"
            and a in on_rail
            and b in on_rail
            and xa - 1e-6 <= min(vdd.x_um[a], vdd.x_um[b])
            and max(vdd.x_um[a], vdd.x_um[b]) <= xb + 1e-6
        ):
            total += r
    assert total == pytest.approx(expected, rel=1e-9)
    assert len(_on(vdd, "met1", y=y)) > 2  # the sum ran over several bitcell segments


def test_stripes_in_gds_are_the_extracted_ones(vdd, vss, macro, acim_library):
    tech = load_tech(acim_library.tech_file)
    drawn = stripes_in_gds(macro.files["gds"], tech.gds("met4"), STRIPE_X[1] - STRIPE_X[0], min_length=10.0)
    assert drawn == pytest.approx(sorted(vdd.stripes_x_um + vss.stripes_x_um), abs=1e-4)
    assert len(drawn) == macro.floorplan.n_taps == macro.counts["stripes"]
    assert len(vdd.stripes_x_um) == (macro.floorplan.n_taps + 1) // 2  # VDD on the even tap columns


def test_every_extracted_conductor_is_drawn_and_every_rail_via_extracted(vdd, vss, macro, acim_library):
    """Against the flattened GDS: each rail/line/stripe/ring resistor lies on its metal, each via on its cut(s);
    and every via1 drawn where one of the net's met2 lines crosses one of its rails is in the network."""
    tech = load_tech(acim_library.tech_file)
    top = gdstk.read_gds(str(macro.files["gds"])).top_level()[0]
    polys = {
        name: top.get_polygons(layer=tech.gds(name)[0], datatype=tech.gds(name)[1])
        for name in ("met1", "met2", "met4", "met5", "via", "via2", "via3", "via4")
    }
    cuts = {"via": ("via",), "tap": ("via2", "via3"), "via4": ("via4",)}
    metal = {"rail": "met1", "line": "met2", "stripe": "met4"}
    for grid in (vdd, vss):
        for a, b, kind in zip(grid.r_a, grid.r_b, grid.r_kind, strict=True):
            pa, pb = np.array([grid.x_um[a], grid.y_um[a]]), np.array([grid.x_um[b], grid.y_um[b]])
            if kind in cuts:
                for cut in cuts[kind]:
                    assert gdstk.inside([tuple(pa)], polys[cut])[0], (grid.net, kind, pa)
            else:
                layer = metal.get(kind, grid.layer[a])
                points = [tuple(pa + t * (pb - pa)) for t in np.linspace(0, 1, 7)]
                assert all(gdstk.inside(points, polys[layer])), (grid.net, kind, pa, pb)
        vias = {
            (round(grid.x_um[a], 3), round(grid.y_um[a], 3))
            for a, kind in zip(grid.r_a, grid.r_kind, strict=True)
            if kind == "via"
        }
        lines = {
            round(grid.x_um[a], 3) for a, kind in zip(grid.r_a, grid.r_kind, strict=True) if kind == "line"
        }
        rails: dict[float, tuple[float, float, float]] = {}  # y -> (width, x from, x to)
        for a, b, kind, w in zip(grid.r_a, grid.r_b, grid.r_kind, grid.r_width_um, strict=True):
            if kind == "rail":
                _, lo, hi = rails.get(round(grid.y_um[a], 3), (w, np.inf, -np.inf))
                xs = (grid.x_um[a], grid.x_um[b])
                rails[round(grid.y_um[a], 3)] = (w, min(lo, *xs), max(hi, *xs))
        checked = 0
        for poly in polys["via"]:
            (x0, y0), (x1, y1) = poly.bounding_box()
            x, y = round((x0 + x1) / 2, 3), (y0 + y1) / 2
            rail = next(
                (ry for ry, (w, lo, hi) in rails.items() if abs(y - ry) < w / 2 and lo <= x <= hi), None
            )
            if x in lines and rail is not None:
                assert (x, rail) in vias, (grid.net, x, y)
                checked += 1
        assert checked == len(vias)


def test_uniform_load_drop_is_small_and_worst_far_from_the_stripes(vdd, acim_library, tmp_path):
    """10 µA per bitcell: the drop stays below 5 % of VDD and peaks in a bitcell row of the array, between
    two VDD stripes (a quarter of their pitch away from both), in the top local array: powertaps sit in the
    compute rows at the bottom of each local array, so the top array's upper rows are the farthest."""
    fp = floorplan(SPEC, acim_library)
    current = np.zeros(vdd.n_nodes)
    current[vdd.sinks["bitcell"]] = 10e-6
    drop = _drop(vdd, current, tmp_path)
    assert 0 < drop.max() < 0.05 * vdd.vdd
    worst = int(np.argmax(drop))
    x, y = vdd.x_um[worst], vdd.y_um[worst]
    assert vdd.layer[worst] == "met1" and worst in set(vdd.sinks["bitcell"].tolist())
    assert fp.array.x0 < x < fp.array.x1
    pitch = np.diff(vdd.stripes_x_um).min()
    assert min(abs(x - s) for s in vdd.stripes_x_um) >= pitch / 4
    top = SPEC.local_arrays_per_column - 1
    assert fp.compute_y(top) + fp.compute_h < y < fp.array.y1
    assert drop[vdd.sinks["bitcell"]].min() < 0.8 * drop.max()  # bitcells next to a stripe see less


def test_vss_grid_is_connected_through_every_column_line(vss, vdd, acim_library):
    fp = floorplan(SPEC, acim_library)
    grid = ColumnGrid(extra_pitch=round(acim_library.column_pitch - ColumnGrid().pitch, 4))
    for net_grid in (vss, vdd):
        assert len(set(_components(net_grid).tolist())) == 1, f"{net_grid.net} grid has a floating piece"
    labels = _components(vss)
    pad_component = labels[vss.pads[0]]
    for c in range(SPEC.cols):
        line = _on(vss, "met2", x=fp.column_x(c) + grid.met2("VSS"))
        assert len(line) >= SPEC.rows + SPEC.local_arrays_per_column + 2  # bitcells, compute/colper/ADC vias
        assert (labels[line] == pad_component).all()
    bitcells = vss.sinks["bitcell"]
    assert {vss.layer[n] for n in bitcells} == {"met2"}  # bitcells draw VSS from their column's line


def test_unknown_net_is_a_user_error(acim_library):
    with pytest.raises(SpecError, match="unknown supply net"):
        extract_power_grid(SPEC, acim_library, net="VPWR")


def test_dynamic_pulses_carry_the_average_charge(vdd, acim_library):
    power = macro_power(SPEC, library=acim_library)
    times, waves, drawing = dynamic_waveforms(vdd, power, Segment("x", 1.0), cycles=5)
    average = np.trapezoid(waves.sum(axis=0), times) / times[-1]
    assert average == pytest.approx(static_currents(vdd, power).sum(), rel=1e-9)
    assert waves.sum(axis=0).max() > 2 * average  # phases concentrate the current: real peaks
    assert set(drawing) <= set(np.concatenate(list(vdd.sinks.values())))


def test_partial_column_use_moves_the_current(vdd, acim_library):
    power = macro_power(SPEC, library=acim_library)
    half = static_currents(vdd, power, [Segment("half", 1.0, data_scale=1.0, column_fraction=0.5)])
    compute = vdd.sinks["compute"]
    cols = vdd.sink_columns["compute"]
    assert half[compute[cols >= 8]].sum() == pytest.approx(
        power.component_w["switch"] / power.vdd * 0.5, rel=1e-9
    )  # only the switches, split over all columns
    assert half[compute[cols < 8]].sum() > half[compute[cols >= 8]].sum()


def test_a_layer_on_half_the_columns_draws_half_the_capacitor_power(vdd, acim_library):
    """Columns without the layer's weights switch no capacitor: the used ones draw what they draw at full use."""
    power = macro_power(SPEC, library=acim_library)
    no_data = dict(power.component_w, caps=0.0)
    base = static_currents(vdd, replace(power, component_w=no_data), [Segment("x", 1.0, data_scale=1.0)])
    full = static_currents(vdd, power, [Segment("full", 1.0, data_scale=1.0)]) - base
    half = static_currents(vdd, power, [Segment("half", 1.0, data_scale=1.0, column_fraction=0.5)]) - base
    compute, cols = vdd.sinks["compute"], vdd.sink_columns["compute"]
    caps_amps = power.component_w["caps"] / power.vdd
    assert full[compute].sum() == pytest.approx(caps_amps, rel=1e-9)
    assert half[compute].sum() == pytest.approx(0.5 * caps_amps, rel=1e-9)
    used = compute[cols < 8]
    np.testing.assert_allclose(half[used], full[used], rtol=1e-9)  # a used cell draws its full-use share
    assert not half[compute[cols >= 8]].any()


def test_denser_stripes_lower_the_drop(acim_library, tmp_path):
    spec = ACIMSpec(rows=16, cols=32, local_array_size=4, adc_bits=3)
    power = macro_power(spec, library=acim_library)
    worst, stripes = {}, {}
    for every in (16, 4):
        grid = extract_power_grid(spec, acim_library, stripe_every=every)
        stripes[every] = len(grid.stripes_x_um)
        worst[every] = _drop(grid, static_currents(grid, power), tmp_path).max()
    assert stripes[4] > stripes[16]
    assert worst[4] < 0.7 * worst[16]


def test_expert_segments_move_the_current_across_columns(vdd, acim_library):
    """A trace of two experts: each draws its data-dependent current in its own column slice, in turn."""
    power = macro_power(SPEC, library=acim_library)
    left = Segment("l0.e0", 1.0, column_fraction=0.5, column_start=0.0)
    right = Segment("l0.e1", 1.0, column_fraction=0.5, column_start=0.5)
    times, waves, _ = dynamic_waveforms(vdd, power, [left, right], cycles=2)
    compute, cols = vdd.sinks["compute"], vdd.sink_columns["compute"]
    half = times <= 2 * power.cycle_s
    caps_left_first = waves[compute[cols < 8]][:, half].sum()
    caps_right_first = waves[compute[cols >= 8]][:, half].sum()
    caps_right_then = waves[compute[cols >= 8]][:, ~half].sum()
    assert caps_left_first > 2 * caps_right_first  # expert 0 first: the left half works
    assert caps_right_then > 2 * waves[compute[cols < 8]][:, ~half].sum()  # then expert 1, the right half
    total = np.trapezoid(waves.sum(axis=0), times) / times[-1]
    assert total == pytest.approx(static_currents(vdd, power, [left, right]).sum(), rel=1e-9)
