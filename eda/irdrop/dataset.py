"""IR-drop samples and data sets: ICCAD 2023 static cases (with D4 augmentation) and cached loading.

A :class:`Sample` holds the 1 µm input channels ``[C, X, Y]`` (:mod:`eda.irdrop.features`), the label in
mV ``[X, Y]`` (``None`` at inference), and the PDN structure (for the PDNGraph). :meth:`Sample.view`
returns the sample under one of the 8 flips/rotations of the square, with the maps, the stripe-distance
channels and the PDN coordinates transformed consistently, and the PDNGraph rebuilt on the transformed
PDN (so edge directions follow the transformed stripes).
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from eda.errors import DataError
from eda.irdrop.features import (
    FEATURES_VERSION,
    assemble_inputs,
    structural_maps,
    transform_inputs,
    transform_map,
)
from eda.irdrop.graph import PDNGraph, build_pdn_graph
from eda.irdrop.structure import PdnStructure, load_structure

__all__ = ["Sample", "TRANSFORMS", "load_iccad_case", "load_iccad_split", "iccad_cases", "sample_from_maps"]

#: the 8 symmetries of the square as ``(quarter_turns, flip)``
TRANSFORMS: tuple[tuple[int, bool], ...] = tuple((k, f) for f in (False, True) for k in range(4))


@dataclass
class Sample:
    """One design: inputs ``[C, X, Y]`` (float32), label in mV ``[X, Y]`` or None, the PDN, a name."""

    name: str
    inputs: np.ndarray
    label_mv: np.ndarray | None
    pdn: PdnStructure | None
    tile_um: int = 4
    _graphs: dict[tuple[int, bool], PDNGraph] = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        """Map shape ``(X, Y)`` in 1 µm tiles."""
        return int(self.inputs.shape[1]), int(self.inputs.shape[2])

    def graph(self, k: int = 0, flip: bool = False) -> PDNGraph:
        """The PDNGraph of the sample under transform ``(k, flip)`` (cached)."""
        key = (k % 4, bool(flip))
        if key not in self._graphs:
            x = transform_inputs(self.inputs, *key)
            pdn = None if self.pdn is None else self.pdn.transformed(key[0], key[1], self.shape)
            self._graphs[key] = build_pdn_graph(x, self.tile_um, pdn=pdn)
        return self._graphs[key]

    def crop_view(
        self, k: int, flip: bool, size: int, rng: random.Random
    ) -> tuple[torch.Tensor, PDNGraph, torch.Tensor | None]:
        """:meth:`view` cut to a random ``size`` × ``size`` µm window aligned to the graph tiles.

        The inputs (including the die-level current channels, computed on the whole die) and the label
        are cropped; the PDNGraph is the induced subgraph of the tiles inside the window.
        """
        x, graph, y = self.view(k, flip)
        t = self.tile_um
        size = max(t, size - size % t)
        nx, ny = x.shape[-2:]
        ox = t * rng.randrange(0, (nx - size) // t + 1) if nx > size else 0
        oy = t * rng.randrange(0, (ny - size) // t + 1) if ny > size else 0
        if nx <= size and ny <= size:
            return x, graph, y
        x = x[..., ox : ox + size, oy : oy + size]
        y = None if y is None else y[..., ox : ox + size, oy : oy + size]
        gx_n, gy_n = graph.grid
        tx = torch.arange(ox // t, min(gx_n, (ox + size + t - 1) // t))
        ty = torch.arange(oy // t, min(gy_n, (oy + size + t - 1) // t))
        subset = (tx[:, None] * gy_n + ty[None, :]).reshape(-1)
        from torch_geometric.utils import subgraph

        ei, ea = subgraph(
            subset, graph.edge_index, graph.edge_attr, relabel_nodes=True, num_nodes=graph.num_nodes
        )
        sub = PDNGraph(
            x=graph.x[subset],
            edge_index=ei,
            edge_attr=ea,
            grid=(len(tx), len(ty)),
            tile_um=t,
            pos=graph.pos[subset] - torch.tensor([float(ox), float(oy)]),
        )
        return x, sub, y

    def view(self, k: int = 0, flip: bool = False) -> tuple[torch.Tensor, PDNGraph, torch.Tensor | None]:
        """``(inputs [1, C, X', Y'], graph, label [1, X', Y'] or None)`` under transform ``(k, flip)``."""
        x = torch.from_numpy(transform_inputs(self.inputs, k, flip))[None]
        y = None
        if self.label_mv is not None:
            y = torch.from_numpy(transform_map(self.label_mv, k, flip).astype(np.float32))[None]
        return x, self.graph(k, flip), y


def sample_from_maps(
    name: str,
    current: np.ndarray,
    eff_dist: np.ndarray,
    pdn_density: np.ndarray,
    pdn: PdnStructure | None,
    label_v: np.ndarray | None = None,
    time_slices: np.ndarray | None = None,
    tile_um: int = 4,
    rails: tuple[np.ndarray, ...] | None = None,
) -> Sample:
    """Assemble a sample from contest maps (A, µm, class; label in V) and an optional PDN (``rails``: its
    :func:`eda.irdrop.features.rail_maps` under ``current`` with ``coarse=True``, when already computed)."""
    shape = np.shape(current)
    for what, m in (("eff_dist", eff_dist), ("pdn_density", pdn_density), ("label", label_v)):
        if m is not None and np.shape(m) != shape:
            raise DataError(
                f"{what} map has shape {np.shape(m)}, the current map {shape}",
                where=name,
                hint="all maps of one design cover the same 1 µm tile grid",
            )
    smaps = structural_maps(pdn, shape, current, rails) if pdn is not None else None
    x = assemble_inputs(current, eff_dist, pdn_density, smaps, time_slices)
    label = None if label_v is None else (np.asarray(label_v) * 1e3).astype(np.float32)
    return Sample(name=name, inputs=x, label_mv=label, pdn=pdn, tile_um=tile_um)


def iccad_cases(root: Path, subset: str, *, require_netlist: bool = True) -> list[Path]:
    """Case directories of ``root/subset`` (``real`` or ``fake``), sorted, optionally only with a netlist."""
    base = root / subset
    if not base.is_dir():
        raise DataError(f"'{base}' is not a directory", hint="point EDA_DATA at the data holding iccad23/")
    cases = sorted(p for p in base.iterdir() if (p / "current_map.csv.gz").exists())
    if require_netlist:
        cases = [p for p in cases if (p / "netlist.sp.gz").exists()]
    return cases


def _cache_key(case: Path, tile_um: int) -> str:
    h = hashlib.sha1()
    for f in sorted(case.glob("*.gz")):
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    h.update(f"tile={tile_um};v={FEATURES_VERSION}".encode())
    return h.hexdigest()[:16]


def load_iccad_case(case: Path, *, tile_um: int = 4, cache_dir: Path | None = None) -> Sample:
    """Load one ICCAD 2023 case directory into a :class:`Sample` (cached as ``.npz`` when ``cache_dir``)."""
    from eda.pdn.maps import read_map

    case = Path(case)
    name = f"{case.parent.name}/{case.name}"
    netlist = case / "netlist.sp.gz"
    pdn = load_structure(netlist) if netlist.exists() else None
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"{case.parent.name}-{case.name}-{_cache_key(case, tile_um)}.npz"
        if cache.exists():
            with np.load(cache) as z:
                return Sample(name=name, inputs=z["inputs"], label_mv=z["label"], pdn=pdn, tile_um=tile_um)
    label_path = case / "ir_drop_map.csv.gz"
    sample = sample_from_maps(
        name,
        read_map(case / "current_map.csv.gz"),
        read_map(case / "eff_dist_map.csv.gz"),
        read_map(case / "pdn_density.csv.gz"),
        pdn,
        read_map(label_path) if label_path.exists() else None,
        tile_um=tile_um,
    )
    if cache is not None and sample.label_mv is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, inputs=sample.inputs, label=sample.label_mv)
        tmp.replace(cache)
    return sample


def load_iccad_split(
    root: Path,
    *,
    real: bool = True,
    fake: bool = True,
    exclude: Sequence[str] = (),
    only: Sequence[str] = (),
    tile_um: int = 4,
    cache_dir: Path | None = None,
    load: Callable[[Path], Sample] | None = None,
) -> list[Sample]:
    """Load the ICCAD 2023 cases that have a netlist: ``real/`` and/or ``fake/``.

    ``exclude``/``only`` filter by case name (``testcase1`` or ``real/testcase1``). ``load`` replaces
    :func:`load_iccad_case` (e.g. to fan loading out through an executor).
    """
    dirs: list[Path] = []
    for subset, wanted in (("real", real), ("fake", fake)):
        if wanted:
            dirs += iccad_cases(root, subset)

    def matches(d: Path, names: Sequence[str]) -> bool:
        return d.name in names or f"{d.parent.name}/{d.name}" in names

    dirs = [d for d in dirs if not matches(d, exclude) and (not only or matches(d, only))]
    if load is None:
        return [load_iccad_case(d, tile_um=tile_um, cache_dir=cache_dir) for d in dirs]
    return [load(d) for d in dirs]
