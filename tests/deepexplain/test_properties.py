"""Properties from the papers: completeness, equivalences, linearity in ys, batching."""
import numpy as np
import pytest
import tensorflow as tf
from networks import ACTIVATIONS, EagerStyle, GraphStyle, evaluate, quiet, random_cnn, random_mlp

METHODS = ["saliency", "grad*input", "intgrad", "elrp", "deeplift", "occlusion", "shapley_sampling"]


@pytest.mark.parametrize("act", ["Relu", "Tanh"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deeplift_completeness_mlp(style, act, seed):
    model = random_mlp(seed, act=ACTIVATIONS[act])
    rng = np.random.default_rng(seed)
    xs, baseline = rng.normal(size=(5, 6)).astype(np.float32), rng.normal(size=6).astype(np.float32)
    ys = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 5)]
    attribution = style.explain("deeplift", model, xs, ys=ys, baseline=baseline)
    expected = ((evaluate(model, xs) - evaluate(model, baseline[None])) * ys).sum(1)
    np.testing.assert_allclose(attribution.sum(1), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_deeplift_completeness_every_nonlinearity(act):
    model = random_mlp(3, act=ACTIVATIONS[act])
    xs = np.random.default_rng(3).normal(size=(4, 6)).astype(np.float32) * 3
    attribution = EagerStyle().explain("deeplift", model, xs)
    expected = evaluate(model, xs).sum(1) - evaluate(model, np.zeros((1, 6), np.float32)).sum(1)
    np.testing.assert_allclose(attribution.sum(1), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", ["Relu", "Tanh"])
def test_deeplift_completeness_cnn(style, act):
    model = random_cnn(4, act=ACTIVATIONS[act])
    xs = np.random.default_rng(4).normal(size=(3, 8, 8, 3)).astype(np.float32)
    attribution = style.explain("deeplift", model, xs)
    expected = evaluate(model, xs).sum(1) - evaluate(model, np.zeros((1, 8, 8, 3), np.float32)).sum(1)
    np.testing.assert_allclose(attribution.reshape(3, -1).sum(1), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_integrated_gradients_completeness(style, seed):
    model = random_cnn(seed, act=tf.nn.tanh)
    xs = np.random.default_rng(seed).normal(size=(3, 8, 8, 3)).astype(np.float32)
    attribution = style.explain("intgrad", model, xs, steps=100)
    expected = evaluate(model, xs).sum(1) - evaluate(model, np.zeros((1, 8, 8, 3), np.float32)).sum(1)
    np.testing.assert_allclose(attribution.reshape(3, -1).sum(1), expected, rtol=0.02)


def test_elrp_equals_grad_input_on_relu_networks(style):
    model = random_cnn(5)
    xs = np.random.default_rng(5).normal(size=(4, 8, 8, 3)).astype(np.float32)
    elrp = style.explain("elrp", model, xs, epsilon=1e-7)
    grad_input = style.explain("grad*input", model, xs)
    # Each ReLU scales by z / (z + ε): equal up to units whose pre-activation is within a few ε of 0.
    np.testing.assert_allclose(elrp, grad_input, rtol=1e-3, atol=1e-3 * np.abs(grad_input).max())


def test_elrp_differs_from_grad_input_on_tanh_networks(style):
    model = random_mlp(6, act=tf.nn.tanh)
    xs = np.random.default_rng(6).normal(size=(4, 6)).astype(np.float32)
    assert np.abs(style.explain("elrp", model, xs) - style.explain("grad*input", model, xs)).max() > 1e-2


@pytest.mark.parametrize("method", METHODS)
def test_session_and_eager_styles_agree(method):
    model = random_cnn(7, channels=1)
    rng = np.random.default_rng(7)
    xs = rng.normal(size=(3, 8, 8, 1)).astype(np.float32)
    ys = np.eye(3, dtype=np.float32)[[0, 2, 1]]
    params = quiet(method, window_shape=(2, 2, 1)) if method == "occlusion" else quiet(method)
    if method == "shapley_sampling":
        params.update(samples=2, seed=0, sampling_dims=[1, 2])
    graph = GraphStyle().explain(method, model, xs, ys=ys, **params)
    eager = EagerStyle().explain(method, model, xs, ys=ys, **params)
    assert graph.shape == eager.shape
    np.testing.assert_allclose(graph, eager, atol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_batched_equals_unbatched(style, method):
    model = random_mlp(8)
    xs = np.random.default_rng(8).normal(size=(11, 6)).astype(np.float32)
    ys = np.eye(3, dtype=np.float32)[np.arange(11) % 3]
    params = quiet(method, samples=2, seed=3) if method == "shapley_sampling" else quiet(method)
    whole = style.explain(method, model, xs, ys=ys, **params)
    batched = style.explain(method, model, xs, ys=ys, batch_size=4, **params)
    np.testing.assert_allclose(whole, batched, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_ys_is_additive_and_equals_masking_t(method):
    model = random_mlp(9)
    style = EagerStyle()
    xs = np.random.default_rng(9).normal(size=(4, 6)).astype(np.float32)
    params = quiet(method, samples=2, seed=1) if method == "shapley_sampling" else quiet(method)
    first = np.tile([[1.0, 0.0, 0.0]], (4, 1)).astype(np.float32)
    second = np.tile([[0.0, 1.0, 0.0]], (4, 1)).astype(np.float32)
    a = style.explain(method, model, xs, ys=first, **params)
    b = style.explain(method, model, xs, ys=second, **params)
    both = style.explain(method, model, xs, ys=first + second, **params)
    if method != "saliency":  # |gradient| is not linear in ys
        np.testing.assert_allclose(a + b, both, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(style.explain(method, model, xs, ys=0 * first, **params), 0 * a, atol=1e-7)
    masked = style.explain(method, lambda x: model(x) * first[:1], xs, **params)
    np.testing.assert_allclose(masked, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_plain_gradients_of_every_nonlinearity_match_tensorflow(act):
    # Ops created inside the context go through DeepExplainGrad; without a method rule it
    # must give TensorFlow's own gradient.
    x = tf.constant(np.linspace(-8, 8, 41, dtype=np.float32)[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = ACTIVATIONS[act](x)
    expected = np.abs(tape.gradient(y, x).numpy())
    np.testing.assert_allclose(
        EagerStyle().explain("saliency", ACTIVATIONS[act], x.numpy()), expected, rtol=1e-5, atol=1e-6
    )
