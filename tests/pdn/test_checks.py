"""Diagnostics of broken netlists (floating islands, bad values, unknown nodes)."""

from __future__ import annotations

import pytest

from eda.errors import FloatingNetError, NetlistError
from eda.pdn.checks import check_netlist, floating_islands
from eda.pdn.netlist import parse_netlist
from eda.pdn.static import solve_static

GOOD = (
    "R1 n1_m1_0_0 n1_m1_4000_0 1\nR2 n1_m1_4000_0 n1_m4_4000_0 1\nV1 n1_m4_4000_0 0 1.1\nI1 n1_m1_0_0 0 1m\n"
)


def test_good_netlist_passes():
    check_netlist(parse_netlist(GOOD))


def test_floating_island_names_nodes_and_coordinates():
    text = GOOD + "R3 n1_m1_20000_2000 n1_m1_24000_2000 1\nI2 n1_m1_20000_2000 0 1m\n"
    net = parse_netlist(text, source="island.sp")
    islands = floating_islands(net)
    assert len(islands) == 1 and len(islands[0]) == 2
    with pytest.raises(FloatingNetError) as exc:
        solve_static(net)
    msg = str(exc.value)
    assert "island.sp" in msg and "1 floating island" in msg
    assert "n1_m1_20000_2000 at (10.000, 1.000) µm on m1" in msg


def test_negative_resistor_names_line():
    text = GOOD.replace("R2 n1_m1_4000_0 n1_m4_4000_0 1", "R2 n1_m1_4000_0 n1_m4_4000_0 -3")
    with pytest.raises(NetlistError, match=r"neg\.sp:2: R element .* has resistance -3"):
        check_netlist(parse_netlist(text, source="neg.sp"))


def test_zero_resistor_reported():
    with pytest.raises(NetlistError, match=r"z\.sp:1: .*resistance 0"):
        check_netlist(parse_netlist(GOOD.replace(" 1\nR2", " 0\nR2", 1), source="z.sp"))


def test_source_on_unknown_node():
    text = GOOD + "I2 n1_m1_8000_0 0 1m\n"
    with pytest.raises(NetlistError, match=r"u\.sp:5: I element on node n1_m1_8000_0 at \(4\.000, 0\.000\)"):
        check_netlist(parse_netlist(text, source="u.sp"))


def test_no_pad():
    with pytest.raises(NetlistError, match="no voltage source"):
        check_netlist(parse_netlist("R1 a b 1\nI1 a 0 1m\n"))


def test_conflicting_pad_voltages():
    with pytest.raises(NetlistError, match="voltage sources of"):
        check_netlist(parse_netlist("R1 a b 1\nV1 a 0 1.1\nV2 a 0 1.0\n", source="v.sp"))
