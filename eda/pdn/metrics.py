"""IR-drop map metrics exactly as the ICCAD 2023 contest defines them.

* MAE over the whole map (same unit as the maps, V for contest maps);
* maximum absolute error;
* NMAE = MAE / max(golden);
* Pearson correlation;
* hotspot F1: a tile is a hotspot when its drop is *greater than* 90% of the **golden** map's maximum;
  the same threshold is applied to the prediction.
"""

from __future__ import annotations

import numpy as np

from eda.errors import DataError

__all__ = ["mae", "max_error", "nmae", "correlation", "hotspot_f1", "hotspot_confusion", "map_metrics"]


def _pair(pred: np.ndarray, golden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(golden, dtype=np.float64)
    if p.shape != g.shape:
        raise DataError(
            f"map shapes differ: prediction {p.shape} vs golden {g.shape}",
            hint="maps of one case must cover the same die area (rows index x)",
        )
    return p, g


def mae(pred: np.ndarray, golden: np.ndarray) -> float:
    """Mean absolute error over all tiles."""
    p, g = _pair(pred, golden)
    return float(np.mean(np.abs(p - g)))


def max_error(pred: np.ndarray, golden: np.ndarray) -> float:
    """Largest absolute tile error."""
    p, g = _pair(pred, golden)
    return float(np.max(np.abs(p - g)))


def nmae(pred: np.ndarray, golden: np.ndarray) -> float:
    """MAE normalised by the golden maximum (0 when the golden map is all zero and the prediction too)."""
    p, g = _pair(pred, golden)
    gmax = float(np.max(np.abs(g)))
    err = float(np.mean(np.abs(p - g)))
    if gmax == 0.0:
        return 0.0 if err == 0.0 else float("inf")
    return err / gmax


def correlation(pred: np.ndarray, golden: np.ndarray) -> float:
    """Pearson correlation coefficient of the two maps (nan when either is constant)."""
    p, g = _pair(pred, golden)
    ps, gs = p.ravel() - p.mean(), g.ravel() - g.mean()
    denom = float(np.sqrt(np.dot(ps, ps) * np.dot(gs, gs)))
    return float(np.dot(ps, gs) / denom) if denom > 0 else float("nan")


def hotspot_confusion(
    pred: np.ndarray, golden: np.ndarray, fraction: float = 0.9
) -> tuple[int, int, int, int]:
    """``(TP, FP, FN, TN)`` of hotspot tiles, threshold ``fraction * max(golden)`` for both maps."""
    p, g = _pair(pred, golden)
    thr = fraction * float(np.max(g))
    hp, hg = p > thr, g > thr
    tp = int(np.count_nonzero(hp & hg))
    fp = int(np.count_nonzero(hp & ~hg))
    fn = int(np.count_nonzero(~hp & hg))
    tn = int(hp.size - tp - fp - fn)
    return tp, fp, fn, tn


def hotspot_f1(pred: np.ndarray, golden: np.ndarray, fraction: float = 0.9) -> float:
    """Contest hotspot F1 (0 when there is no true positive)."""
    tp, fp, fn, _ = hotspot_confusion(pred, golden, fraction)
    if tp == 0:
        return 0.0
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    return 2.0 * precision * recall / (precision + recall)


def map_metrics(pred: np.ndarray, golden: np.ndarray) -> dict[str, float]:
    """All metrics in one dict: ``mae``, ``max_error``, ``nmae``, ``correlation``, ``f1`` (map units)."""
    return {
        "mae": mae(pred, golden),
        "max_error": max_error(pred, golden),
        "nmae": nmae(pred, golden),
        "correlation": correlation(pred, golden),
        "f1": hotspot_f1(pred, golden),
    }
