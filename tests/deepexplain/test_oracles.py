"""Exact values on tiny hand-built networks, in both execution styles."""
import numpy as np
import pytest
from networks import min_model, quiet, simple_model, simpler_model, two_input_model

XS = np.array([[-10.0, -5.0], [3.0, 1.0]], np.float32)


@pytest.mark.parametrize(
    "method, expected, decimals",
    [
        ("saliency", [1, 1], 6),
        ("grad*input", [3, -1], 6),
        ("intgrad", [1.5, -0.5], 6),
        ("deeplift", [2, -1], 6),
        ("occlusion", [1, -1], 6),
        ("elrp", [3, -1], 3),
    ],
)
def test_simpler_model(style, method, expected, decimals):
    result = style.explain(method, simpler_model, XS, **quiet(method))
    np.testing.assert_array_almost_equal(result[0], [0, 0], decimals)
    np.testing.assert_array_almost_equal(result[1], expected, decimals)


def test_elrp_small_epsilon_is_exact(style):
    result = style.explain("elrp", simpler_model, XS, epsilon=1e-9)
    np.testing.assert_array_almost_equal(result[1], [3, -1], 6)


def test_simple_model_forward_and_gradients(style):
    result = style.explain("grad*input", simple_model(), np.array([[1.0, 0.0]], np.float32), ys=np.array([[1.0, 0.0]]))
    # T1 = 1.1 relu(x1 - x2 + 1.5) - 0.5 relu(-x1 + x2 - 1): at [1, 0] only the first unit is active.
    np.testing.assert_allclose(result, [[1.1, 0.0]], atol=1e-6)


@pytest.mark.parametrize("x, expected", [([2.0, 0.0], [1.0, 0.0]), ([3.0, 0.0], [2.0, 0.0])])
def test_intgrad_with_baseline(style, x, expected):
    result = style.explain("intgrad", simpler_model, np.array([x], np.float32), baseline=np.array([1.0, 0.0]))
    np.testing.assert_allclose(result[0], expected, atol=1e-6)


def test_deeplift_with_baseline_equal_to_input_is_zero(style):
    x = np.array([[3.0, 1.0]], np.float32)
    np.testing.assert_allclose(style.explain("deeplift", simpler_model, x, baseline=x[0]), [[0.0, 0.0]], atol=1e-7)


def test_occlusion_step_two_leaves_nan_and_warns(style):
    with pytest.warns(UserWarning, match="uncovered"):
        result = style.explain("occlusion", simpler_model, XS, step=2, progress=False)
    np.testing.assert_array_equal(result, [[0.0, np.nan], [1.0, np.nan]])


def test_occlusion_window_spreads_change_evenly(style):
    # One window over both features: f(3, 1) - f(0, 0) = 1, split in halves.
    result = style.explain("occlusion", simpler_model, XS[1:], window_shape=(2,), progress=False)
    np.testing.assert_allclose(result, [[0.5, 0.5]], atol=1e-6)


@pytest.mark.parametrize("x, expected", [([2.0, -2.0], [0.0, -2.0]), ([4.0, 2.0], [1.0, 1.0])])
def test_shapley_sampling_of_min(style, x, expected):
    # Exact Shapley values with a zero baseline; the sampling error of 2000 orderings is about 0.02.
    result = style.explain(
        "shapley_sampling", min_model, np.array([x], np.float32), samples=2000, seed=1, progress=False
    )
    np.testing.assert_allclose(result[0], expected, atol=0.1)


def test_shapley_sampling_is_reproducible_with_seed(style):
    xs = np.array([[4.0, 2.0, -1.0, 3.0]], np.float32)
    first = style.explain("shapley_sampling", min_model, xs, samples=3, seed=7, progress=False)
    again = style.explain("shapley_sampling", min_model, xs, samples=3, seed=7, progress=False)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first.sum(), -1.0, atol=1e-6)  # efficiency: sums to f(x) - f(0)


def test_shapley_sampling_dims_groups_trailing_dimension(style):
    xs = np.array([[[-1.0, 4.0], [-2.0, 1.0]]], np.float32)  # shape (1, 2, 2)
    model = lambda x: tf_sum(x)  # noqa: E731
    result = style.explain("shapley_sampling", model, xs, samples=10, sampling_dims=[1], seed=0, progress=False)
    assert result.shape == (1, 2)
    np.testing.assert_allclose(result, [[3.0, -1.0]], atol=1e-5)  # the sum of each row is its exact value


def test_shapley_sampling_dims_groups_leading_dimension(style):
    xs = np.array([[[-1.0, 4.0], [-2.0, 1.0]]], np.float32)
    result = style.explain("shapley_sampling", tf_sum, xs, samples=10, sampling_dims=[2], seed=0, progress=False)
    np.testing.assert_allclose(result, [[-3.0, 5.0]], atol=1e-5)  # column sums: the defect of the original grouped rows


def tf_sum(x):
    import tensorflow as tf

    return tf.reshape(tf.reduce_sum(x, axis=[1, 2]), [-1, 1])


@pytest.mark.parametrize(
    "method, expected",
    [("saliency", ([[0, 0]], [[2, 2]])), ("grad*input", ([[0, 0]], [[6, 2]])), ("intgrad", ([[0, 0]], [[6, 2]])),
     ("elrp", ([[0, 0]], [[6, 2]])), ("deeplift", ([[0, 0]], [[6, 2]]))],
)
def test_two_inputs(style, method, expected):
    xs = [np.array([[-1.0, -1.0]], np.float32), np.array([[3.0, 1.0]], np.float32)]
    result = style.explain(method, two_input_model, xs)
    assert isinstance(result, list) and len(result) == 2
    np.testing.assert_allclose(result[0], expected[0], atol=1e-3)
    np.testing.assert_allclose(result[1], expected[1], atol=1e-3)


def test_shapley_with_two_inputs_is_exact_for_additive_model(style):
    xs = [np.array([[1.0, -2.0]], np.float32), np.array([[3.0, 0.5]], np.float32)]
    result = style.explain("shapley_sampling", two_input_model, xs, samples=3, seed=0, progress=False)
    np.testing.assert_allclose(result[0], [[3.0, 0.0]], atol=1e-5)
    np.testing.assert_allclose(result[1], [[6.0, 1.0]], atol=1e-5)
