"""Agreement with ngspice (real ngspice runs): .op static and transient waveforms."""

from __future__ import annotations

import numpy as np
import pytest

from eda.pdn.generate import GridSpec, generate_pdn
from eda.pdn.ngspice import ngspice_available, run_ngspice_op, run_ngspice_tran
from eda.pdn.static import solve_static
from eda.pdn.transient import solve_transient

pytestmark = [
    pytest.mark.ngspice,
    pytest.mark.skipif(not ngspice_available(), reason="ngspice not installed (apt-get install ngspice)"),
]

SPEC = GridSpec(
    width_um=40,
    height_um=40,
    pad_pitch_um=20,
    package_r_ohm=0.05,
    package_l_h=20e-12,
    waveform="pwl",
    current_density_a_um2=2e-6,
    cycles=2,
    clock_period_s=1e-9,
    seed=5,
    decap_f=200e-15,
)


@pytest.fixture(scope="module")
def net():
    return generate_pdn(SPEC).netlist


def _names(net):
    return [n.decode().lower() for n in net.names]


def test_static_matches_ngspice_op(net):
    op = run_ngspice_op(net)  # ngspice uses the DC value of each PWL source for .op
    ours = solve_static(net)
    ng = np.array([op[n] for n in _names(net)])
    assert ours.worst_drop > 5e-3  # a meaningful drop, not a trivial comparison
    np.testing.assert_allclose(ours.voltage, ng, rtol=0, atol=1e-6 * ours.worst_drop + 1e-9)


@pytest.fixture(scope="module")
def ngspice_tran(net):
    return run_ngspice_tran(net, 2e-9, 5e-12)


@pytest.mark.parametrize("method,step", [("trap", 5e-12), ("be", 1e-12)])
def test_transient_matches_ngspice(net, ngspice_tran, method, step):
    names = _names(net)
    static = solve_static(net)
    probes = list(np.argsort(static.voltage)[:6]) + [int(net.l_a[0]), int(net.l_b[0])]
    res = solve_transient(net, 2e-9, step, method=method, probes=probes)
    swing = 0.0
    errs = []
    for j, p in enumerate(probes):
        ref = np.interp(res.time, ngspice_tran["time"], ngspice_tran[names[p]])
        swing = max(swing, float(np.max(net.supply_v - ref)))
        errs.append(float(np.max(np.abs(ref - res.waveforms[:, j]))))
    assert swing > 0.02  # the PWL activity really moves the supply (tens of mV)
    assert max(errs) <= 0.005 * swing
