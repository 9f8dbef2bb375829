"""Guided backpropagation and DeconvNet against their rules computed by hand on a ReLU MLP."""
import numpy as np
import pytest
import tensorflow as tf
from conv_networks import eager_only, max_cnn
from networks import EagerStyle, GraphStyle

RNG = np.random.default_rng(7)
LAYERS = [(RNG.normal(0, 0.8, (5, 8)), RNG.normal(0, 0.3, 8)), (RNG.normal(0, 0.8, (8, 6)), RNG.normal(0, 0.3, 6)),
          (RNG.normal(0, 0.8, (6, 3)), RNG.normal(0, 0.3, 3))]
LAYERS = [(w.astype(np.float32), b.astype(np.float32)) for w, b in LAYERS]
XS = RNG.normal(size=(12, 5)).astype(np.float32)
YS = np.eye(3, dtype=np.float32)[np.arange(12) % 3]


def mlp(x):
    for k, (w, b) in enumerate(LAYERS):
        x = tf.matmul(x, w) + b
        x = tf.nn.relu(x) if k < len(LAYERS) - 1 else x
    return x


def by_hand(backward):
    """The backward pass through the MLP with ``backward(grad, pre_activation)`` at each ReLU."""
    pre, h = [], XS.astype(np.float64)
    for w, b in LAYERS[:-1]:
        pre.append(h @ w + b)
        h = np.maximum(pre[-1], 0)
    grad = YS @ LAYERS[-1][0].T
    for (w, _), z in zip(reversed(LAYERS[:-1]), reversed(pre)):
        grad = backward(grad, z) @ w.T
    return grad


def test_guided_backprop_masks_negative_gradients(style):
    result = style.explain("guided_backprop", mlp, XS, ys=YS)
    np.testing.assert_allclose(result, by_hand(lambda g, z: g * (z > 0) * (g > 0)), rtol=1e-5, atol=1e-6)
    plain = style.explain("grad*input", mlp, XS, ys=YS) / XS
    np.testing.assert_allclose(plain, by_hand(lambda g, z: g * (z > 0)), rtol=1e-4, atol=1e-5)
    # The rule drops exactly the negative gradients arriving at active units: the two differ.
    assert not np.allclose(result, plain, atol=1e-3)


def test_deconvnet_rectifies_the_backward_signal(style):
    result = style.explain("deconvnet", mlp, XS, ys=YS)
    np.testing.assert_allclose(result, by_hand(lambda g, z: np.maximum(g, 0)), rtol=1e-5, atol=1e-6)


def test_identical_to_the_gradient_where_every_gradient_is_positive(style):
    # A one-hidden-layer net with positive output weights: the gradient reaching each ReLU
    # is positive, so guided backpropagation changes nothing.
    w1, w2 = RNG.normal(size=(5, 4)).astype(np.float32), np.abs(RNG.normal(size=(4, 1))).astype(np.float32)
    model = lambda x: tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2)
    guided = style.explain("guided_backprop", model, XS)
    np.testing.assert_allclose(guided, style.explain("grad*input", model, XS) / XS, rtol=1e-4, atol=1e-5)


@pytest.mark.session
@pytest.mark.parametrize("method", ["guided_backprop", "deconvnet"])
def test_session_and_eager_agree(method):
    eager_only()
    xs = RNG.normal(size=(3, 8, 8, 2)).astype(np.float32)
    graph = GraphStyle().explain(method, max_cnn(), xs)
    eager = EagerStyle().explain(method, max_cnn(), xs)
    np.testing.assert_allclose(graph, eager, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["guided_backprop", "deconvnet"])
def test_takes_no_parameters(method):
    with pytest.raises(TypeError, match=rf"{method}: unexpected parameters \['steps'\]"):
        EagerStyle().explain(method, mlp, XS, steps=3)
