"""ChatEMG: physiological EMG generator, EMG transformer, augmentation experiment, determinism by seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from eda.workloads.chatemg.chatemg import (
    EmgGPT,
    EmgGPTConfig,
    augmentation_trial,
    gain_statistics,
    generate,
    inference_workload,
    prepare_augmentation,
    train_classifier,
    train_emg_gpt,
    window_features,
)
from eda.workloads.chatemg.generator import (
    INTENTS,
    GeneratorConfig,
    dequantise,
    make_session,
    quantise,
    session_windows,
)

SMALL = GeneratorConfig(units_per_muscle=6, trial_s=1.2)
TINY_GPT = EmgGPTConfig(vocab=32, dim=32, heads=2, layers=1, steps=64)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_generator_deterministic_by_seed_and_session() -> None:
    a = make_session(0, 2, SMALL, seed=3)
    b = make_session(0, 2, SMALL, seed=3)
    c = make_session(1, 2, SMALL, seed=3)
    np.testing.assert_array_equal(a.envelopes, b.envelopes)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.allclose(a.envelopes, c.envelopes)
    assert a.envelopes.shape == (2 * len(INTENTS), 120, 8)
    assert sorted(np.bincount(a.labels)) == [2] * len(INTENTS)


def test_generator_physiology() -> None:
    session = make_session(0, 3, SMALL, seed=0)
    windows, labels = session_windows(session, 0.5, 0.5)
    level = {name: windows[labels == k].mean() for k, name in enumerate(INTENTS)}
    # relaxed muscles give only the noise floor; any grasp intent recruits units and raises the envelope
    assert all(level[name] > 1.5 * level["relax"] for name in ("open", "close", "pinch"))
    # open (extensors) and close (flexors) light up different sides of the forearm
    pattern = {name: windows[labels == k].mean(axis=(0, 1)) for k, name in enumerate(INTENTS)}
    assert np.argmax(pattern["open"]) != np.argmax(pattern["close"])
    # the onset ramp: the first 100 ms are quieter than the steady state for a grasp
    grasp = session.envelopes[labels == list(INTENTS).index("close")]
    assert grasp[:, :10].mean() < grasp[:, 50:].mean()


def test_quantise_round_trip_within_a_bin() -> None:
    env = np.linspace(0, 150, 500)
    tokens = quantise(env, 64, 150.0)
    assert tokens.min() == 0 and tokens.max() == 63
    back = dequantise(tokens, 64, 150.0)
    edges_width = 150.0 * ((tokens + 1) / 64) ** 2 - 150.0 * (tokens / 64) ** 2
    assert (np.abs(back - env) <= edges_width).all()


def test_emg_gpt_is_causal_and_generation_deterministic() -> None:
    torch.manual_seed(0)
    model = EmgGPT(TINY_GPT).eval()
    x = torch.randint(0, 32, (1, 20, 8))
    y = x.clone()
    y[0, 15:] = (y[0, 15:] + 7) % 32
    with torch.no_grad():
        out_x, out_y = model(x), model(y)
    torch.testing.assert_close(out_x[:, :15], out_y[:, :15])  # the future does not leak backwards
    assert out_x.shape == (1, 20, 8, 32)
    prompt = dequantise(np.random.default_rng(0).integers(0, 32, (10, 8)), 32, TINY_GPT.max_uv)
    g1 = generate(model, prompt, 25, samples=3, seed=5)
    g2 = generate(model, prompt, 25, samples=3, seed=5)
    assert g1.shape == (3, 25, 8)
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_allclose(g1[:, :10], np.broadcast_to(prompt, (3, 10, 8)))


def test_training_lowers_next_step_loss() -> None:
    windows, _ = session_windows(make_session(0, 3, SMALL, seed=0), 0.2, 0.6)
    data = torch.as_tensor(quantise(windows, TINY_GPT.vocab, TINY_GPT.max_uv))

    def loss(model) -> float:
        with torch.no_grad():
            logits = model(data[:, :-1])
        return float(
            torch.nn.functional.cross_entropy(logits.reshape(-1, TINY_GPT.vocab), data[:, 1:].reshape(-1))
        )

    torch.manual_seed(0)
    untrained = EmgGPT(TINY_GPT).eval()
    trained = train_emg_gpt(windows, TINY_GPT, steps=40, batch=8, seed=0)
    assert loss(trained) < loss(untrained) - 0.5


def test_classifier_deterministic_and_above_chance() -> None:
    x, y = session_windows(make_session(0, 4, SMALL, seed=1), 0.5, 0.5)
    a = train_classifier(x[:10], y[:10]).predict(window_features(x[10:]))
    b = train_classifier(x[:10], y[:10]).predict(window_features(x[10:]))
    np.testing.assert_array_equal(a, b)
    full = train_classifier(x, y)
    assert (full.predict(window_features(x)) == y).mean() > 0.5  # 4 intents: chance is 0.25


@pytest.fixture(scope="module")
def small_setup():
    """A simulated person (small motor-unit pool, short trials) and a tiny EMG transformer trained on two
    previous sessions."""
    return prepare_augmentation(
        train_sessions=2, trials_per_intent=8, gpt_steps=150, cfg=SMALL, model_cfg=TINY_GPT, seed=0
    )


def test_trial_draws_shots_from_the_new_session_only(small_setup) -> None:
    a = augmentation_trial(small_setup, shots=2, synthetic_per_prompt=2, draw=0)
    more = augmentation_trial(small_setup, shots=2, synthetic_per_prompt=4, draw=0)
    other = augmentation_trial(small_setup, shots=2, synthetic_per_prompt=2, draw=1)
    assert a.test_windows == other.test_windows == 8 * len(INTENTS) - 2 * len(INTENTS)
    # a draw fixes the real windows and the test set: only the synthetic part changes with its size
    assert (a.few_real, a.previous_sessions) == (more.few_real, more.previous_sessions)
    assert (a.few_real, a.previous_sessions) != (other.few_real, other.previous_sessions)
    # 4 intents, 24 test windows: accuracies are multiples of 1/24
    for acc in (a.few_real, a.few_real_plus_synthetic, other.few_real):
        assert abs(acc * 24 - round(acc * 24)) < 1e-9


def _oracle(
    windows: np.ndarray, labels: np.ndarray, per_window: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """'Synthetic' windows that are real: other trials of the same person and session, same intent."""
    extra_x, extra_y = session_windows(make_session(99, 24, SMALL, 0), 0.5, 0.5)
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(extra_y == y), per_window) for y in labels]
    return np.concatenate([extra_x[i] for i in picks]), np.repeat(labels, per_window)


def test_protocol_measures_a_gain_when_the_extra_windows_are_informative(small_setup) -> None:
    """Positive control of the augmentation experiment: extra windows that truly are the prompt's intent
    must raise one-shot accuracy; the same windows with shuffled labels must not."""

    def shuffled(windows, labels, per_window, seed):
        x, y = _oracle(windows, labels, per_window, seed)
        return x, np.random.default_rng(seed).permutation(y)

    gains, wrong = [], []
    for draw in range(3):
        informative = augmentation_trial(small_setup, shots=1, draw=draw, synthesize=_oracle)
        mislabelled = augmentation_trial(small_setup, shots=1, draw=draw, synthesize=shuffled)
        gains.append(informative.few_real_plus_synthetic - informative.few_real)
        wrong.append(mislabelled.few_real_plus_synthetic - informative.few_real_plus_synthetic)
    assert np.mean(gains) > 0.1
    assert np.mean(wrong) < -0.1


def test_gain_statistics_by_hand() -> None:
    # gains 0.1, 0.2, 0.3: mean 0.2, sample sd 0.1, t(0.975, 2 dof) = 4.3027 -> half width 0.2484
    stats = gain_statistics(np.array([0.1, 0.2, 0.3]))
    assert stats["mean"] == pytest.approx(0.2)
    assert stats["low"] == pytest.approx(0.2 - 4.3027 * 0.1 / 3**0.5, abs=1e-4)
    assert stats["verdict"] == "inconclusive"
    assert gain_statistics(np.array([0.1, 0.12, 0.11, 0.13]))["verdict"] == "helps"
    assert gain_statistics(-np.array([0.1, 0.12, 0.11, 0.13]))["verdict"] == "hurts"


@pytest.mark.slow
def test_synthetic_windows_carry_the_prompt_intent() -> None:
    """ChatEMG's premise, on the benchmark's configuration: windows the transformer completes from a new
    session's prompts are classified as the prompt's intent by a classifier of that session's real windows
    far above chance (0.25 for 4 intents; measured ~0.55 for person 0)."""
    setup = prepare_augmentation(seed=0)
    clf = train_classifier(setup.new_x, setup.new_y)
    p, w = setup.prompt_steps, setup.window_steps
    synthetic = [generate(setup.model, x[:p], p + w, 4, seed=i)[:, p:] for i, x in enumerate(setup.new_x)]
    predicted = np.array([clf.predict(window_features(s)) for s in synthetic])
    assert (predicted == setup.new_y[:, None]).mean() > 0.4


def test_inference_workload_layers() -> None:
    work = inference_workload(EmgGPTConfig(), context_steps=50)
    assert work.layer("token_embed").shape == {"vocab": 8 * 64, "dim": 64, "lookups": 8}
    assert work.layer("channel_out").shape == {"m": 8, "k": 64, "n": 64}
    assert len(work.layers) == 1 + 2 * 5 + 1


def test_chatemg_step_function() -> None:
    from eda.workloads.chatemg.steps import ChatEMGParams, run_chatemg

    work, report, metrics = run_chatemg(
        ChatEMGParams(
            seeds=[0],
            shots=[1],
            draws=2,
            train_sessions=1,
            trials_per_intent=2,
            gpt_steps=2,
            synthetic_per_prompt=1,
        )
    )
    assert len(report["runs"]) == 2
    one = report["statistics"]["1"]
    assert one["n"] == 1 and one["verdict"] == "inconclusive"  # one person: no interval
    assert work.meta["method"] == "chatemg"
