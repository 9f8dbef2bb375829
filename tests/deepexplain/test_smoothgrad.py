"""SmoothGrad and its squared and variance variants: zero noise, linear models, seeds, errors."""
import numpy as np
import pytest
import tensorflow as tf
from conv_networks import eager_only, max_cnn, max_mlp
from networks import EagerStyle, GraphStyle

RNG = np.random.default_rng(6)
ROWS = RNG.normal(size=(6, 6)).astype(np.float32)
W = RNG.normal(size=(6, 2)).astype(np.float32)


def linear(x):
    return tf.matmul(x, W)


def test_zero_noise_equals_saliency(style):
    model = max_mlp()
    saliency = style.explain("saliency", model, ROWS)
    np.testing.assert_allclose(
        style.explain("smoothgrad", model, ROWS, noise_level=0.0, samples=3), saliency, rtol=1e-5, atol=1e-7
    )
    squared = style.explain("smoothgrad", model, ROWS, noise_level=0.0, samples=3, squared=True)
    np.testing.assert_allclose(squared, saliency**2, rtol=1e-4, atol=1e-7)
    variance = style.explain("smoothgrad", model, ROWS, noise_level=0.0, samples=3, variance=True)
    np.testing.assert_allclose(variance, 0.0, atol=1e-6)


def test_linear_model_with_noise(style):
    # The gradient of a linear model is the same at every noisy copy.
    ys = np.tile([[1.0, 0.0]], (len(ROWS), 1)).astype(np.float32)
    result = style.explain("smoothgrad", linear, ROWS, ys=ys, noise_level=0.5, samples=20, seed=0)
    np.testing.assert_allclose(result, np.abs(np.tile(W[:, 0], (len(ROWS), 1))), rtol=1e-5)
    variance = style.explain("smoothgrad", linear, ROWS, ys=ys, noise_level=0.5, samples=20, seed=0, variance=True)
    np.testing.assert_allclose(variance, 0.0, atol=1e-6)


def test_noise_changes_a_relu_net_and_variance_is_the_spread(style):
    model = max_mlp()
    noisy = style.explain("smoothgrad", model, ROWS, noise_level=0.3, samples=40, seed=2)
    squared = style.explain("smoothgrad", model, ROWS, noise_level=0.3, samples=40, seed=2, squared=True)
    variance = style.explain("smoothgrad", model, ROWS, noise_level=0.3, samples=40, seed=2, variance=True)
    assert not np.allclose(noisy, style.explain("saliency", model, ROWS))
    # Same seed, same copies: E[g²] − Var[g] = E[g]² ≤ E[|g|]² (Jensen), with equality where no sign changes.
    assert np.all(squared - variance <= noisy**2 * (1 + 1e-4) + 1e-7)
    assert np.all(variance >= 0)


@pytest.mark.parametrize("batch_size", [9, 60])  # runs of one sample's copies; two whole samples per call
def test_seeds_repeat_and_batch_size_does_not_matter(style, batch_size):
    model = max_mlp()
    first = style.explain("smoothgrad", model, ROWS, samples=25, seed=4)
    chunked = style.explain("smoothgrad", model, ROWS, samples=25, seed=4, batch_size=batch_size)
    np.testing.assert_allclose(chunked, first, rtol=1e-5, atol=1e-7)
    assert not np.allclose(style.explain("smoothgrad", model, ROWS, samples=25, seed=5), first)


def test_an_explainer_repeats_its_draws_only_for_an_integer_seed():
    import deepexplain

    model = max_mlp()
    seeded = deepexplain.get_explainer("smoothgrad", model, samples=10, seed=4, progress=False)
    np.testing.assert_array_equal(seeded.run(ROWS), seeded.run(ROWS))
    fresh = deepexplain.get_explainer("smoothgrad", model, samples=10, progress=False)
    assert not np.allclose(fresh.run(ROWS), fresh.run(ROWS))
    stream = deepexplain.get_explainer("smoothgrad", model, samples=10, seed=np.random.default_rng(4), progress=False)
    assert not np.allclose(stream.run(ROWS), stream.run(ROWS))


def test_a_sample_does_not_depend_on_the_others(style):
    # The noise draws are shared by the samples of a run, so explaining a row alone gives its
    # map from the batch.
    model = max_mlp()
    together = style.explain("smoothgrad", model, ROWS, samples=25, seed=4, squared=True)
    alone = np.concatenate(
        [style.explain("smoothgrad", model, ROWS[i:i + 1], samples=25, seed=4, squared=True) for i in (0, 3, 5)]
    )
    np.testing.assert_allclose(alone, together[[0, 3, 5]], rtol=1e-5, atol=1e-7)


@pytest.mark.session
@pytest.mark.parametrize("variant", [{}, {"squared": True}, {"variance": True}])
def test_session_and_eager_agree(variant):
    eager_only()
    model = max_cnn()
    xs = RNG.normal(size=(3, 8, 8, 2)).astype(np.float32)
    params = dict(samples=10, seed=3, noise_level=0.1, **variant)
    graph = GraphStyle().explain("smoothgrad", model, xs, **params)
    eager = EagerStyle().explain("smoothgrad", model, xs, **params)
    np.testing.assert_allclose(graph, eager, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"samples": 0}, ValueError, "samples: expected a positive integer"),
        ({"samples": 2.5}, ValueError, "samples: expected a positive integer"),
        ({"noise_level": -0.1}, ValueError, "noise_level: expected a finite number >= 0"),
        ({"noise_level": "high"}, ValueError, "noise_level: expected a finite number >= 0"),
        ({"seed": 1.5}, ValueError, "seed: expected None"),
        ({"squared": "yes"}, TypeError, "squared: expected True or False"),
        ({"squared": True, "variance": True}, ValueError, "squared, variance: expected at most one"),
    ],
)
def test_errors(params, error, message):
    with pytest.raises(error, match=message):
        EagerStyle().explain("smoothgrad", max_mlp(), ROWS, **params)
