"""DeepLIFT and DeepShap add up on the blocks of current networks, with no "plain gradients" warning.

Tiny versions (fixed random weights) of an MBConv block (swish, squeeze-excitation), hard-swish, a
ConvNeXt block (depthwise 7×7, LayerNormalization, GELU, residual), a ViT block (patches, LayerNorm,
MultiHeadAttention, GELU MLP), RMS normalisation, a grouped convolution and recurrent layers: Keras 3
in eager style, and tf_keras in a session (marked ``session``).
"""
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from test_maxpool_rule import assert_complete
from tf_keras.api._v1.keras import backend as K

import deepexplain
from deepexplain import DeepExplain

RNG = np.random.default_rng(5)


def fixed(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def keras_model(layers, inputs, outputs):
    return (keras.Model if layers is keras.layers else tf_keras.Model)(inputs, outputs)


def mbconv(layers):
    """Expansion with swish, depthwise convolution with hard-swish, squeeze-excitation, residual."""
    i = layers.Input((4, 4, 3))
    x = layers.Conv2D(6, 1, activation="swish")(i)
    x = layers.DepthwiseConv2D(3, padding="same", activation="hard_swish")(x)
    s = layers.GlobalAveragePooling2D(keepdims=True)(x)
    s = layers.Conv2D(6, 1, activation="sigmoid")(layers.Conv2D(2, 1, activation="swish")(s))
    x = layers.Add()([i, layers.Conv2D(3, 1)(layers.Multiply()([x, s]))])
    return keras_model(layers, i, layers.Dense(2)(layers.Flatten()(x)))


def convnext(layers):
    i = layers.Input((8, 8, 4))
    x = layers.DepthwiseConv2D(7, padding="same")(i)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = layers.Dense(8, activation="gelu")(x)
    x = layers.Add()([i, layers.Dense(4)(x)])
    return keras_model(layers, i, layers.Dense(2)(layers.GlobalAveragePooling2D()(x)))


def vit(layers, activation="gelu"):
    i = layers.Input((4, 4, 2))
    patches = layers.Reshape((4, 8))(layers.Conv2D(8, 2, strides=2)(i))
    x = layers.LayerNormalization()(patches)
    x = layers.Add()([patches, layers.MultiHeadAttention(2, 4)(x, x)])
    y = layers.Dense(8)(layers.Dense(16, activation=activation)(layers.LayerNormalization()(x)))
    x = layers.Add()([x, y])
    return keras_model(layers, i, layers.Dense(2)(layers.GlobalAveragePooling1D()(x)))


def grouped_rms():
    """A grouped convolution (a nested linear function in Keras 3) with GELU, then RMS normalisation."""
    L = keras.layers
    return keras.Sequential([keras.Input((4, 4, 4)), L.Conv2D(4, 3, groups=2, activation="gelu"), L.Reshape((4, 4)),
                             L.RMSNormalization(), L.Flatten(), L.Dense(2)])


def recurrent(layers):
    """Bidirectional LSTM, GRU and SimpleRNN stacked over 2 time steps."""
    return layers_sequential(layers, [layers.Bidirectional(layers.LSTM(2, return_sequences=True)),
                                      layers.GRU(2, return_sequences=True), layers.SimpleRNN(2), layers.Dense(2)])


def layers_sequential(layers, stack):
    if layers is keras.layers:
        return keras.Sequential([keras.Input((2, 2))] + stack)
    return tf_keras.Sequential([tf_keras.layers.InputLayer((2, 2))] + stack)


EAGER = {
    "mbconv": (lambda: mbconv(keras.layers), (4, 4, 3)),
    "convnext": (lambda: convnext(keras.layers), (8, 8, 4)),
    "vit": (lambda: vit(keras.layers), (4, 4, 2)),
    "grouped_conv_rms_norm": (grouped_rms, (4, 4, 4)),
    "recurrent": (lambda: recurrent(keras.layers), (2, 2)),
}

SESSION = {
    "vit_swish": (lambda: vit(tf_keras.layers, "swish"), (4, 4, 2)),
    "lstm": (lambda: layers_sequential(tf_keras.layers, [tf_keras.layers.LSTM(2), tf_keras.layers.Dense(2)]), (2, 2)),
}

YS = np.array([[1, 0], [0, 1], [1, -1]], np.float32)


def _samples(shape):
    xs = RNG.normal(0, 1, (3,) + shape).astype(np.float32)
    background = RNG.normal(0, 1, (4,) + shape).astype(np.float32)
    # the default zero baseline: a normalisation's scale there is 1/√ε (see the rule of its scale)
    baseline = np.zeros(shape, np.float32)
    return xs, background, baseline


def _expected(outputs, baseline_output, background_outputs):
    deeplift = ((outputs - baseline_output) * YS).sum(1)
    deepshap = (outputs * YS).sum(1) - (background_outputs.mean(0) * YS).sum(1)
    return deeplift, deepshap


@pytest.mark.parametrize("name", sorted(EAGER))
def test_keras3_blocks_add_up(name):
    build, shape = EAGER[name]
    model = fixed(build())
    xs, background, baseline = _samples(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every op on the path has a rule: no "plain gradients" warning
        deeplift = deepexplain.explain("deeplift", model, xs, ys=YS, baseline=baseline)
        deepshap = deepexplain.explain("deepshap", model, xs, ys=YS, background=background)
    predict = lambda rows: model(rows).numpy()  # noqa: E731
    expected_lift, expected_shap = _expected(predict(xs), predict(baseline[None]), predict(background))
    assert_complete(deeplift, expected_lift)
    assert_complete(deepshap, expected_shap)


@pytest.mark.session
@pytest.mark.parametrize("name", sorted(SESSION))
def test_tf_keras_blocks_add_up_in_a_session(name):
    build, shape = SESSION[name]
    xs, background, baseline = _samples(shape)
    with tf.Graph().as_default():
        model = fixed(build())  # built outside the context, as a trained model would be
        predict = lambda rows: model.predict(rows, verbose=0)  # noqa: E731
        expected_lift, expected_shap = _expected(predict(xs), predict(baseline[None]), predict(background))
        with DeepExplain(session=K.get_session()) as de, warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*(plain gradients|outside the DeepExplain context)")
            deeplift = de.explain("deeplift", model, xs=xs, ys=YS, baseline=baseline)
            deepshap = de.explain("deepshap", model, xs=xs, ys=YS, background=background)
    assert_complete(deeplift, expected_lift)
    assert_complete(deepshap, expected_shap)


@pytest.mark.parametrize("name", ["recurrent", "vit"])
def test_a_second_batch_size_gives_the_first_ones_attributions(name):
    # The first run traces the gradient function for its shapes (a recurrent layer's zero state a constant),
    # another batch size for any batch (the zero state sized by the batch at run time): both find the same units.
    build, shape = EAGER[name]
    model = fixed(build())
    xs, background, _ = _samples(shape)
    for method, params in (("deeplift", {}), ("deepshap", {"background": background})):
        explainer = deepexplain.get_explainer(method, model, **params)
        first = explainer.run(xs, ys=YS)
        np.testing.assert_allclose(explainer.run(xs[:2], ys=YS[:2]), first[:2], rtol=1e-5, atol=1e-6)


def test_the_recurrent_layers_are_restored_after_explaining():
    L = keras.layers
    model = layers_sequential(L, [L.Bidirectional(L.SimpleRNN(2)), L.Dense(1)])
    deepexplain.explain("elrp", model, np.ones((2, 2, 2), np.float32))
    assert not any(layer.unroll for layer in model._flatten_layers() if hasattr(layer, "unroll"))
