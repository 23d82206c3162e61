"""A physiological generator of forearm EMG for hand-intent inferral (the data ChatEMG works on).

No openly licensed EMG recording usable here ships on PyPI (``openhdemg``'s recordings are GPL-3.0), so
the project synthesises surface EMG from first principles:

* **Muscles and motor units** - four muscle groups at angles around the forearm (finger flexors,
  finger extensors, thumb flexor, wrist extensor), each with ``units_per_muscle`` motor units.
  Recruitment thresholds are uniform in [0, 0.8] of full drive (Henneman's size principle: later units
  are bigger, their action potentials larger and wider).
* **Firing** - a unit above threshold fires at ``8 + 22 (drive - threshold) / (1 - threshold)`` Hz
  with inter-spike-interval jitter (coefficient of variation 0.2).
* **Action potentials** - first-order Hermite-Rodriguez waveforms ``(t / lam) exp(-(t / lam)^2)`` with
  ``lam`` 1-3 ms, sampled at 1 kHz.
* **Electrodes** - 8 bipolar channels evenly spaced around the forearm; a unit's gain on a channel
  falls off as ``exp(-d^2 / 2 sigma^2)`` with the angular distance ``d``.
* **Intents** - relax, open, close, pinch: each a drive level per muscle group, with a 300 ms onset ramp.
* **Sessions** - each session re-dons the band: rotation of the electrodes by up to +-0.35 rad, a skin
  gain ~ LogNormal(0, 0.25), its own noise level and per-intent effort (+-30%); within a session the band
  slips by a random-walk-free drift of N(0, 0.04) rad per trial and every trial's drive varies +-25%.
* **Processing** - like an orthosis pipeline: rectification and 10 ms mean per channel gives the 100 Hz
  envelope; :func:`quantise` maps it to integer tokens for the transformer.

Everything is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eda.errors import SpecError

__all__ = [
    "INTENTS",
    "EmgSession",
    "GeneratorConfig",
    "make_session",
    "session_windows",
    "quantise",
    "dequantise",
]

#: hand intents and their drive per muscle group (finger flexors, finger extensors, thumb, wrist extensor)
INTENTS: dict[str, tuple[float, float, float, float]] = {
    "relax": (0.03, 0.03, 0.02, 0.03),
    "open": (0.05, 0.65, 0.15, 0.45),
    "close": (0.60, 0.10, 0.40, 0.15),
    "pinch": (0.40, 0.10, 0.60, 0.10),
}
_MUSCLE_ANGLES = np.array([0.3, 3.3, 1.4, 4.5])  # rad around the forearm


@dataclass(frozen=True)
class GeneratorConfig:
    """Signal parameters: channels, sampling, motor units, trial length (s) and envelope rate."""

    channels: int = 8
    fs_hz: int = 1000
    envelope_hz: int = 100
    units_per_muscle: int = 12
    trial_s: float = 2.0
    gain_width_rad: float = 0.7
    noise_uv: float = 8.0


@dataclass
class EmgSession:
    """Envelopes of one session: ``envelopes[i]`` is ``(steps, channels)`` in µV, ``labels[i]`` an intent
    index into :data:`INTENTS`."""

    envelopes: np.ndarray
    labels: np.ndarray
    session: int


def _muap(lam_s: float, fs: int) -> np.ndarray:
    t = np.arange(-4 * lam_s, 4 * lam_s, 1 / fs)
    return (t / lam_s) * np.exp(-((t / lam_s) ** 2))


def make_session(
    session: int, trials_per_intent: int = 10, cfg: GeneratorConfig | None = None, seed: int = 0
) -> EmgSession:
    """Simulate one session of ``trials_per_intent`` trials of every intent (shuffled order)."""
    cfg = cfg or GeneratorConfig()
    if trials_per_intent < 1:
        raise SpecError("need at least one trial per intent")
    anatomy = np.random.default_rng(seed)  # the person: same in every session
    rng = np.random.default_rng([seed, session])  # the session: band placement, skin, effort
    n_units = cfg.units_per_muscle * len(_MUSCLE_ANGLES)
    muscle = np.repeat(np.arange(len(_MUSCLE_ANGLES)), cfg.units_per_muscle)
    threshold = anatomy.uniform(0.0, 0.8, n_units)
    amplitude_uv = 20 + 180 * threshold / 0.8 * anatomy.uniform(0.7, 1.3, n_units)
    lam = (1.0 + 2.0 * threshold / 0.8) * 1e-3
    unit_angle = _MUSCLE_ANGLES[muscle] + anatomy.normal(0, 0.15, n_units)
    rotation = rng.uniform(-0.35, 0.35)
    skin_gain = rng.lognormal(0.0, 0.25)
    noise = cfg.noise_uv * rng.uniform(0.7, 1.5)
    effort = {name: rng.uniform(0.7, 1.3) for name in INTENTS}
    drift = rng.normal(0.0, 0.04)  # band slips a little from trial to trial
    base_angle = np.arange(cfg.channels) * 2 * np.pi / cfg.channels
    templates = [_muap(lam_s, cfg.fs_hz) for lam_s in lam]
    samples = int(cfg.trial_s * cfg.fs_hz)
    ramp = np.clip(np.arange(samples) / (0.3 * cfg.fs_hz), 0, 1)
    order = rng.permutation(np.repeat(np.arange(len(INTENTS)), trials_per_intent))
    envelopes = []
    for trial, label in enumerate(order):
        name = list(INTENTS)[label]
        drive = np.clip(np.array(INTENTS[name]) * effort[name] * rng.uniform(0.75, 1.25, 4), 0, 1)
        channel_angle = base_angle + rotation + drift * trial
        d = np.angle(np.exp(1j * (channel_angle[:, None] - unit_angle[None, :])))
        gains = skin_gain * np.exp(-(d**2) / (2 * cfg.gain_width_rad**2))  # (channels, units)
        units = np.zeros((n_units, samples))
        for u in range(n_units):
            level = drive[muscle[u]]
            if level <= threshold[u]:
                continue
            rate = 8 + 22 * (level - threshold[u]) / (1 - threshold[u])
            t = rng.uniform(0, 1 / rate)
            while t < cfg.trial_s:
                idx = int(t * cfg.fs_hz)
                if rng.random() < ramp[idx]:
                    units[u, idx] += amplitude_uv[u]
                t += max(1e-3, rng.normal(1 / rate, 0.2 / rate))
            units[u] = np.convolve(units[u], templates[u], mode="same")
        raw = gains @ units + rng.normal(0, noise, (cfg.channels, samples))
        step = cfg.fs_hz // cfg.envelope_hz
        env = np.abs(raw).reshape(cfg.channels, -1, step).mean(-1).T  # (steps, channels)
        envelopes.append(env)
    return EmgSession(np.stack(envelopes), order.astype(np.int64), session)


def session_windows(
    session: EmgSession, start_s: float = 0.5, length_s: float = 1.0, envelope_hz: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Steady-state windows ``(trials, steps, channels)`` cut from each trial, and their labels."""
    a, b = int(start_s * envelope_hz), int((start_s + length_s) * envelope_hz)
    if b > session.envelopes.shape[1]:
        raise SpecError(f"window ends at {b} steps, trials have {session.envelopes.shape[1]}")
    return session.envelopes[:, a:b], session.labels


def quantise(envelope_uv: np.ndarray, vocab: int = 128, max_uv: float = 400.0) -> np.ndarray:
    """Envelope (µV) to tokens ``0..vocab-1`` on a square-root scale (finer bins at low amplitude)."""
    scaled = np.sqrt(np.clip(envelope_uv, 0, max_uv) / max_uv)
    return np.minimum((scaled * vocab).astype(np.int64), vocab - 1)


def dequantise(tokens: np.ndarray, vocab: int = 128, max_uv: float = 400.0) -> np.ndarray:
    """Bin centres (µV) of :func:`quantise` tokens."""
    return ((np.asarray(tokens) + 0.5) / vocab) ** 2 * max_uv
