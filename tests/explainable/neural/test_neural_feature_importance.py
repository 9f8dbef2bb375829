"""explainable.FeatureImportance: gradient importance and integrated gradients against exact values."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from neural_models import B1, W1, W2, mlp, mlp_logits, rows

from deepexplain.explainable import FeatureImportance

X_TRAIN, X_TEST = rows(30, 11), rows(8, 12)


@pytest.fixture
def linear():
    if not tf.executing_eagerly():
        pytest.skip("eager execution is off in this process (--tf1)")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    model.set_weights([W1[:, :3], np.zeros(3, np.float32)])
    return model


def test_gradient_importance_of_a_linear_model(linear):
    y = np.array([0, 1, 2, 0, 0, 1, 2, 2])
    importance = FeatureImportance(linear).compute_gradient_importance(X_TEST, y)
    np.testing.assert_allclose(importance, np.abs(W1[:, y]).mean(axis=1), rtol=1e-5)
    one_hot = FeatureImportance(linear).compute_gradient_importance(X_TEST, np.eye(3)[y].astype(np.float32))
    np.testing.assert_allclose(one_hot, importance, rtol=1e-6)


def test_gradient_importance_defaults_to_the_predicted_class(linear):
    predicted = (X_TEST @ W1[:, :3]).argmax(axis=1)
    importance = FeatureImportance(linear).compute_gradient_importance(X_TEST)
    np.testing.assert_allclose(importance, np.abs(W1[:, predicted]).mean(axis=1), rtol=1e-5)


def test_integrated_gradients_from_the_training_mean(linear):
    # The seed's call: baseline = X_train.mean(axis=0). Linear logits: exact.
    baseline = X_TRAIN.mean(axis=0)
    y = np.zeros(8, int)
    ig = FeatureImportance(linear).compute_integrated_gradients(X_TEST, baseline=baseline, steps=50, y=y)
    np.testing.assert_allclose(ig, W1[:, 0] * (X_TEST - baseline), rtol=1e-4, atol=1e-6)


def test_integrated_gradients_are_complete_on_a_relu_net():
    if not tf.executing_eagerly():
        pytest.skip("eager execution is off in this process (--tf1)")
    baseline = X_TRAIN.mean(axis=0)
    y = np.array([0, 1, 2, 1, 0, 2, 1, 0])
    ig = FeatureImportance(mlp()).compute_integrated_gradients(X_TEST, baseline=baseline, steps=400, y=y)
    expected = mlp_logits(X_TEST)[np.arange(8), y] - mlp_logits(baseline[None])[0, y]
    np.testing.assert_allclose(ig.sum(axis=1), expected, atol=2e-2 * np.abs(expected).max())


@pytest.mark.session
def test_session_style_with_tf_keras():
    import tf_keras

    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        model = mlp(tf_keras)
        importance = FeatureImportance(model, session=sess).compute_gradient_importance(X_TEST, np.zeros(8, int))
    # ∂logit_0/∂x = W1 · (ReLU mask ⊙ W2[:, 0])
    active = (X_TEST @ W1 + B1) > 0
    expected = np.abs((active * W2[:, 0]) @ W1.T).mean(axis=0)
    np.testing.assert_allclose(importance, expected, rtol=1e-5)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda f: f.compute_gradient_importance(X_TEST, np.full(8, 3)),
            ValueError,
            r"y: expected class indices in \[0, 3\)",
        ),
        (
            lambda f: f.compute_gradient_importance(X_TEST, np.zeros(5, int)),
            ValueError,
            r"y: expected a class index, one per sample \(8\)",
        ),
        (lambda f: f.compute_gradient_importance(X_TEST, np.zeros(8)), ValueError, "y: expected a class index"),
        (lambda f: f.compute_gradient_importance(X_TEST[0]), ValueError, "X: expected a batch of samples"),
        (lambda f: f.compute_integrated_gradients(X_TEST, steps=0), ValueError, "steps: expected a positive integer"),
        (
            lambda f: f.compute_integrated_gradients(X_TEST, baseline=np.zeros(4)),
            ValueError,
            "baseline: expected the shape of one sample",
        ),
    ],
)
def test_errors(linear, call, error, message):
    with pytest.raises(error, match=message):
        call(FeatureImportance(linear))
