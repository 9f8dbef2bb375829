"""Save → load round trips of GCE (JSON + HDF5, no pickle) and refusal of bad directories."""
import json

import numpy as np
import pytest
import tensorflow as tf
from gce_models import linear_vae, softmax_classifier

from cxplain import GenerativeCausalExplainer

RNG = np.random.default_rng(11)
IMAGES = RNG.uniform(size=(48, 6, 6, 1)).astype(np.float32)
HEAD = (RNG.normal(size=(36, 2))).astype(np.float32), np.zeros(2, np.float32)


def classifier(keras):
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.set_weights(list(HEAD))
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    import keras

    explainer = GenerativeCausalExplainer(classifier(keras), K=1, L=2, width=4, random_state=0)
    explainer.train(IMAGES, steps=5, Nalpha=4, Nbeta=3, progress=False)
    directory = tmp_path_factory.mktemp("gce")
    explainer.save(directory / "a")
    return explainer, directory


def test_loaded_explainer_gives_identical_sweeps_and_flow(saved, tmp_path):
    import keras

    explainer, directory = saved
    moved = tmp_path / "moved"
    (directory / "a").rename(moved)  # relocatable
    loaded = GenerativeCausalExplainer.load(moved, classifier(keras))
    assert sorted(p.name for p in moved.iterdir()) == ["gce.json", "weights.h5"]
    for saved_part, loaded_part in zip(explainer.explain(IMAGES[:4]), loaded.explain(IMAGES[:4])):
        np.testing.assert_array_equal(loaded_part, saved_part)
    assert loaded.information_flow() == explainer.information_flow()
    assert (loaded.K, loaded.L, loaded.Nalpha_, loaded.Nbeta_) == (1, 2, 4, 3)
    moved.rename(directory / "a")


@pytest.mark.session
def test_session_round_trip_gives_identical_sweeps(tmp_path):
    import tf_keras

    def session_graph():
        graph = tf.Graph()
        return graph, tf.compat.v1.Session(graph=graph)

    graph, session = session_graph()
    with graph.as_default(), session.as_default():
        explainer = GenerativeCausalExplainer(classifier(tf_keras), K=1, L=1, width=4, random_state=0)
        explainer.train(IMAGES, steps=3, Nalpha=4, Nbeta=3, progress=False)
        explainer.save(tmp_path)
        expected = explainer.explain(IMAGES[:3])
    graph, session = session_graph()
    with graph.as_default(), session.as_default():
        restored = GenerativeCausalExplainer.load(tmp_path, classifier(tf_keras)).explain(IMAGES[:3])
    for a, b in zip(expected, restored):
        np.testing.assert_array_equal(a, b)


def test_custom_vae_round_trip_needs_the_models_again(tmp_path):
    import keras

    X = RNG.normal(size=(64, 2)).astype(np.float32)
    head = softmax_classifier(keras, np.array([[0.0, 3.0], [0.0, 0.0]]), np.zeros(2))
    explainer = GenerativeCausalExplainer(head, 1, 1, *linear_vae(keras, np.eye(2)), random_state=0)
    explainer.train(X, steps=3, Nalpha=4, Nbeta=3, progress=False)
    explainer.save(tmp_path)
    with pytest.raises(ValueError, match="custom VAE; pass the encoder and decoder"):
        GenerativeCausalExplainer.load(tmp_path, head)
    with pytest.raises(ValueError, match="do not fit"):
        GenerativeCausalExplainer.load(tmp_path, head, *linear_vae(keras, np.eye(3)[:, :2]))
    loaded = GenerativeCausalExplainer.load(tmp_path, head, *linear_vae(keras, np.zeros((2, 2))))
    np.testing.assert_array_equal(loaded.explain(X[:5])[0], explainer.explain(X[:5])[0])


def test_save_needs_training_and_does_not_overwrite_unless_asked(saved, tmp_path):
    import keras

    with pytest.raises(ValueError, match="not trained yet"):
        GenerativeCausalExplainer(classifier(keras), 1, 1).save(tmp_path)
    explainer, _ = saved
    explainer.save(tmp_path)
    with pytest.raises(ValueError, match="overwrite=True"):
        explainer.save(tmp_path)
    explainer.save(tmp_path, overwrite=True)


def test_modified_weights_are_refused(saved, tmp_path):
    import keras

    saved[0].save(tmp_path)
    data = bytearray((tmp_path / "weights.h5").read_bytes())
    data[-100] ^= 0xFF
    (tmp_path / "weights.h5").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        GenerativeCausalExplainer.load(tmp_path, classifier(keras))


@pytest.mark.parametrize("change, message", [
    ({"version": 2}, "format version 2"),
    ({"format": "cxplain"}, "not a GenerativeCausalExplainer configuration"),
    ({"K": None}, "invalid entry"),
    ({"L": 5}, "do not fit"),
    ({"default_vae": False}, "custom VAE"),
])
def test_foreign_or_edited_configurations_are_refused(saved, tmp_path, change, message):
    import keras

    saved[0].save(tmp_path)
    config = json.loads((tmp_path / "gce.json").read_text())
    config.update(change)
    (tmp_path / "gce.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        GenerativeCausalExplainer.load(tmp_path, classifier(keras))


def test_missing_directory_is_refused(tmp_path):
    import keras

    with pytest.raises(ValueError, match="gce.json and weights.h5"):
        GenerativeCausalExplainer.load(tmp_path, classifier(keras))


def test_directory_and_overwrite_are_checked(saved, tmp_path):
    import keras

    with pytest.raises(TypeError, match="directory: expected a path"):
        saved[0].save(42)
    with pytest.raises(TypeError, match="overwrite: expected True or False"):
        saved[0].save(tmp_path, overwrite="yes")
    with pytest.raises(TypeError, match="directory: expected a path"):
        GenerativeCausalExplainer.load(None, classifier(keras))
