"""Vectorised evaluation of current-source waveforms (DC, PWL, PULSE) at a time point."""

from __future__ import annotations

import numpy as np

from eda.pdn.netlist import Waveforms

__all__ = ["SourceEvaluator", "pulse_value"]


def pulse_value(p: np.ndarray, t: float) -> np.ndarray:
    """SPICE ``PULSE(v1 v2 td tr tf pw per)`` rows of ``p`` at time ``t`` (s)."""
    v1, v2, td, tr, tf, pw, per = (p[:, k] for k in range(7))
    tt = t - td
    periodic = np.isfinite(per) & (per > 0)
    tt = np.where(periodic & (tt >= 0), np.mod(tt, np.where(periodic, per, 1.0)), tt)
    tr_s = np.where(tr > 0, tr, 1e-30)
    tf_s = np.where(tf > 0, tf, 1e-30)
    out = np.where(
        tt < 0,
        v1,
        np.where(
            tt < tr,
            v1 + (v2 - v1) * tt / tr_s,
            np.where(
                tt < tr + pw, v2, np.where(tt < tr + pw + tf, v2 + (v1 - v2) * (tt - tr - pw) / tf_s, v1)
            ),
        ),
    )
    return out


class SourceEvaluator:
    """``evaluator(t)`` -> current of every source (A) at time ``t``.

    PWL sources that share one time vector (the generator's activity profiles) are evaluated as one
    matrix interpolation; other PWL sources with a segmented search over the CSR breakpoints.
    """

    def __init__(self, waves: Waveforms, dc: np.ndarray) -> None:
        self.dc = np.asarray(dc, dtype=np.float64)
        self.kind = waves.kind
        self.pwl_idx = np.flatnonzero(waves.kind == 1)
        self.pulse_idx = np.flatnonzero(waves.kind == 2)
        self.pulse = waves.pulse[self.pulse_idx]
        self.shared_t: np.ndarray | None = None
        if len(self.pwl_idx):
            ptr = waves.pwl_ptr
            starts, ends = ptr[self.pwl_idx], ptr[self.pwl_idx + 1]
            counts = ends - starts
            self.counts = counts
            take = np.concatenate(
                [np.arange(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
            )
            self.t = waves.pwl_t[take]
            self.v = waves.pwl_v[take]
            self.ptr = np.concatenate([[0], np.cumsum(counts)])
            if np.all(counts == counts[0]):
                T = self.t.reshape(len(counts), counts[0])
                if np.all(T == T[0]):
                    self.shared_t = T[0]
                    self.V = self.v.reshape(len(counts), counts[0])

    def __call__(self, t: float) -> np.ndarray:
        out = self.dc.copy()
        if len(self.pwl_idx):
            out[self.pwl_idx] = self._pwl(t)
        if len(self.pulse_idx):
            out[self.pulse_idx] = pulse_value(self.pulse, t)
        return out

    def _pwl(self, t: float) -> np.ndarray:
        if self.shared_t is not None:
            ts = self.shared_t
            if t <= ts[0]:
                return self.V[:, 0].copy()
            if t >= ts[-1]:
                return self.V[:, -1].copy()
            k = int(np.searchsorted(ts, t, side="right")) - 1
            w = (t - ts[k]) / (ts[k + 1] - ts[k]) if ts[k + 1] > ts[k] else 1.0
            return self.V[:, k] * (1.0 - w) + self.V[:, k + 1] * w
        below = np.add.reduceat((self.t <= t).astype(np.int64), self.ptr[:-1])
        k = self.ptr[:-1] + np.maximum(below - 1, 0)
        last = self.ptr[1:] - 1
        nxt = np.minimum(k + 1, last)
        t0, t1 = self.t[k], self.t[nxt]
        v0, v1 = self.v[k], self.v[nxt]
        span = np.where(t1 > t0, t1 - t0, 1.0)
        w = np.clip((t - t0) / span, 0.0, 1.0)
        w = np.where((below == 0) | (nxt == k), 0.0, w)
        return v0 + (v1 - v0) * w
