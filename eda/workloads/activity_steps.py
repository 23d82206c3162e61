"""The ``workload.activity`` step: a workload's per-layer activity measured by running the real network on text.

Runs all-MiniLM-L6-v2 (the real weights; with MCUBERT's compressed word table when its ``embedding`` is
connected) on the sentences of ``text`` (or of a connected text file), measures every layer's input bit
density and toggle rate (:func:`eda.workloads.activity.minilm_activity`) and writes them into the
connected workload, so the mapping, the current maps and the IR drop downstream follow the network's real
activations instead of the default ½.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import Field

from eda.errors import DataError
from eda.flow.registry import register
from eda.flow.step import Step, StepContext, StepParams, StepResult
from eda.workloads.threads import single_thread

__all__ = ["WorkloadActivity", "split_sentences"]

#: the demo's input text (written for this project)
DEFAULT_TEXT = (
    "The power grid of the chip must deliver current to every cell. IR drop lowers the supply voltage "
    "seen by transistors far from the pads. Analog compute-in-memory macros sum charge on shared "
    "capacitors. A successive approximation ADC converts the column voltage to bits."
)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (split after ``.``, ``!`` or ``?`` followed by white space)."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s.strip()]


@register
class WorkloadActivity(Step):
    """Measure each layer's input bit density and toggle rate from the real network's activations on text."""

    name = "workload.activity"
    inputs = {
        "workload": "workload.yaml whose layers get the measured activity (MiniLM layer names)",
        "embedding": "optional MCUBERT embedding.npz: the network runs with the compressed word table",
        "text": "optional UTF-8 text file (replaces the `text` parameter)",
    }
    optional_inputs = frozenset({"embedding", "text"})
    outputs = {
        "workload": "workload.yaml (measured input_density / toggle_rate per layer)",
        "activity": "activity.json (per layer: density, toggle rate, tokens, signed, peak)",
    }

    class Params(StepParams):
        text: str = Field(DEFAULT_TEXT, min_length=1, description="input text, split into sentences")
        activation_bits: int = Field(8, ge=1, le=16, description="bits of the quantised layer inputs")
        max_length: int = Field(128, ge=8, le=512, description="tokens per sentence at most")

    def run(self, ctx: StepContext) -> StepResult:
        import numpy as np

        from eda.workloads.activity import apply_activity, minilm_activity
        from eda.workloads.workload import Workload

        p = ctx.params
        text_file = ctx.optional_input("text")
        try:
            text = text_file.read_text(encoding="utf-8") if text_file is not None else p.text
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(
                f"cannot read the input text: {exc}", where=str(text_file), hint="give a UTF-8 text file"
            ) from None
        sentences = split_sentences(text)
        if not sentences:
            raise DataError("the input text has no sentences", where=str(text_file or "text"))
        work = Workload.load(ctx.input("workload"))
        with single_thread():
            activity = minilm_activity(
                sentences,
                p.activation_bits,
                embedding_file=ctx.optional_input("embedding"),
                max_length=p.max_length,
            )
        unmeasured = apply_activity(work, activity)
        work.meta.update(
            {
                "activity": "measured",
                "activity_sentences": len(sentences),
                "activity_tokens": max(item["tokens"] for item in activity.values()),
            }
        )
        work.save(ctx.path("workload.yaml"))
        report: dict[str, Any] = {
            "sentences": sentences,
            "activation_bits": p.activation_bits,
            "layers": activity,
            "unmeasured": unmeasured,
        }
        ctx.path("activity.json").write_text(json.dumps(report, indent=1))
        measured = [v for k, v in activity.items() if k in {layer.name for layer in work.layers}]
        densities = np.array([v["input_density"] for v in measured])
        toggles = np.array([v["toggle_rate"] for v in measured])
        return StepResult(
            outputs={"workload": "workload.yaml", "activity": "activity.json"},
            metrics={
                "workload__activity__layers_measured": len(measured),
                "workload__activity__tokens": work.meta["activity_tokens"],
                "workload__activity__input_density_mean": float(densities.mean()),
                "workload__activity__input_density_min": float(densities.min()),
                "workload__activity__input_density_max": float(densities.max()),
                "workload__activity__toggle_rate_mean": float(toggles.mean()),
            },
        )
