"""MCUBERT's budget comes from the microcontroller: the int8 model must fit the board's flash next to its
program. Checked against datasheet arithmetic; the PCA proxy of the BERT-tiny/mini-width table."""

from __future__ import annotations

import numpy as np
import pytest

from eda.errors import SpecError
from eda.workloads.mcubert import mcubert as mc
from eda.workloads.mcubert.mcubert import proxy_table


def test_bert_tiny_budget_on_a_1_mib_board_by_hand():
    # BERT-tiny: word table 30522 x 128 = 3,906,816; the rest: (512 positions + 2 types) x 128 + LayerNorm 256
    # = 66,048; per layer attention 4 x (128^2 + 128) + 256 = 66,304 and FFN 2 x 128 x 512 + 512 + 128 + 256
    # = 131,968, two layers 396,544; pooler 128^2 + 128 = 16,512: 479,104
    device = mc.MCU_DEVICES["stm32f746"]
    assert device.flash_bytes == 1024 * 1024
    budget = mc.embedding_budget(2, 128, 512, device, reserve_bytes=64 * 1024)
    assert budget == 1024 * 1024 - 64 * 1024 - 479_104
    # int8: a kilobyte more program and the model no longer fits at that embedding size
    assert mc.embedding_budget(2, 128, 512, device, reserve_bytes=65 * 1024) == budget - 1024


def test_encoders_that_cannot_fit_are_refused():
    # BERT-mini's encoder alone is 3.36 M int8 parameters: no 2 MiB board takes it, whatever the embedding
    with pytest.raises(SpecError, match="does not fit"):
        mc.embedding_budget(4, 256, 1024, mc.MCU_DEVICES["stm32h743"])
    assert (
        mc.embedding_budget(4, 256, 1024, mc.MCU_DEVICES["stm32f746g-disco"]) > 30522 * 256
    )  # 17 MiB: fits whole


def test_search_fills_the_device_budget():
    rng = np.random.default_rng(0)
    table = (rng.normal(size=(3000, 16)) * np.geomspace(3, 0.1, 16)).astype(np.float32)
    budget = table.size // 4
    emb, _ = mc.two_stage_search(table, budget, cluster_options=(1, 3), rank_step=1)
    # ranks move in steps of (rows of a cluster + width): the leftover is below the largest such step
    step = max(int((emb.assignment == c).sum()) + 16 for c in range(len(emb.ranks)))
    assert budget - step < emb.parameters <= budget


def test_proxy_table_keeps_the_leading_components():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(48, 48)))[0]
    scales = np.geomspace(10.0, 0.01, 48)
    table = (rng.normal(size=(2000, 48)) * scales) @ basis.T
    proxy = proxy_table(table, 8)
    assert proxy.shape == (2000, 8)
    # the proxy carries the variance of the 8 strongest directions (up to sampling noise)
    captured = proxy.var(axis=0).sum() / table.var(axis=0).sum()
    assert captured > (scales[:8] ** 2).sum() / (scales**2).sum() * 0.95
