"""Bridge from the :mod:`eda.pdn` netlist reader to :class:`eda.irdrop.structure.PdnStructure`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eda.errors import NetlistError
from eda.irdrop.structure import PdnStructure

__all__ = ["structure_from_netlist", "structure_from_pdn"]


def _fill_coordinates(xy: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Nodes without coordinates (package or named nodes) take those of a resistor neighbour."""
    xy = xy.copy()
    for _ in range(4):
        bad = ~np.isfinite(xy[:, 0])
        if not np.any(bad):
            break
        for s, t in ((a, b), (b, a)):
            take = bad[s] & np.isfinite(xy[t, 0])
            xy[s[take]] = xy[t[take]]
    xy[~np.isfinite(xy)] = 0.0
    return xy


def structure_from_pdn(net) -> PdnStructure:  # noqa: ANN001 - eda.pdn.netlist.PdnNetlist
    """Convert a parsed :class:`eda.pdn.netlist.PdnNetlist` (resistors to ground are skipped)."""
    keep = (net.r_a >= 0) & (net.r_b >= 0)
    a, b = net.r_a[keep], net.r_b[keep]
    pads = (net.v_pos >= 0) & (net.v_neg < 0)
    if not np.any(pads):
        raise NetlistError(
            "the PDN has no pad (voltage source to ground)",
            where=net.source,
            hint="pads are V elements from a top-layer node to 0",
        )
    sinks = (net.i_a >= 0) & (net.i_b < 0)
    xy = _fill_coordinates(np.stack([net.x_um, net.y_um], axis=1).astype(np.float64), a, b)
    layer = np.where(net.layer >= 0, net.layer, int(max(net.layer.max(), 1)))
    return PdnStructure(
        xy=xy,
        layer=layer,
        res_a=a,
        res_b=b,
        res_ohm=net.r_ohm[keep],
        pad_nodes=net.v_pos[pads],
        pad_volt=net.v_volt[pads],
        sink_nodes=net.i_a[sinks],
        sink_amp=net.i_amp[sinks],
    )


def structure_from_netlist(path: Path) -> PdnStructure:
    """Read ``path`` with :func:`eda.pdn.netlist.read_netlist` and convert it."""
    from eda.pdn.netlist import read_netlist

    return structure_from_pdn(read_netlist(path))
