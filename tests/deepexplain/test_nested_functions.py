"""Nested ``tf.function`` calls: a nonlinear one is inlined, so that the rules reach inside it (issue #15).

A Lambda or a layer method calling a ``@tf.function`` swish gives the attributions of the same model
written without the ``tf.function``, adds up and raises no "plain gradients" warning; a linear nested
function (an affine map, Keras 3's grouped convolution) stays one call op. Outside the explainer, in
other threads and after an error, ``tf.function`` calls are untouched.
"""
import threading
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from tensorflow.python.eager.polymorphic_function.polymorphic_function import Function
from tf_keras.api._v1.keras import backend as K

import deepexplain
from deepexplain import DeepExplain
from deepexplain.unfused import unfused

CALLS = {"PartitionedCall", "StatefulPartitionedCall"}
PLAIN_CALL = Function.__call__


def plain_swish(x):
    return x * tf.sigmoid(x)


swish = tf.function(plain_swish)
jit_swish = tf.function(plain_swish, jit_compile=True)


@tf.function
def affine(x):
    return 2.0 * x + 1.0


class MethodSwish(keras.layers.Layer):
    """Calls a ``tf.function`` method (bound through the descriptor)."""

    def call(self, x):
        return self.gate(x)

    @tf.function
    def gate(self, x):
        return plain_swish(x)


def with_fixed_weights(model):
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 1, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def mlp(middle, layers=keras.layers):
    """Dense(4) -> ``middle`` -> ReLU Dense(3) -> Dense(2) on 3 features, fixed weights."""
    model = (keras if layers is keras.layers else tf_keras).Sequential([
        layers.InputLayer((3,)), layers.Dense(4), middle, layers.Dense(3, activation="relu"), layers.Dense(2)
    ])
    return with_fixed_weights(model)


XS = np.random.default_rng(1).normal(0, 1, (6, 3)).astype(np.float32)
BACKGROUND = np.random.default_rng(2).normal(0, 1, (4, 3)).astype(np.float32)
YS = np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 0, 1]]


def explained(method, model):
    """``method``'s attributions of ``model`` on XS, failing on any warning."""
    extra = {"background": BACKGROUND} if method == "deepshap" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return deepexplain.explain(method, model, XS, ys=YS, **extra)


def expected_sums(method, predict):
    reference = predict(BACKGROUND).mean(0) if method == "deepshap" else predict(np.zeros((1, 3), np.float32))[0]
    return ((predict(XS) - reference) * YS).sum(1)


def assert_complete(attributions, sums):
    np.testing.assert_allclose(attributions.sum(1), sums, rtol=1e-5, atol=1e-5 * np.abs(sums).max())


def traced_op_types(model, shape):
    """The op types of ``model`` traced by a ``tf.function`` inside :func:`unfused`."""
    with unfused(model):
        concrete = tf.function(model).get_concrete_function(tf.TensorSpec((None,) + shape, tf.float32))
    return {op.type for op in concrete.graph.get_operations()}


NONLINEAR = {
    "lambda": lambda: keras.layers.Lambda(swish),
    "jit_lambda": lambda: keras.layers.Lambda(jit_swish),
    "method": MethodSwish,
    "twice": lambda: keras.layers.Lambda(tf.function(lambda x: swish(x))),
}


@pytest.mark.parametrize("nested", sorted(NONLINEAR))
@pytest.mark.parametrize("method", ["deeplift", "deepshap", "elrp"])
def test_a_nonlinear_nested_function_gets_the_rules(method, nested):
    model = mlp(NONLINEAR[nested]())
    plain = mlp(keras.layers.Lambda(plain_swish))
    attributions = explained(method, model)
    np.testing.assert_allclose(attributions, explained(method, plain), rtol=1e-6, atol=1e-6)
    if method != "elrp":
        assert_complete(attributions, expected_sums(method, lambda rows: model(rows).numpy()))


def test_a_tf_function_around_the_model_gets_the_rules():
    plain = mlp(keras.layers.Lambda(plain_swish))
    np.testing.assert_allclose(explained("deeplift", tf.function(plain)), explained("deeplift", plain), atol=1e-6)


def test_a_nonlinear_nested_function_is_inlined():
    types = traced_op_types(mlp(keras.layers.Lambda(swish)), (3,))
    assert "Sigmoid" in types and not types & CALLS


def grouped_conv():
    layers = keras.layers
    model = keras.Sequential([keras.Input((4, 4, 4)), layers.Conv2D(4, 3, groups=2), layers.Activation("relu"),
                              layers.Flatten(), layers.Dense(2)])
    return with_fixed_weights(model), (4, 4, 4)


@pytest.mark.parametrize("build", [lambda: (mlp(keras.layers.Lambda(affine)), (3,)), grouped_conv],
                         ids=["affine", "grouped_conv"])
def test_a_linear_nested_function_stays_a_call(build):
    model, shape = build()
    assert traced_op_types(model, shape) & CALLS
    xs = np.random.default_rng(3).normal(0, 1, (2,) + shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        attributions = deepexplain.explain("deeplift", model, xs, ys=YS[:2])
    outputs = model(xs).numpy() - model(np.zeros((1,) + shape, np.float32)).numpy()
    assert_complete(attributions.reshape(2, -1), (outputs * YS[:2]).sum(1))


def session_model():
    """A tf_keras model in the current graph whose Lambda calls the nested ``swish``."""
    return mlp(tf_keras.layers.Lambda(swish), tf_keras.layers)


@pytest.mark.session
def test_a_nested_function_in_a_session_model_gets_the_rules():
    with tf.Graph().as_default():
        model = session_model()  # built outside the context, as a trained model would be
        predict = lambda rows: model.predict(rows, verbose=0)  # noqa: E731
        with DeepExplain(session=K.get_session()) as de, warnings.catch_warnings():
            warnings.simplefilter("error")
            attributions = de.explain("deeplift", model, xs=XS, ys=YS)
        sums = expected_sums("deeplift", predict)
    assert_complete(attributions, sums)


@pytest.mark.session
def test_a_nested_call_in_the_users_graph_tensors_is_named_in_the_warning():
    """Graph tensors built before the context keep their call, and TensorFlow's own gradient of a call op
    that a session has already run fails (plain ``tf.gradients`` too): the warning names the call first."""
    with tf.Graph().as_default():
        model = session_model()
        with DeepExplain(session=K.get_session()) as de, pytest.warns(UserWarning, match="PartitionedCall"):
            with pytest.raises(tf.errors.InvalidArgumentError, match="PartitionedCall"):
                de.explain("deeplift", model.output, model.input, XS, ys=YS)


def user_graph_types():
    concrete = tf.function(lambda x: swish(x) + 1.0).get_concrete_function(tf.TensorSpec((None, 3)))
    return {op.type for op in concrete.graph.get_operations()}


def test_calls_outside_the_explainer_and_in_other_threads_are_untouched():
    model = mlp(keras.layers.Lambda(swish))
    with pytest.raises(RuntimeError, match="inside"):
        with unfused(model):
            found = []
            thread = threading.Thread(target=lambda: found.append(user_graph_types()))
            thread.start()
            thread.join()
            raise RuntimeError("inside")
    assert found[0] & CALLS and "Sigmoid" not in found[0]
    assert Function.__call__ is PLAIN_CALL
    assert user_graph_types() & CALLS
