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
        np.testing.assert_array_equal(saved, restored)
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
    ({"model_builder": {"class": "os.system", "params": {}}}, "is not one of"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": {"num_units": 3}}}, "do not fit"),
    ({"model_builder": {"class": "MLPModelBuilder", "params": {"evil": 1}}}, "invalid model_builder params"),
])
def test_foreign_or_tampered_configs_are_refused(ensemble, tmp_path, change, message):
    ensemble.save(tmp_path)
    config = json.loads((tmp_path / "cxplain.json").read_text())
    config.update(change)
    (tmp_path / "cxplain.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        CXPlain.load(tmp_path)


def test_loading_an_empty_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cxplain.json and weights.h5"):
        CXPlain.load(tmp_path)
