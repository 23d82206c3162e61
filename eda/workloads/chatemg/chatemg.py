"""ChatEMG: an autoregressive transformer over quantised 8-channel EMG, and synthetic-data augmentation
of an intent classifier for a new EMG recording.

ChatEMG (IEEE RA-L 2025, arXiv 2406.12123) completes a short real EMG prompt from a new recording into
synthetic windows that augment the intent classifier's training set. The model here follows the paper's
structure (details reconstructed): the envelope of every channel is binned to integer tokens
(:func:`eda.workloads.chatemg.generator.quantise`); at each time step one branch sums the embeddings of
all channels' tokens (plus a position embedding), a causal transformer runs over time, and a second branch
adds the embedding of the channel being predicted before the output layer, which predicts that channel's
next token. Generation samples all channels of the next step from the same hidden state.

:func:`augmentation_experiment` runs the paper's protocol on generated data: the transformer and a
classifier baseline are trained on earlier EMG recordings; a new recording gives a few real windows per
intent; their first ``prompt`` steps are completed into synthetic windows (labelled with the prompt's
intent); an intent classifier trained on (a) the few real windows and (b) real plus synthetic is scored on
the rest of the new recording. :func:`inference_workload` exports one generated step as a Workload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from eda.workloads.chatemg.generator import INTENTS, GeneratorConfig, make_session, quantise, session_windows

__all__ = [
    "EmgGPTConfig",
    "EmgGPT",
    "train_emg_gpt",
    "generate",
    "window_features",
    "train_classifier",
    "AugmentationResult",
    "AugmentationSetup",
    "prepare_augmentation",
    "augmentation_trial",
    "augmentation_experiment",
    "gain_statistics",
    "inference_workload",
]


@dataclass(frozen=True)
class EmgGPTConfig:
    """Model size: ``vocab`` amplitude bins, ``channels``, width ``dim``, ``layers`` blocks, ``steps`` max."""

    vocab: int = 64
    channels: int = 8
    dim: int = 64
    heads: int = 4
    layers: int = 2
    steps: int = 128
    max_uv: float = 150.0


class EmgGPT(nn.Module):
    """Sum-of-channel-embeddings input, causal transformer over time, predicted-channel output branch."""

    def __init__(self, cfg: EmgGPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.token = nn.Embedding(cfg.channels * cfg.vocab, cfg.dim)  # one table per channel
        self.pos = nn.Embedding(cfg.steps, cfg.dim)
        layer = nn.TransformerEncoderLayer(
            cfg.dim, cfg.heads, 4 * cfg.dim, dropout=0.0, batch_first=True, norm_first=True
        )
        self.body = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.channel = nn.Embedding(cfg.channels, cfg.dim)
        self.norm = nn.LayerNorm(cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens`` (B, T, C) -> logits (B, T, C, vocab) of each channel's token at step ``t + 1``."""
        b, t, c = tokens.shape
        offsets = torch.arange(c) * self.cfg.vocab
        x = self.token(tokens + offsets).sum(2) + self.pos(torch.arange(t))
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        h = self.body(x, mask=mask, is_causal=True)
        h = h[:, :, None, :] + self.channel(torch.arange(c))[None, None]
        return self.out(self.norm(h))


def train_emg_gpt(
    windows_uv: np.ndarray,
    cfg: EmgGPTConfig | None = None,
    steps: int = 300,
    batch: int = 32,
    lr: float = 2e-3,
    seed: int = 0,
) -> EmgGPT:
    """Next-step cross-entropy on quantised windows ``(N, T, C)`` (µV envelopes)."""
    cfg = cfg or EmgGPTConfig()
    torch.manual_seed(seed)
    data = torch.as_tensor(quantise(windows_uv, cfg.vocab, cfg.max_uv))
    model = EmgGPT(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(0, len(data), (batch,), generator=gen)
        x = data[idx]
        logits = model(x[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@torch.no_grad()
def generate(
    model: EmgGPT,
    prompt_uv: np.ndarray,
    total_steps: int,
    samples: int = 1,
    temperature: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """Complete a prompt ``(P, C)`` (µV) to ``total_steps``; returns ``(samples, total_steps, C)`` in µV
    (the prompt part is the quantised prompt)."""
    from eda.workloads.chatemg.generator import dequantise

    cfg = model.cfg
    gen = torch.Generator().manual_seed(seed)
    seq = torch.as_tensor(quantise(prompt_uv, cfg.vocab, cfg.max_uv))[None].repeat(samples, 1, 1)
    while seq.shape[1] < total_steps:
        logits = model(seq[:, -cfg.steps :])[:, -1] / temperature  # (S, C, vocab)
        probs = torch.softmax(logits, -1).reshape(-1, cfg.vocab)
        nxt = torch.multinomial(probs, 1, generator=gen).reshape(samples, 1, cfg.channels)
        seq = torch.cat([seq, nxt], 1)
    return dequantise(seq.numpy(), cfg.vocab, cfg.max_uv)


def window_features(windows_uv: np.ndarray) -> np.ndarray:
    """Per-channel log mean envelope and per-window normalised channel pattern, ``(N, 2C)``."""
    mean = windows_uv.mean(axis=1)
    pattern = mean / mean.sum(axis=1, keepdims=True)
    return np.concatenate([np.log(mean), pattern], axis=1)


def train_classifier(windows_uv: np.ndarray, labels: np.ndarray):
    """Standardised multinomial logistic regression on :func:`window_features` (deterministic, lbfgs)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    return clf.fit(window_features(windows_uv), labels)


@dataclass
class AugmentationResult:
    """Held-out accuracy on the new session (fractions), per training set."""

    few_real: float
    few_real_plus_synthetic: float
    previous_sessions: float
    shots_per_intent: int
    synthetic_per_prompt: int
    test_windows: int


@dataclass
class AugmentationSetup:
    """What one simulated person contributes: earlier recordings, the generator trained on them, a new recording."""

    model: EmgGPT
    old_x: np.ndarray
    old_y: np.ndarray
    new_x: np.ndarray
    new_y: np.ndarray
    prompt_steps: int
    window_steps: int
    seed: int


def prepare_augmentation(
    train_sessions: int = 4,
    new_session: int = 99,
    prompt_steps: int = 20,
    window_steps: int = 50,
    trials_per_intent: int = 12,
    gpt_steps: int = 300,
    cfg: GeneratorConfig | None = None,
    model_cfg: EmgGPTConfig | None = None,
    seed: int = 0,
) -> AugmentationSetup:
    """Simulate a person's earlier recordings and a new one; train the EMG transformer on the earlier ones.

    Windows are ``window_steps`` envelope steps (0.5 s) from 0.5 s into each trial; prompts are their first
    ``prompt_steps`` (0.2 s).
    """
    cfg = cfg or GeneratorConfig()
    length_s = window_steps / cfg.envelope_hz
    old = [
        session_windows(make_session(s, trials_per_intent, cfg, seed), 0.5, length_s)
        for s in range(train_sessions)
    ]
    old_x = np.concatenate([w for w, _ in old])
    old_y = np.concatenate([y for _, y in old])
    model = train_emg_gpt(old_x, model_cfg or EmgGPTConfig(), steps=gpt_steps, seed=seed)
    new_x, new_y = session_windows(make_session(new_session, trials_per_intent, cfg, seed), 0.5, length_s)
    return AugmentationSetup(model, old_x, old_y, new_x, new_y, prompt_steps, window_steps, seed)


def augmentation_trial(
    setup: AugmentationSetup,
    shots: int,
    synthetic_per_prompt: int = 8,
    draw: int = 0,
    include_prompt: bool = False,
    synthesize: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None,
) -> AugmentationResult:
    """Draw ``shots`` real windows per intent from the new recording (draw number ``draw``), complete their
    prompts into synthetic windows, and score classifiers trained on the real windows alone and with the
    synthetic ones on the rest of the recording (also: one trained on the earlier recordings only).

    Each synthetic window is ``window_steps`` generated after the prompt (with ``include_prompt``: the
    prompt itself followed by the generated remainder of the window). ``synthesize(windows, labels,
    per_window, seed) -> (synthetic windows, labels)`` replaces the EMG transformer (controls: an oracle
    drawing more real windows, a generator with shuffled labels).
    """
    rng = np.random.default_rng([setup.seed, draw])
    new_y = setup.new_y
    shot_idx = np.concatenate(
        [rng.choice(np.flatnonzero(new_y == k), shots, replace=False) for k in range(len(INTENTS))]
    )
    test_mask = np.ones(len(new_y), bool)
    test_mask[shot_idx] = False
    few_x, few_y = setup.new_x[shot_idx], new_y[shot_idx]
    p, w = setup.prompt_steps, setup.window_steps
    base_seed = setup.seed + 1000 * draw
    if synthesize is not None:
        synth_x, synth_y = synthesize(few_x, few_y, synthetic_per_prompt, base_seed)
    else:
        if include_prompt:
            synth = [
                generate(setup.model, x[:p], w, synthetic_per_prompt, seed=base_seed + i)
                for i, x in enumerate(few_x)
            ]
        else:
            synth = [
                generate(setup.model, x[:p], p + w, synthetic_per_prompt, seed=base_seed + i)[:, p:]
                for i, x in enumerate(few_x)
            ]
        synth_x = np.concatenate(synth)
        synth_y = np.repeat(few_y, synthetic_per_prompt)

    def score(clf) -> float:
        return float((clf.predict(window_features(setup.new_x[test_mask])) == new_y[test_mask]).mean())

    return AugmentationResult(
        few_real=score(train_classifier(few_x, few_y)),
        few_real_plus_synthetic=score(
            train_classifier(np.concatenate([few_x, synth_x]), np.concatenate([few_y, synth_y]))
        ),
        previous_sessions=score(train_classifier(setup.old_x, setup.old_y)),
        shots_per_intent=shots,
        synthetic_per_prompt=synthetic_per_prompt,
        test_windows=int(test_mask.sum()),
    )


def augmentation_experiment(
    train_sessions: int = 4,
    new_session: int = 99,
    shots: int = 2,
    prompt_steps: int = 20,
    window_steps: int = 50,
    synthetic_per_prompt: int = 8,
    trials_per_intent: int = 12,
    gpt_steps: int = 300,
    cfg: GeneratorConfig | None = None,
    model_cfg: EmgGPTConfig | None = None,
    include_prompt: bool = False,
    seed: int = 0,
) -> tuple[AugmentationResult, EmgGPT]:
    """:func:`prepare_augmentation` then one :func:`augmentation_trial` (draw 0)."""
    setup = prepare_augmentation(
        train_sessions,
        new_session,
        prompt_steps,
        window_steps,
        trials_per_intent,
        gpt_steps,
        cfg,
        model_cfg,
        seed,
    )
    return augmentation_trial(setup, shots, synthetic_per_prompt, 0, include_prompt), setup.model


def gain_statistics(gains: np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    """Mean of per-person accuracy gains, its two-sided Student-t confidence interval (people independent)
    and the verdict: ``helps`` (interval above 0), ``hurts`` (below 0) or ``inconclusive``."""
    from scipy import stats

    gains = np.asarray(gains, dtype=float)
    mean = float(gains.mean())
    if len(gains) < 2:
        return {
            "mean": mean,
            "low": float("nan"),
            "high": float("nan"),
            "n": len(gains),
            "verdict": "inconclusive",
        }
    half = float(stats.t.ppf(0.5 + confidence / 2, len(gains) - 1) * gains.std(ddof=1) / np.sqrt(len(gains)))
    low, high = mean - half, mean + half
    verdict = "helps" if low > 0 else "hurts" if high < 0 else "inconclusive"
    return {"mean": mean, "low": low, "high": high, "n": len(gains), "verdict": verdict}


def inference_workload(
    cfg: EmgGPTConfig,
    context_steps: int = 100,
    name: str = "chatemg-generate",
    weight_bits: int = 8,
    activation_bits: int = 8,
):
    """One generated time step (all channels) with a KV cache of ``context_steps``: the embedding gathers,
    per block QKV / output projection / FFN GEMMs and attention, and the per-channel output GEMM."""
    from eda.workloads.workload import LayerRecord, Workload

    bits = {"weight_bits": weight_bits, "activation_bits": activation_bits}
    layers = [
        LayerRecord.embedding(
            "token_embed", cfg.channels * cfg.vocab, cfg.dim, cfg.channels, weight_bits=weight_bits
        )
    ]
    for i in range(cfg.layers):
        layers += [
            LayerRecord.gemm(f"b{i}.qkv", 1, cfg.dim, 3 * cfg.dim, **bits),
            LayerRecord.attention(f"b{i}.attn", context_steps, cfg.heads, cfg.dim // cfg.heads, **bits),
            LayerRecord.gemm(f"b{i}.proj", 1, cfg.dim, cfg.dim, **bits),
            LayerRecord.gemm(f"b{i}.ffn_up", 1, cfg.dim, 4 * cfg.dim, **bits),
            LayerRecord.gemm(f"b{i}.ffn_down", 1, 4 * cfg.dim, cfg.dim, **bits),
        ]
    layers.append(LayerRecord.gemm("channel_out", cfg.channels, cfg.dim, cfg.vocab, **bits))
    return Workload(
        name=name,
        layers=layers,
        meta={"method": "chatemg", "channels": cfg.channels, "vocab": cfg.vocab, "step_rate_hz": 100},
    )
