"""`eda irdrop train` on a tiny recipe of generated cases; bad recipes exit with code 2."""

from __future__ import annotations

import pytest
import yaml

from eda.irdrop.features import STATIC_CHANNELS
from eda.irdrop.predict import Predictor
from eda.irdrop.synthetic import generate_cases


def _recipe(tmp_path, **data):
    model = {"model": "iredge", "in_channels": len(STATIC_CHANNELS), "widths": [8, 8], "head": 8}
    recipe = {
        "model": model,
        "data": {"real": False, "fake": False, **data},
        "train": {"epochs": 2, "max_minutes": 0, "seed": 0, "crop": 64, "threads": 1},
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.mark.slow
def test_train_command_writes_loadable_checkpoint(tmp_path, capsys):
    from eda.cli import main

    generate_cases("static", [11, 12], tmp_path / "cases")
    recipe = _recipe(tmp_path, synthetic=str(tmp_path / "cases"), val=[])
    out = tmp_path / "model.pt"
    code = main(["irdrop", "train", "--config", str(recipe), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "best validation MAE" in captured.out
    pred = Predictor(out)
    assert pred.name == "iredge" and pred.metrics["epochs"] == 2


def test_bad_recipe_exits_2(tmp_path, capsys):
    from eda.cli import main

    recipe = _recipe(tmp_path, shuffle=True)
    code = main(["irdrop", "train", "--config", str(recipe), "--out", str(tmp_path / "m.pt")])
    assert code == 2
    assert "shuffle" in capsys.readouterr().err


def test_unseen_validation_is_kept_out_of_training(tmp_path):
    """``val: unseen`` validates on every 8th generated case (and every 6th fake one), none of them trained on."""
    from eda.errors import SpecError
    from eda.irdrop.recipes import load_recipe_data

    generate_cases("static", [21, 22, 23], tmp_path / "cases")
    data = {"real": False, "fake": False, "synthetic": str(tmp_path / "cases")}
    train, val = load_recipe_data({**data, "val": "unseen"})
    assert [s.name for s in val] == [sorted(p.stem for p in (tmp_path / "cases").glob("*.npz"))[0]]
    assert len(train) == 2 and not {s.name for s in train} & {s.name for s in val}
    with pytest.raises(SpecError, match="unseen"):
        load_recipe_data({**data, "val": "held-out"})


@pytest.mark.slow
def test_seed_ensemble_recipe_averages_its_members(tmp_path):
    import numpy as np
    import torch

    from eda.errors import DataError, SpecError
    from eda.flow.executors import SerialExecutor
    from eda.irdrop.recipes import run_recipe
    from eda.irdrop.synthetic import load_case_file
    from eda.irdrop.train import load_checkpoint, merge_checkpoints, predict_sample

    (case,) = generate_cases("static", [13], tmp_path / "cases")
    recipe = yaml.safe_load(_recipe(tmp_path, synthetic=str(tmp_path / "cases"), val=[]).read_text())
    recipe["train"] = {**recipe["train"], "seeds": [3, 4]}
    del recipe["train"]["seed"]
    out = tmp_path / "ensemble.pt"
    result = run_recipe(recipe, out, executor=SerialExecutor())
    payload = load_checkpoint(out)
    assert len(payload["members"]) == 2 and payload["metrics"]["members"] == 2
    assert [m["epochs"] for m in payload["member_metrics"]] == [2, 2]
    assert result.best_val_mae_mv == pytest.approx(
        np.mean([m["val_mae_mv"] for m in payload["member_metrics"]])
    )
    assert sorted(p.name for p in tmp_path.glob("ensemble*")) == ["ensemble.pt"]  # member files merged away
    # different seeds, different members; the predictor returns their mean map
    a, b = payload["members"]
    assert any(not torch.equal(a[k], b[k]) for k in a)
    sample = load_case_file(case)
    pred = Predictor(out)
    members = [predict_sample(m, sample) for m in pred.models]
    np.testing.assert_allclose(pred.predict_sample(sample) * 1e3, (members[0] + members[1]) / 2, rtol=1e-6)
    assert not np.allclose(members[0], members[1])
    # a member trained alone with seed 3 is the first member
    single = {**recipe, "train": {**{k: v for k, v in recipe["train"].items() if k != "seeds"}, "seed": 3}}
    run_recipe(single, tmp_path / "alone.pt")
    alone = load_checkpoint(tmp_path / "alone.pt")["state_dict"]
    assert all(torch.equal(alone[k], a[k]) for k in a)

    with pytest.raises(SpecError, match="distinct integers"):
        run_recipe({**recipe, "train": {**recipe["train"], "seeds": [1, 1]}}, tmp_path / "x.pt")
    with pytest.raises(SpecError, match="not with torch.distributed"):
        run_recipe(recipe, tmp_path / "x.pt", world_size=2)
    other = {**single, "model": {**single["model"], "widths": [8, 16]}}
    run_recipe(other, tmp_path / "other.pt")
    with pytest.raises(DataError, match="another model"):
        merge_checkpoints([tmp_path / "alone.pt", tmp_path / "other.pt"], tmp_path / "bad.pt")


def test_recipe_reads_several_case_directories(tmp_path):
    from eda.irdrop.recipes import load_recipe_data

    generate_cases("static", [31], tmp_path / "a")
    generate_cases("static", [32], tmp_path / "b")
    train, val = load_recipe_data(
        {"real": False, "fake": False, "synthetic": [str(tmp_path / "a"), str(tmp_path / "b")]}
    )
    assert sorted(s.name.split("-")[1] for s in train) == ["00031", "00032"] and val == []
