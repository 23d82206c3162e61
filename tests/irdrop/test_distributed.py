"""Multi-process training with torch.distributed (gloo, 2 processes on the CPU)."""

from __future__ import annotations

import pytest
import torch

from eda.irdrop.models import build_model
from eda.irdrop.train import TrainConfig, evaluate, train_distributed

from .pdn_fixtures import comb_sample, tiny_pdnnet_config

pytestmark = pytest.mark.distributed


def test_two_process_gloo_training(tmp_path):
    samples = [comb_sample(seed) for seed in range(4)]
    cfg = tiny_pdnnet_config()  # generic start: the test is about DDP
    train_cfg = TrainConfig(
        epochs=8, lr=6e-3, patience=100, seed=0, max_minutes=0, crop=0, accumulate=1, ema=0.0
    )
    torch.manual_seed(0)
    before = evaluate(build_model(cfg), samples)
    payload = train_distributed(cfg, samples, samples, train_cfg, tmp_path / "ddp.pt", world_size=2)
    assert payload["model_config"] == cfg
    model = build_model(payload["model_config"])
    model.load_state_dict(payload["state_dict"])
    after = evaluate(model, samples)
    assert payload["metrics"]["val_mae_mv"] == pytest.approx(after, rel=1e-4)
    assert after < 0.8 * before, (before, after)
