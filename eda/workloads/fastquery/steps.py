"""``workload.fastquery``: FastQuery per-channel bits of the real MiniLM word-embedding table (sentence
similarity, ciphertexts) and one private lookup on real ciphertexts against Cheetah's.

The step writes ``workload.yaml`` (output ``workload``) and ``fastquery.json`` (output ``report``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from eda.errors import DataError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.step_report import finish_workload_step

__all__ = ["WorkloadFastQuery"]


@register
class WorkloadFastQuery(Step):
    """FastQuery: per-channel bits of the real MiniLM table, similarity cost and HE lookup communication."""

    name = "workload.fastquery"
    outputs = {"workload": "workload.yaml", "report": "fastquery.json"}

    class Params(StepParams):
        average_bits: float = Field(4.0, ge=2.0, le=8.0, description="average bits per table channel")
        response_ciphertexts: int | None = Field(
            None,
            ge=1,
            le=1024,
            description="communication-aware widths: "
            "channel bits chosen to fit this many response ciphertexts",
        )
        lookups: int = Field(128, ge=1, le=100_000, description="embedding lookups per inference (tokens)")
        measure_lookup: bool = Field(
            True,
            description="run one private lookup on real ciphertexts: FastQuery's "
            "dense response and Cheetah's coefficient-encoded mat-vec (the paper's "
            "baseline) on the 16-bit table; their bytes and online time are measured",
        )
        lookup_index: int = Field(
            2023, ge=0, description="row looked up privately (a MiniLM vocabulary index)"
        )

    def run(self, ctx: StepContext) -> StepResult:
        from eda.workloads.fastquery.fastquery import (
            allocate_channel_bits,
            fastquery_workload,
            quantize_channels,
            query_comm,
        )
        from eda.workloads.minilm import SAMPLE_SENTENCES, sentence_embeddings, word_embeddings

        p = ctx.params
        table = word_embeddings()
        if p.response_ciphertexts is not None:
            bits = allocate_channel_bits(
                table, options=(2, 3, 4, 5, 6, 7, 8), response_ciphertexts=p.response_ciphertexts
            )
        else:
            bits = allocate_channel_bits(table, p.average_bits)
        q, scale = quantize_channels(table, bits)
        approx = (q * scale).astype(np.float32)
        before_emb = sentence_embeddings(SAMPLE_SENTENCES)
        after_emb = sentence_embeddings(SAMPLE_SENTENCES, approx)
        cosine = float((before_emb * after_emb).sum(axis=1).mean())
        vocab = len(table)
        ours = query_comm(vocab, bits)
        work = fastquery_workload(vocab, bits, p.lookups)
        work.meta.update({"cosine_similarity": cosine})
        rel = float(np.linalg.norm(approx - table) / np.linalg.norm(table))
        report: dict[str, Any] = {
            "bits_histogram": np.bincount(bits).tolist(),
            "relative_error": rel,
            "cosine_similarity": cosine,
            "slot_protocol_model": ours.__dict__,
        }
        metrics: dict[str, Any] = {
            "workload__fastquery__cosine_similarity": cosine,
            "workload__fastquery__relative_error": rel,
        }
        if p.measure_lookup:
            from eda.workloads.fastquery.baseline import cheetah_lookup
            from eda.workloads.fastquery.he import run_dense_query

            if p.lookup_index >= vocab:
                raise DataError(f"lookup_index {p.lookup_index} is outside the {vocab}-row table")
            dense = run_dense_query(q, bits, p.lookup_index)
            q16 = np.round(table / np.abs(table).max() * 32767).astype(np.int64)
            base = cheetah_lookup(q16, p.lookup_index)
            keep = (
                "query_ciphertexts",
                "response_ciphertexts",
                "query_bytes",
                "response_bytes",
                "client_s",
                "server_offline_s",
                "server_online_s",
            )
            report["measured"] = {
                "fastquery": {k: dense[k] for k in (*keep, "galois_key_bytes", "rotations")},
                "cheetah_16bit": {**{k: base[k] for k in keep}, "partition": base["partition"]},
                "rows_exact": bool(
                    np.array_equal(dense["row"], q[p.lookup_index])
                    and np.array_equal(base["row"], q16[p.lookup_index])
                ),
            }
            ours_bytes = dense["query_bytes"] + dense["response_bytes"]
            base_bytes = base["query_bytes"] + base["response_bytes"]
            metrics.update(
                {
                    "workload__fastquery__bytes": ours_bytes,
                    "workload__fastquery__comm_reduction_vs_cheetah": base_bytes / ours_bytes,
                    "workload__fastquery__latency_reduction_vs_cheetah": (
                        base["client_s"] + base["server_online_s"]
                    )
                    / (dense["client_s"] + dense["server_online_s"]),
                }
            )
        return finish_workload_step(ctx, work, report, metrics, "fastquery.json")
