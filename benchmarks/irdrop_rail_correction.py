"""Rail-estimate corrections on the ICCAD 2023 cases: none, the uniform sheet stack (``eda.irdrop.rail``),
and an experimental per-region coarse grid (not in the package).

The shipped correction spreads the Kirchhoff residual of the chain estimate through sheets whose
conductance is the die average of each layer, diagonal in the cosine basis. Designs whose stripe pitch
changes from block to block keep an error in those blocks. The experimental variant here gives every
4 µm cell of every layer its own sheet conductance (the layer's wires in the cell, averaged over one wire
pitch, floored at 5 % of the layer mean so no cell floats) and every cell its own via conductance, and
solves that coarse homogenised grid (5 layers × (die / 4 µm)² unknowns, pads grounded) with a sparse
direct solve. It is a solve of a coarse model, not of the netlist; whether a predictor may use it is a
judgement the project has not made (see docs/irdrop.md). Run::

    python benchmarks/irdrop_rail_correction.py [--cell 4] [--fake-every 4]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.ndimage import uniform_filter
from scipy.sparse.linalg import spsolve

from eda.data import require_data
from eda.irdrop.dataset import iccad_cases
from eda.irdrop.rail import kirchhoff_residual, rail_estimate
from eda.irdrop.structure import PdnStructure, load_structure, tile_of
from eda.pdn.maps import read_map
from eda.pdn.metrics import map_metrics
from eda.pdn.raster import rasterize_points
from eda.pdn.system import stamp

#: no cell of a layer conducts less than this fraction of the layer's mean sheet conductance
_FLOOR = 0.05


def coarse_correction(pdn: PdnStructure, residual: np.ndarray, shape: tuple[int, int], cell_um: int = 4) -> np.ndarray:
    """Drop (V) per node that the residual current (A per node) causes on the per-cell coarse grid."""
    nx, ny = shape
    cx, cy = -(-nx // cell_um), -(-ny // cell_um)
    a, b = pdn.res_a, pdn.res_b
    g = 1.0 / pdn.res_ohm
    la, lb = pdn.layer[a], pdn.layer[b]
    layers = sorted(np.unique(pdn.layer).tolist())
    pos = {lay: i for i, lay in enumerate(layers)}
    axes = pdn.resistor_axes()
    d = np.abs(pdn.xy[b] - pdn.xy[a])
    mid = (pdn.xy[a] + pdn.xy[b]) / 2
    ci, cj = tile_of(mid, (cx, cy), cell_um)
    idx = np.arange(len(layers) * cx * cy).reshape(len(layers), cx, cy)
    ends_a, ends_b, cond = [], [], []
    for k, lay in enumerate(layers):
        wire = (la == lay) & (lb == lay)
        len_x, len_y = float(d[wire & (axes == 0), 0].sum()), float(d[wire & (axes == 1), 1].sum())
        # one wire pitch in cells: wires along x sit area / length apart in y, and so on
        box = (max(1, round(nx * ny / len_y / cell_um)) if len_y else 1,
               max(1, round(nx * ny / len_x / cell_um)) if len_x else 1)
        for ax in (0, 1):
            sel = wire & (axes == ax)
            sig = np.zeros((cx, cy))
            np.add.at(sig, (ci[sel], cj[sel]), g[sel] * d[sel, ax] ** 2 / cell_um**2)
            sig = uniform_filter(sig, size=box, mode="reflect")
            sig = np.maximum(sig, _FLOOR * sig.mean())
            lo, hi = (sig[:-1], sig[1:]) if ax == 0 else (sig[:, :-1], sig[:, 1:])
            near, far = (idx[k, :-1], idx[k, 1:]) if ax == 0 else (idx[k, :, :-1], idx[k, :, 1:])
            ends_a.append(near.ravel())
            ends_b.append(far.ravel())
            cond.append((2 * lo * hi / np.maximum(lo + hi, 1e-300)).ravel())
        if k + 1 < len(layers):
            via = ((la == lay) & (lb == layers[k + 1])) | ((lb == lay) & (la == layers[k + 1]))
            gam = np.zeros((cx, cy))
            np.add.at(gam, (ci[via], cj[via]), g[via])
            gam = uniform_filter(gam, size=8, mode="reflect")
            gam = np.maximum(gam, _FLOOR * gam.mean())
            ends_a.append(idx[k].ravel())
            ends_b.append(idx[k + 1].ravel())
            cond.append(gam.ravel())
    n = idx.size
    mat = stamp(n, np.concatenate(ends_a), np.concatenate(ends_b), np.concatenate(cond)).tocsr()

    def cell_of(nodes: np.ndarray) -> np.ndarray:
        lay = np.array([pos[v] for v in pdn.layer[nodes]])
        return idx[(lay, *tile_of(pdn.xy[nodes], (cx, cy), cell_um))]

    every = np.arange(pdn.num_nodes)
    rhs = np.bincount(cell_of(every), weights=residual, minlength=n)
    free = np.setdiff1d(np.arange(n), cell_of(pdn.pad_nodes))
    v = np.zeros(n)
    v[free] = spsolve(mat[free][:, free].tocsc(), rhs[free])
    return v[cell_of(every)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell", type=int, default=4, help="coarse cell (µm) of the per-region variant")
    ap.add_argument("--fake-every", type=int, default=4, help="also every N-th fake case (0: none)")
    args = ap.parse_args()
    root = require_data("iccad23")
    cases = iccad_cases(root, "real") + (iccad_cases(root, "fake")[:: args.fake_every] if args.fake_every else [])
    print("| case | correction | MAE (mV) | correlation | F1 | hot tiles est./golden | seconds |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        pdn = load_structure(case / "netlist.sp.gz")
        golden = read_map(case / "ir_drop_map.csv.gz") * 1e3
        shape = golden.shape
        low = np.flatnonzero(pdn.layer == pdn.layer.min())
        t0 = time.perf_counter()
        chains = rail_estimate(pdn, shape, correct=False)
        t1 = time.perf_counter()
        uniform = rail_estimate(pdn, shape)
        t2 = time.perf_counter()
        res = kirchhoff_residual(pdn, chains, pdn.sink_nodes, pdn.sink_amp)
        coarse = chains + coarse_correction(pdn, res, shape, args.cell)
        t3 = time.perf_counter()
        hot = golden > 0.9 * golden.max()
        for name, drop, sec in (("none (chains + top mesh)", chains, t1 - t0),
                                ("uniform sheets (eda.irdrop.rail)", uniform, t2 - t1),
                                (f"per-region {args.cell} µm grid (experimental)", coarse, t3 - t2 + t1 - t0)):
            est = rasterize_points(pdn.xy[low, 0], pdn.xy[low, 1], drop[low], shape) * 1e3
            m = map_metrics(est, golden)
            print(f"| {case.parent.name}/{case.name} | {name} | {m['mae']:.4f} | {m['correlation']:.4f} | "
                  f"{m['f1']:.3f} | {est[hot].mean() / golden[hot].mean():.3f} | {sec:.2f} |", flush=True)


if __name__ == "__main__":
    main()
