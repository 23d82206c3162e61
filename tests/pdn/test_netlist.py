"""Netlist reader/writer and node-name schemes."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from eda.errors import DataError, NetlistError
from eda.pdn.netlist import parse_netlist, parse_value, read_netlist, write_netlist
from eda.pdn.nodenames import decode_node_names

SMALL = """* title comment
R1 n1_m1_0_0 n1_m1_4000_0 2.5
r2 n1_m1_4000_0 n1_m4_4000_0 1k ; inline comment
R3 n1_m4_4000_0
+ n1_m4_4000_8000 500m
C1 n1_m1_4000_0 0 10f
L1 pkg n1_m4_4000_8000 1n
V1 pkg 0 DC 1.1
I1 n1_m1_0_0 0 2mA
I2 n1_m1_4000_0 0 PWL(0 0 1n 1m 2n 0)
I3 n1_m1_4000_0 0 PULSE(0 1m 0.1n 10p 10p 0.5n 1n)
.tran 10p 5n
.end
R99 this line is after .end
"""


@pytest.mark.parametrize(
    "token,value",
    [
        ("4.7k", 4700.0),
        ("10meg", 1e7),
        ("2.5mA", 2.5e-3),
        ("1e-3", 1e-3),
        ("3u", 3e-6),
        ("-2n", -2e-9),
        ("7p", 7e-12),
        ("5f", 5e-15),
        ("1.1V", 1.1),
        (".5", 0.5),
        ("2mil", 50.8e-6),
    ],
)
def test_parse_value(token, value):
    assert parse_value(token) == pytest.approx(value)


def test_parse_value_rejects_garbage():
    with pytest.raises(ValueError):
        parse_value("abc")


def test_parse_all_elements():
    net = parse_netlist(SMALL, source="small.sp")
    assert net.summary() == {
        "nodes": 5,
        "resistors": 3,
        "pads": 1,
        "current_sources": 3,
        "capacitors": 1,
        "inductors": 1,
    }
    np.testing.assert_allclose(net.r_ohm, [2.5, 1000.0, 0.5])
    assert net.r_line.tolist() == [2, 3, 4]
    assert net.node_name(int(net.r_b[2])) == "n1_m4_4000_8000"  # continuation joined
    assert net.v_volt.tolist() == [1.1] and net.v_neg.tolist() == [-1]
    np.testing.assert_allclose(net.i_amp, [2e-3, 0.0, 0.0])
    assert net.waves.kind.tolist() == [0, 1, 2]
    s, e = net.waves.pwl_ptr[1], net.waves.pwl_ptr[2]
    np.testing.assert_allclose(net.waves.pwl_t[s:e], [0, 1e-9, 2e-9])
    np.testing.assert_allclose(net.waves.pulse[2], [0, 1e-3, 0.1e-9, 10e-12, 10e-12, 0.5e-9, 1e-9])
    assert net.c_f[0] == pytest.approx(10e-15) and net.l_h[0] == pytest.approx(1e-9)
    assert net.tran == pytest.approx((10e-12, 5e-9))
    i = int(net.r_b[0])
    assert (net.x_um[i], net.y_um[i], net.layer[i]) == (2.0, 0.0, 1)
    pkg = net.v_pos[0]
    assert np.isnan(net.x_um[pkg]) and net.layer[pkg] == -1


def test_node_name_schemes():
    names = np.array(
        [
            b"n1_m1_4000_6000",
            b"n1_M4_2000_0",
            b"Node_metal3_200_400",
            b"n1_4000_2000_m7",
            b"n1_100_200_3",
            b"vdd_core",
            b"ITermNode_u1_VDD_10_20",
        ]
    )
    x, y, layer = decode_node_names(names)
    np.testing.assert_allclose(x, [2.0, 1.0, 0.1, 2.0, 0.05, np.nan, 0.005])
    np.testing.assert_allclose(y, [3.0, 0.0, 0.2, 1.0, 0.1, np.nan, 0.01])
    assert layer.tolist() == [1, 4, 3, 7, 3, -1, -1]


def test_roundtrip_write_read(tmp_path):
    net = parse_netlist(SMALL, source="small.sp")
    p = write_netlist(net, tmp_path / "out.sp.gz")
    back = read_netlist(p)
    assert back.summary() == net.summary()
    assert back.names.tolist() != [] and set(back.names.tolist()) == set(net.names.tolist())
    np.testing.assert_allclose(np.sort(back.r_ohm), np.sort(net.r_ohm), rtol=1e-6)
    assert back.waves.kind.tolist() == [0, 1, 2]
    np.testing.assert_allclose(back.waves.pwl_v, net.waves.pwl_v, rtol=1e-6)
    assert back.tran == pytest.approx(net.tran)


def test_syntax_error_names_line(tmp_path):
    text = "R1 a b 1\nR2 a c 2\nR3 b c notanumber\nV1 a 0 1\n"
    (tmp_path / "bad.sp").write_text(text)
    with pytest.raises(NetlistError, match=r"bad\.sp:3.*'notanumber' is not a number"):
        read_netlist(tmp_path / "bad.sp")


def test_missing_field_names_line():
    with pytest.raises(NetlistError, match=r"x\.sp:2: R element 'R2' has 3 fields"):
        parse_netlist("R1 a b 1\nR2 a b\nV1 a 0 1\n", source="x.sp")


def test_unsupported_element_names_line():
    with pytest.raises(NetlistError, match=r"x\.sp:2: unsupported element 'X1'"):
        parse_netlist("R1 a b 1\nX1 a b sub\n", source="x.sp")


def test_unsupported_element_message_stays_short():
    # a current map passed as the netlist: its first line is one comma-separated token of 10 kB
    row = ",".join(["0.0e+00"] * 2000)
    with pytest.raises(NetlistError, match=r"map\.csv:1: unsupported element") as exc:
        parse_netlist(row + "\n", source="map.csv")
    assert len(str(exc.value)) < 200


def test_unclosed_waveform():
    with pytest.raises(NetlistError, match=r"x\.sp:2"):
        parse_netlist("R1 a 0 1\nI1 a 0 PWL(0 0 1n\n", source="x.sp")


def test_truncated_gzip_netlist(tmp_path):
    data = gzip.compress(("R1 a b 1\n" * 5000).encode())
    (tmp_path / "t.sp.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"t\.sp\.gz.*truncated or corrupt gzip"):
        read_netlist(tmp_path / "t.sp.gz")


def test_npz_roundtrip(tmp_path):
    from eda.pdn.netlist import load_npz, save_npz

    net = parse_netlist(SMALL, source="small.sp")
    back = load_npz(save_npz(net, tmp_path / "n.npz"))
    assert back.summary() == net.summary() and back.tran == net.tran and back.source == "small.sp"
    np.testing.assert_array_equal(back.names, net.names)
    np.testing.assert_array_equal(back.waves.pulse, net.waves.pulse)


def test_pulse_missing_fields_default_to_a_step():
    net = parse_netlist("V1 a 0 1\nR1 a b 1\nI1 b 0 PULSE(0 1m 1n)\n")
    np.testing.assert_allclose(net.waves.pulse[0], [0, 1e-3, 1e-9, 0, 0, np.inf, np.inf])
