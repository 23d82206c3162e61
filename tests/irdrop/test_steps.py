"""IR-drop flow steps: cache identity of the training step."""

from __future__ import annotations

import shutil

from eda.irdrop import recipes, steps


def test_training_cache_key_follows_the_shipped_model_configs(tmp_path, monkeypatch):
    """irdrop.train reads its model config by name from the package: editing that YAML must change the
    step's version (part of its cache key), or a flow would reuse a training made with the old config."""
    configs = tmp_path / "configs"
    shutil.copytree(recipes.CONFIG_DIR, configs)
    assert steps.IrdropTrain.version.endswith(steps._shipped_config_digest())
    monkeypatch.setattr(recipes, "CONFIG_DIR", configs)
    before = steps._shipped_config_digest()
    path = configs / "pdnnet-dynamic.yaml"
    path.write_text(path.read_text().replace("signed_limit: 0.5", "signed_limit: 0.4"))
    assert "signed_limit: 0.4" in path.read_text()
    assert steps._shipped_config_digest() != before
