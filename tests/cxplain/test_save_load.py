"""Save → load round trips and refusal of modified or foreign directories."""
import json

import numpy as np
import pytest
import tensorflow as tf

from cxplain import CXPlain


def test_loaded_explainer_explains_identically(ensemble, tabular, tmp_path):
    X = tabular[0][400:]
    ensemble.save(tmp_path / "a")
    moved = tmp_path / "moved"
    (tmp_path / "a").rename(moved)  # relocatable: nothing refers to the old path
    loaded = CXPlain.load(moved)
    assert loaded.explained_model is None and loaded.num_models == 3
    for saved, restored in zip(ensemble.explain(X), loaded.explain(X)):
        np.testing.assert_allclose(restored, saved, rtol=1e-6, atol=1e-9)  # the same weights
    assert sorted(p.name for p in moved.iterdir()) == ["cxplain.json", "weights.h5"]


def test_loaded_explainer_can_score_with_the_explained_model(ensemble, tabular, tmp_path):
    X, y, model = tabular
    ensemble.save(tmp_path)
    loaded = CXPlain.load(tmp_path, explained_model=model)
    assert loaded.loss == "categorical_crossentropy"
    np.testing.assert_allclose(loaded.score(X[400:], y[400:]), ensemble.score(X[400:], y[400:]), rtol=1e-6)


def test_saved_eager_explainer_loads_in_session_style(ensemble, tabular, tmp_path):
    X = tabular[0][400:]
    ensemble.save(tmp_path)
    with tf.Graph().as_default(), tf.compat.v1.Session().as_default():
        median, _ = CXPlain.load(tmp_path).explain(X)
    np.testing.assert_allclose(median, ensemble.explain(X)[0], atol=1e-6)


def test_save_does_not_overwrite_unless_asked(ensemble, tmp_path):
    ensemble.save(tmp_path)
    with pytest.raises(ValueError, match="overwrite=True"):
        ensemble.save(tmp_path)
    ensemble.save(tmp_path, overwrite=True)


def test_modified_weights_are_refused(ensemble, tmp_path):
    ensemble.save(tmp_path)
    data = bytearray((tmp_path / "weights.h5").read_bytes())
    data[-100] ^= 0xFF
    (tmp_path / "weights.h5").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        CXPlain.load(tmp_path)


@pytest.mark.parametrize("change, message", [
    ({"version": 2}, "format version 2"),
    ({"format": "pickle"}, "not a CXPlain configuration"),
    ({"model_builder": {"class": "os.system", "params": {}}}, "'model_builder'.*one of"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": {"num_units": 3}}}, "do not fit"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": {"evil": 1}}}, "'model_builder'.*evil"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": {"num_units": 0}}}, "'model_builder'.*num_units"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": {"activation": "nope"}}}, "'model_builder'.*activation"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": {"p_dropout": 1.0}}}, "'model_builder'.*p_dropout"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": []}}, "'model_builder'.*params"),
    ({"masking_operation": {"class": "ZeroMasking", "params": {"x": 1}}}, "'masking_operation'"),
    ({"masking_operation": "ZeroMasking"}, "'masking_operation'"),
    ({"loss": 3}, "'loss'.*loss name"),
    ({"loss": "no_such_loss"}, "'loss'.*unknown name"),
    ({"num_models": 0}, "'num_models'.*positive integer"),
    ({"num_models": "3"}, "'num_models'.*positive integer"),
    ({"num_models": 3.0}, "'num_models'.*positive integer"),
    ({"num_models": True}, "'num_models'.*positive integer"),
    ({"num_models": 2, "validation_losses": []}, "groups .*model_2"),
    ({"downsample_factors": [0]}, "'downsample_factors'"),
    ({"downsample_factors": "1"}, "'downsample_factors'"),
    ({"downsample_factors": [1, 1, 1]}, "do not fit together.*downsample_factors"),
    ({"flatten_for_explained_model": "no"}, "'flatten_for_explained_model'.*True or False"),
    ({"random_state": -1}, "'random_state'"),
    ({"random_state": "0"}, "'random_state'"),
    ({"sample_shape": [6, -1]}, "'sample_shape'"),
    ({"sample_shape": []}, "'sample_shape'"),
    ({"sample_shape": 6}, "'sample_shape'"),
    ({"sample_shape": [7]}, "do not fit"),
    ({"input_dtype": "complex64"}, "'input_dtype'.*float32"),
    ({"validation_losses": ["a"]}, "'validation_losses'"),
    ({"validation_losses": [0.1]}, "'validation_losses'.*3 values"),
])
def test_foreign_or_tampered_configs_are_refused(ensemble, tmp_path, change, message):
    ensemble.save(tmp_path)
    config = json.loads((tmp_path / "cxplain.json").read_text())
    config.update(change)
    (tmp_path / "cxplain.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        CXPlain.load(tmp_path)


@pytest.mark.parametrize("field", ["model_builder", "masking_operation", "loss", "num_models", "downsample_factors",
                                   "flatten_for_explained_model", "random_state", "sample_shape", "input_dtype",
                                   "validation_losses"])
def test_missing_fields_are_named(ensemble, tmp_path, field):
    ensemble.save(tmp_path)
    config = json.loads((tmp_path / "cxplain.json").read_text())
    del config[field]
    (tmp_path / "cxplain.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=f"no field '{field}'"):
        CXPlain.load(tmp_path)


def test_every_field_is_checked_before_a_model_is_built(ensemble, tmp_path, monkeypatch):
    ensemble.save(tmp_path)
    config = json.loads((tmp_path / "cxplain.json").read_text())
    config["validation_losses"] = "late field"
    (tmp_path / "cxplain.json").write_text(json.dumps(config))
    built = []
    monkeypatch.setattr(type(ensemble.model_builder), "build", lambda *args: built.append(args))
    with pytest.raises(ValueError, match="validation_losses"):
        CXPlain.load(tmp_path)
    assert built == []


def test_save_onto_an_existing_file_is_refused(ensemble, tmp_path):
    target = tmp_path / "model.cxplain"
    target.write_text("not a directory")
    for overwrite in (False, True):
        with pytest.raises(ValueError, match="directory: expected a directory .* got the existing file"):
            ensemble.save(target, overwrite=overwrite)
    assert target.read_text() == "not a directory"
    (tmp_path / "d" / "cxplain.json").mkdir(parents=True)
    with pytest.raises(ValueError, match="is a directory"):
        ensemble.save(tmp_path / "d", overwrite=True)


def test_loading_an_empty_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cxplain.json and weights.h5"):
        CXPlain.load(tmp_path)
