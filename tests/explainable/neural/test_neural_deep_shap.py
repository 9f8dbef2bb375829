"""explainable.DeepShap: values add up to the logits, per output and ranked, in both styles."""
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from neural_models import cnn, images, mlp, mlp_logits, rows

from deepexplain.explainable import DeepShap

BACKGROUND, X = rows(12, 1), rows(6, 2)


def eager_only():
    if not tf.executing_eagerly():
        pytest.skip("eager execution is off in this process (--tf1)")


@pytest.mark.parametrize("package", ["keras", "tf_keras"])
def test_values_add_up_to_the_logits(package):
    eager_only()
    import importlib

    explainer = DeepShap(mlp(importlib.import_module(package)), data=BACKGROUND)
    shap_values = explainer.explain(X)
    assert shap_values["values"].shape == (6, 5, 3)
    np.testing.assert_allclose(explainer.expected_value, mlp_logits(BACKGROUND).mean(axis=0), rtol=1e-5)
    total = shap_values["values"].sum(axis=1) + shap_values["expected_value"]
    np.testing.assert_allclose(total, mlp_logits(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(shap_values["data"], X)


def test_ranked_outputs_explain_the_highest_outputs():
    eager_only()
    explainer = DeepShap(mlp(), data=BACKGROUND)
    full, ranked = explainer.explain(X)["values"], explainer.explain(X, ranked_outputs=2)
    order = np.argsort(-mlp_logits(X), axis=1)[:, :2]
    np.testing.assert_array_equal(ranked["indices"], order)
    assert ranked["values"].shape == (6, 5, 2)
    for j in range(2):
        np.testing.assert_allclose(ranked["values"][..., j], full[np.arange(6), :, order[:, j]], rtol=1e-5, atol=1e-6)


def test_one_output_and_a_subsampled_background():
    eager_only()
    import keras

    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.set_weights([np.arange(5, dtype=np.float32)[:, None] / 5, np.array([0.5], np.float32)])
    explainer = DeepShap(model, data=rows(40, 3), max_background=7, seed=1)
    assert explainer.data.shape == (7, 5)
    shap_values = explainer.explain(X)
    assert shap_values["values"].shape == (6, 5) and isinstance(shap_values["expected_value"], float)
    outputs = X @ np.arange(5) / 5 + 0.5
    np.testing.assert_allclose(shap_values["values"].sum(axis=1) + shap_values["expected_value"], outputs, rtol=1e-5)
    again = DeepShap(model, data=rows(40, 3), max_background=7, seed=1)
    np.testing.assert_array_equal(again.data, explainer.data)


def test_images_with_max_pooling_and_plots():
    eager_only()
    model = cnn()
    explainer = DeepShap(model, data=images(5, 4), batch_size=40)
    shap_values = explainer.explain(images(3, 5))
    import keras

    features = keras.Model(model.inputs, model.get_layer("gap").output)([images(3, 5)]).numpy()
    pre_softmax = features @ model.get_layer("out").get_weights()[0]
    total = shap_values["values"].reshape(3, -1, 3).sum(axis=1) + shap_values["expected_value"]
    np.testing.assert_allclose(total, pre_softmax, rtol=1e-4, atol=1e-5)
    figure = explainer.plot(shap_values)
    assert isinstance(figure, matplotlib.figure.Figure)
    tabular = DeepShap(mlp(), data=BACKGROUND)
    assert isinstance(tabular.plot(tabular.explain(X), feature_names=list("abcde")), matplotlib.figure.Figure)


@pytest.mark.session
def test_session_style_with_tf_keras():
    import tf_keras

    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        tf_keras.backend.set_session(sess) if hasattr(tf_keras.backend, "set_session") else None
        model = mlp(tf_keras)
        explainer = DeepShap(model, data=BACKGROUND, session=sess)
        shap_values = explainer.explain(X)
    total = shap_values["values"].sum(axis=1) + shap_values["expected_value"]
    np.testing.assert_allclose(total, mlp_logits(X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "data, X, params, error, message",
    [
        (np.zeros(5), X, {}, ValueError, "data: expected background rows"),
        (BACKGROUND, X, {"max_background": 0}, ValueError, "max_background: expected a positive integer"),
        (BACKGROUND, X[:, :4], {}, ValueError, r"X: expected samples shaped like data, \(n,\) \+ \(5,\)"),
        (BACKGROUND, X, {"ranked_outputs": 4}, ValueError, "ranked_outputs: expected at most the 3 outputs"),
        (BACKGROUND, X, {"ranked_outputs": 0}, ValueError, "ranked_outputs: expected a positive integer"),
    ],
)
def test_errors(data, X, params, error, message):
    eager_only()
    ranked = params.pop("ranked_outputs", None)
    with pytest.raises(error, match=message):
        DeepShap(mlp(), data=data, **params).explain(X, ranked_outputs=ranked)
