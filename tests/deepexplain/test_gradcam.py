"""Grad-CAM and Grad-CAM++ against their formulas computed by hand with GradientTape."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from networks import GraphStyle

import deepexplain

RNG = np.random.default_rng(8)
XS = RNG.normal(size=(4, 8, 8, 2)).astype(np.float32)
YS = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]
K1 = RNG.normal(0, 0.5, (3, 3, 2, 4)).astype(np.float32)
K2 = RNG.normal(0, 0.5, (3, 3, 4, 5)).astype(np.float32)
W = RNG.normal(0, 0.5, (5, 3)).astype(np.float32)


def features(x):
    """conv 3×3 → ReLU → max-pool → conv 3×3 → ReLU: a 4×4×5 feature map."""
    h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, K1, 1, "SAME")), 2, 2, "VALID")
    return tf.nn.relu(tf.nn.conv2d(h, K2, 1, "SAME") - 0.1)


def head(a):
    return tf.matmul(tf.reduce_mean(a, axis=[1, 2]), W)


def keras_model():
    model = keras.Sequential([
        keras.Input((8, 8, 2)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", use_bias=False, name="conv1"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="conv2"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, use_bias=False, activation="softmax", name="dense"),
    ])
    model.get_layer("conv1").set_weights([K1])
    model.get_layer("conv2").set_weights([K2, np.full(5, -0.1, np.float32)])
    model.get_layer("dense").set_weights([W])
    return model


def formula(activations, grads, plus_plus=False):
    """Grad-CAM (mean gradients) or Grad-CAM++ weights, ReLU of the weighted sum, bilinear upsampling."""
    if plus_plus:
        g2, g3 = grads**2, grads**3
        denominator = 2 * g2 + g3 * tf.reduce_sum(activations, axis=[1, 2], keepdims=True)
        safe = tf.where(denominator != 0, denominator, tf.ones_like(denominator))
        a = tf.where(denominator != 0, g2 / safe, tf.zeros_like(g2))
        alpha = tf.reduce_sum(a * tf.nn.relu(grads), axis=[1, 2], keepdims=True)
    else:
        alpha = tf.reduce_mean(grads, axis=[1, 2], keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(alpha * activations, axis=-1))
    return tf.image.resize(cam[..., None], (8, 8), method="bilinear")[..., 0]


def tape_gradcam(plus_plus=False):
    x = tf.constant(XS)
    with tf.GradientTape() as tape:
        activations = features(x)
        tape.watch(activations)
        score = tf.reduce_sum(head(activations) * YS)
    return formula(activations, tape.gradient(score, activations), plus_plus).numpy()


@pytest.mark.parametrize("method, plus_plus", [("gradcam", False), ("gradcam++", True)])
@pytest.mark.parametrize("layer", ["conv2", "object", None])
def test_keras_model_equals_the_formula(method, plus_plus, layer):
    model = keras_model()
    layer = model.get_layer("conv2") if layer == "object" else layer  # None: the last feature map, conv2
    result = deepexplain.explain(method, model, XS, ys=YS, layer=layer)
    assert result.shape == (4, 8, 8)
    np.testing.assert_allclose(result, tape_gradcam(plus_plus), rtol=1e-5, atol=1e-6)
    assert result.max() > 0


@pytest.mark.session
@pytest.mark.parametrize("method, plus_plus", [("gradcam", False), ("gradcam++", True)])
def test_session_tensor_layer_equals_the_formula(method, plus_plus):
    # The formula in the same session style (the process may have eager execution off).
    with GraphStyle().context() as de:
        X = tf.compat.v1.placeholder(tf.float32, (None, 8, 8, 2))
        activations = features(X)
        result = de.explain(method, head(activations), X, XS, ys=YS, layer=activations, batch_size=3)
        grads = tf.gradients(tf.reduce_sum(head(activations) * YS), activations)[0]
        expected = de.runtime.session.run(formula(activations, grads, plus_plus), {X: XS})
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)
    if tf.executing_eagerly():  # and the eager GradientTape formula agrees
        np.testing.assert_allclose(result, tape_gradcam(plus_plus), rtol=1e-5, atol=1e-5)


def test_batches_and_one_compiled_function():
    explainer = deepexplain.get_explainer("gradcam", keras_model(), layer="conv2")
    whole = explainer.run(XS, ys=YS)
    np.testing.assert_allclose(explainer.run(XS, ys=YS, batch_size=3), whole, rtol=1e-6)
    assert explainer.runtime.trace_count == 2  # the method's own function and the model's forward pass, once each


@pytest.mark.parametrize(
    "params, xs, error, message",
    [
        ({"layer": "conv9"}, XS, ValueError, r"layer: expected the name of a layer of the model, one of \['conv1'"),
        ({"layer": 3}, XS, TypeError, "layer: expected a layer name, a Keras layer or a graph tensor"),
        ({"layer": keras.layers.Dense(2)}, XS, ValueError, "layer: expected a layer of the model"),
        ({"layer": "dense"}, XS, ValueError, r"layer: expected a feature map"),
    ],
)
def test_errors(params, xs, error, message):
    with pytest.raises(error, match=message):
        deepexplain.explain("gradcam", keras_model(), xs, **params)


def test_needs_images_sequences_or_token_ids():
    dense = keras.Sequential([keras.Input((2, 2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(
        ValueError, match=r"xs: gradcam expected one input of images .* got shapes \[\(2, 2, 2, 2, 1\)\]"
    ):
        deepexplain.explain("gradcam", dense, np.zeros((2, 2, 2, 2, 1), np.float32))
    tabular = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])  # rows of (batch, 4) are read as token ids
    with pytest.raises(ValueError, match=r"layer: found no layer with a feature-map output"):
        deepexplain.explain("gradcam", tabular, np.zeros((2, 4), np.float32))


def test_needs_a_feature_map_layer():
    flat = keras.Sequential([keras.Input((4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="layer: found no layer with a feature-map output"):
        deepexplain.explain("gradcam", flat, np.zeros((2, 4, 1), np.float32))


@pytest.mark.session
def test_placeholder_of_fixed_batch_size():
    # 4 images through a placeholder of batch size 3: one full call, one padded at the end.
    with GraphStyle().context() as de:
        X = tf.compat.v1.placeholder(tf.float32, (None, 8, 8, 2))
        activations = features(X)
        free = de.explain("gradcam", head(activations), X, XS, ys=YS, layer=activations)
        X3 = tf.compat.v1.placeholder(tf.float32, (3, 8, 8, 2))
        activations3 = features(X3)
        fixed = de.explain("gradcam", head(activations3), X3, XS, ys=YS, layer=activations3)
    np.testing.assert_allclose(fixed, free, rtol=1e-6, atol=1e-7)
