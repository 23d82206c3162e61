"""Node-name schemes that carry coordinates, decoded vectorised (``numpy.strings``).

* ICCAD 2023 / OpenROAD: ``<net>_m<layer>_<x>_<y>`` (also ``M3``, ``metal3``, ``Node_metal1_<x>_<y>``,
  ``ITermNode_<...>_<x>_<y>`` without a layer), coordinates in DBU;
* BeGAN: ``<net>_<x>_<y>_<layer>`` with the layer as ``m1`` or ``1``, coordinates in DBU.

DBU are converted to µm with ``dbu_per_um`` (2000 for the contest's Nangate45 designs). Any other name is
a plain node: NaN coordinates and layer -1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["decode_node_names", "iccad_name"]

_LETTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _is_int(s: np.ndarray) -> np.ndarray:
    body = np.strings.lstrip(s, b"-")
    return np.strings.isdigit(body) & (np.strings.str_len(body) > 0)


def _layer_of(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``m1``/``M1``/``metal1``/``1`` -> (layer, ok); ``ok`` False for anything else."""
    digits = np.strings.lstrip(s, _LETTERS)
    stripped = np.strings.str_len(s) > np.strings.str_len(digits)
    ok = _is_int(digits) & (stripped | np.strings.isdigit(s))
    layer = np.full(len(s), -1, np.int64)
    if np.any(ok):
        layer[ok] = digits[ok].astype(np.int64)
    return layer, ok


def decode_node_names(
    names: np.ndarray, *, dbu_per_um: float = 2000.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x_um, y_um, layer)`` for a bytes array of node names (NaN / -1 where the name has none)."""
    n = len(names)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    layer = np.full(n, -1, np.int64)
    if n == 0:
        return x, y, layer
    s = np.asarray(names)
    head1, _, f1 = np.strings.rpartition(s, b"_")
    head2, _, f2 = np.strings.rpartition(head1, b"_")
    head3, _, f3 = np.strings.rpartition(head2, b"_")
    i1, i2, i3 = _is_int(f1), _is_int(f2), _is_int(f3)
    # scheme A: ..._<layer>_<x>_<y>  (layer optional, lettered: m1, M1, metal1)
    a = i1 & i2 & ~i3
    if np.any(a):
        ia = np.flatnonzero(a)
        x[ia], y[ia] = f2[ia].astype(np.float64), f1[ia].astype(np.float64)
        la, lok = _layer_of(f3[ia])
        layer[ia[lok]] = la[lok]
    # scheme B: <net>_<x>_<y>_<layer> with the layer as m1 or 1 (three trailing integers read as x, y, layer);
    # only names that scheme A did not take are examined
    rest = np.flatnonzero(~a & i2 & i3)
    if len(rest):
        g1 = f1[rest]
        lb, lbok = _layer_of(g1)
        lettered = np.strings.str_len(np.strings.lstrip(g1, _LETTERS)) < np.strings.str_len(g1)
        take = lbok & (lettered | i1[rest])
        ib = rest[take]
        x[ib], y[ib], layer[ib] = f3[ib].astype(np.float64), f2[ib].astype(np.float64), lb[take]
    x /= dbu_per_um
    y /= dbu_per_um
    return x, y, layer


def iccad_name(x_dbu: np.ndarray, y_dbu: np.ndarray, layer: np.ndarray, net: str = "n1") -> np.ndarray:
    """ICCAD-scheme names ``<net>_m<layer>_<x>_<y>`` (bytes array) for integer DBU coordinates."""
    parts = [
        np.full(len(x_dbu), f"{net}_m".encode()),
        np.asarray(layer).astype("S"),
        b"_",
        np.asarray(x_dbu, dtype=np.int64).astype("S"),
        b"_",
        np.asarray(y_dbu, dtype=np.int64).astype("S"),
    ]
    out = parts[0]
    for p in parts[1:]:
        out = np.strings.add(out, p)
    return out
