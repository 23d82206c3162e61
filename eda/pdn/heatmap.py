"""IR-drop heat maps as PNG: contest maps (colour bar in mV, worst-drop marker) and per-layer node plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eda.pdn.netlist import PdnNetlist

__all__ = ["plot_map", "plot_layers"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_map(
    drop_map_v: np.ndarray,
    path: str | Path,
    *,
    title: str = "IR drop",
    unit_scale: float = 1e3,
    unit: str = "mV",
    cmap: str = "inferno",
) -> Path:
    """Draw a ``[x, y]`` map (V) with x to the right and y up; mark and label the worst tile."""
    plt = _plt()
    m = np.asarray(drop_map_v, dtype=float) * unit_scale
    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=110)
    im = ax.imshow(
        m.T,
        origin="lower",
        cmap=cmap,
        interpolation="nearest",
        extent=(-0.5, m.shape[0] - 0.5, -0.5, m.shape[1] - 0.5),
    )
    cb = fig.colorbar(im, ax=ax)
    cb.set_label(f"IR drop ({unit})")
    i, j = np.unravel_index(int(np.argmax(m)), m.shape)
    ax.plot([i], [j], marker="x", color="cyan", markersize=10, mew=2)
    left = i > 0.6 * m.shape[0]
    low = j > 0.8 * m.shape[1]
    ax.annotate(
        f"worst {m[i, j]:.3g} {unit}\n({i}, {j}) µm",
        (i, j),
        textcoords="offset points",
        xytext=(-8 if left else 8, -14 if low else 8),
        ha="right" if left else "left",
        va="top" if low else "bottom",
        color="cyan",
        fontsize=8,
    )
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title(title)
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    plt.close(fig)
    return p


def plot_layers(
    net: PdnNetlist,
    drop_v: np.ndarray,
    path: str | Path,
    *,
    max_points: int = 200_000,
    title: str = "IR drop per layer",
) -> Path:
    """One scatter panel per metal layer, nodes coloured by drop (mV) on a shared scale."""
    plt = _plt()
    has = np.isfinite(net.x_um) & (net.layer >= 0)
    layers = sorted(np.unique(net.layer[has]).tolist()) or [-1]
    drop_mv = np.asarray(drop_v) * 1e3
    vmin, vmax = float(drop_mv[has].min()) if np.any(has) else 0.0, float(drop_mv.max())
    cols = min(len(layers), 3)
    rows = (len(layers) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.8 * rows), dpi=100, squeeze=False)
    rng = np.random.default_rng(0)
    sc = None
    for ax, lay in zip(axes.ravel(), layers, strict=False):
        idx = np.flatnonzero(has & (net.layer == lay))
        if len(idx) > max_points:
            idx = np.sort(rng.choice(idx, max_points, replace=False))
        size = max(0.5, min(12.0, 6e4 / max(len(idx), 1)))
        sc = ax.scatter(
            net.x_um[idx],
            net.y_um[idx],
            c=drop_mv[idx],
            s=size,
            cmap="inferno",
            vmin=vmin,
            vmax=vmax,
            linewidths=0,
        )
        if len(idx):
            w = idx[int(np.argmax(drop_mv[idx]))]
            ax.plot([net.x_um[w]], [net.y_um[w]], "x", color="cyan", markersize=8, mew=2)
            ax.set_title(f"m{lay}: worst {drop_mv[w]:.3g} mV", fontsize=9)
        ax.set_aspect("equal")
        ax.set_xlabel("x (µm)", fontsize=8)
    for ax in axes.ravel()[len(layers) :]:
        ax.axis("off")
    if sc is not None:
        cb = fig.colorbar(sc, ax=axes.ravel().tolist(), shrink=0.8)
        cb.set_label("IR drop (mV)")
    fig.suptitle(title)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    plt.close(fig)
    return p
