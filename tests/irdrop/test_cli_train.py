"""`eda irdrop train` on a tiny recipe of generated cases; bad recipes exit with code 2."""

from __future__ import annotations

import pytest
import yaml

from eda.irdrop.features import STATIC_CHANNELS
from eda.irdrop.predict import Predictor
from eda.irdrop.synthetic import generate_cases


def _recipe(tmp_path, **data):
    model = {"model": "iredge", "in_channels": len(STATIC_CHANNELS), "widths": [8, 8], "head": 8}
    recipe = {"model": model, "data": {"real": False, "fake": False, **data},
              "train": {"epochs": 2, "max_minutes": 0, "seed": 0, "crop": 64, "threads": 1}}
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
