"""Session style (tf_keras models in a ``tf.compat.v1`` session graph) against eager Keras 3 and a
NumPy oracle: the same information flow on the same weights, the same training from the same
seed, and compiled once."""
import numpy as np
import pytest
import tensorflow as tf
from gce_models import information_flow_numpy, mlp_decoder_numpy, softmax, softmax_classifier

from cxplain import GenerativeCausalExplainer
from cxplain.gce.information_flow import latent_draws

RNG = np.random.default_rng(7)
VECTORS = RNG.uniform(size=(200, 4)).astype(np.float32)
HEAD = (RNG.normal(size=(4, 3)) * 4).astype(np.float32), RNG.normal(size=3).astype(np.float32)
IMAGES = RNG.uniform(size=(64, 8, 8, 1)).astype(np.float32)
IMAGE_HEAD = (RNG.normal(size=(64, 2)) * 0.5).astype(np.float32), np.zeros(2, np.float32)


def image_classifier(keras):
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.set_weights(list(IMAGE_HEAD))
    return model


def in_style(style, work):
    """``work(keras)`` eagerly with Keras 3, or in a new session graph with tf_keras."""
    if style == "eager":
        if not tf.executing_eagerly():
            pytest.skip("eager style needs eager execution")
        import keras

        return work(keras)
    import tf_keras

    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph).as_default():
        return work(tf_keras)


@pytest.mark.parametrize("style", ["eager", pytest.param("session", marks=pytest.mark.session)])
def test_information_flow_equals_the_numpy_estimate_on_the_trained_weights(style):
    def work(keras):
        explainer = GenerativeCausalExplainer(softmax_classifier(keras, *HEAD), K=1, L=2, width=8, random_state=3)
        explainer.train(VECTORS, steps=5, Nalpha=10, Nbeta=8, progress=False)
        return explainer.information_flow(Nalpha=30, Nbeta=20), explainer.decoder.get_weights()

    flow, weights = in_style(style, work)
    z = latent_draws(np.random.default_rng([3, 2]), 30, 20, [0], 3)
    x = mlp_decoder_numpy(weights, z.reshape(-1, 3), sigmoid=True)
    p = softmax(x @ HEAD[0] + HEAD[1]).reshape(30, 20, 3).mean(axis=1)
    assert flow == pytest.approx(information_flow_numpy(p), abs=1e-5)
    assert 0 < flow <= np.log(3)


@pytest.mark.session
def test_session_style_compiles_once_and_adds_no_ops_when_used_again():
    import tf_keras

    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph).as_default():
        explainer = GenerativeCausalExplainer(image_classifier(tf_keras), K=1, L=1, width=4, random_state=0)
        explainer.train(IMAGES, steps=2, Nalpha=4, Nbeta=3, progress=False)
        explainer.information_flow(), explainer.information_flow_per_dim(), explainer.explain(IMAGES[:2])
        explainer.aspect_removal_accuracy(IMAGES[:4], np.zeros(4, np.int64))
        operations = len(graph.get_operations())
        history = explainer.train(IMAGES, steps=3, Nalpha=5, Nbeta=2, lam=0.1, lr=1e-3, progress=False)
        explainer.information_flow(Nalpha=7), explainer.information_flow_per_dim(), explainer.explain(IMAGES[:3])
        explainer.aspect_removal_accuracy(IMAGES[:4], np.zeros(4, np.int64))
        assert len(graph.get_operations()) == operations
    assert np.all(np.isfinite(history["loss"]))


def test_eager_training_step_is_traced_once():
    import keras

    explainer = GenerativeCausalExplainer(softmax_classifier(keras, *HEAD), K=1, L=1, width=4, random_state=0)
    explainer.train(VECTORS, steps=2, Nalpha=4, Nbeta=3, progress=False)
    step = explainer._compiled[("step", None)]
    explainer.train(VECTORS, steps=2, Nalpha=6, Nbeta=5, batch_size=10, lam=0.0, progress=False)
    assert explainer._compiled[("step", None)] is step


@pytest.mark.parametrize("data", ["vectors", "images"])
def test_session_and_eager_give_the_same_flow_and_sweeps_on_the_same_weights(data, tmp_path):
    import keras

    X = VECTORS if data == "vectors" else IMAGES
    build = (lambda k: softmax_classifier(k, *HEAD)) if data == "vectors" else image_classifier
    eager = GenerativeCausalExplainer(build(keras), K=2, L=1, width=8, random_state=1)
    eager.train(X, steps=10, Nalpha=6, Nbeta=5, progress=False)
    eager.save(tmp_path)
    expected = eager.information_flow(), eager.information_flow_per_dim(), eager.explain(X[:3])

    def work(tf_keras):
        session = GenerativeCausalExplainer.load(tmp_path, build(tf_keras))
        return session.information_flow(), session.information_flow_per_dim(), session.explain(X[:3])

    flow, per_dim, (images, probabilities) = in_style("session", work)
    assert flow == pytest.approx(expected[0], abs=1e-5)
    np.testing.assert_allclose(per_dim, expected[1], atol=1e-5)
    np.testing.assert_allclose(images, expected[2][0], atol=1e-5)
    np.testing.assert_allclose(probabilities, expected[2][1], atol=1e-5)


def test_session_and_eager_training_agree_from_the_same_seed():
    import keras

    def work(k):
        explainer = GenerativeCausalExplainer(image_classifier(k), K=1, L=2, width=8, random_state=5)
        return explainer.train(IMAGES, steps=3, Nalpha=5, Nbeta=4, batch_size=16, progress=False)

    eager, session = work(keras), in_style("session", work)
    for name in eager:
        np.testing.assert_allclose(session[name], eager[name], rtol=1e-3, atol=1e-5)
