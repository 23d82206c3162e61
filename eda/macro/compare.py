"""Golden and predicted IR-drop maps of a macro side by side, overlaid on its floorplan."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_overlay"]

_BLOCK_COLOURS = {"array": "white", "drivers": "cyan", "colper": "lime", "adc": "magenta", "sar": "yellow"}


def plot_overlay(
    maps: dict[str, np.ndarray],
    blocks: dict[str, list[float]],
    path: Path,
    *,
    title: str = "IR drop over the floorplan",
) -> Path:
    """One panel per map (V, ``[x, y]``, rows index x), each with its own mV colour bar, and block outlines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, len(maps), figsize=(5.4 * len(maps), 4.8), dpi=100, squeeze=False)
    for ax, (label, values) in zip(axes[0], maps.items(), strict=True):
        image = ax.imshow(
            values.T * 1e3,
            origin="lower",
            cmap="inferno",
            vmin=0.0,
            extent=(0, values.shape[0], 0, values.shape[1]),
            interpolation="nearest",
        )
        fig.colorbar(image, ax=ax, label="IR drop (mV)", shrink=0.85)
        for name, colour in _BLOCK_COLOURS.items():
            if name in blocks:
                x0, y0, x1, y1 = blocks[name]
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=0.8, ec=colour, label=name))
        i, j = np.unravel_index(int(np.argmax(values)), values.shape)
        ax.plot([i], [j], "x", color="cyan", ms=9, mew=2)
        ax.set_title(f"{label}: worst {values.max() * 1e3:.3g} mV", fontsize=10)
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
    axes[0][0].legend(loc="upper right", fontsize=7, framealpha=0.6)
    fig.suptitle(title)
    fig.savefig(path)
    plt.close(fig)
    return path
