"""The BERT-tiny/mini-width embedding table MCUBERT compresses when only wider real weights exist."""

from __future__ import annotations

import numpy as np

from eda.workloads.steps import BERT_SHAPES, proxy_table


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
    assert BERT_SHAPES["bert-tiny"] == (2, 128, 512, 2)
