"""Expected gradients: equivalence with integrated gradients, seeds, batching, errors."""
import numpy as np
import pytest
from conv_networks import eager_only, max_cnn, max_mlp
from networks import EagerStyle, GraphStyle, simpler_model

from deepexplain.methods import ExpectedGradients

RNG = np.random.default_rng(5)
ROWS = RNG.normal(size=(6, 6)).astype(np.float32)
BACKGROUND = RNG.normal(size=(5, 6)).astype(np.float32)


def test_on_one_row_at_the_grid_equals_intgrad(style, monkeypatch):
    steps = 16
    grid = np.tile((np.arange(steps, dtype=np.float32) + 0.5) / steps, len(ROWS))  # intgrad's midpoint rule
    drawn = iter([grid])
    # All draws on the one background row, t on the midpoint grid of integrated gradients.
    monkeypatch.setattr(
        ExpectedGradients,
        "draws",
        lambda self, generator, size, m: (np.zeros(size, int), next(drawn)[:size]),
    )
    model = max_mlp()
    expected = style.explain("intgrad", model, ROWS, steps=steps, baseline=BACKGROUND[0])
    result = style.explain("expected_gradients", model, ROWS, background=BACKGROUND[:1], samples=steps)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def test_linear_model_is_exact_in_expectation(style):
    # f(x) = w·x: every gradient is w, so φ = w ⊙ mean over draws of (x − r); with one
    # background row that is w ⊙ (x − r) exactly, for any t.
    w = np.array([[1.0], [-2.0], [0.5], [3.0], [0.0], [-1.0]], np.float32)
    import tensorflow as tf

    result = style.explain(
        "expected_gradients", lambda x: tf.matmul(x, w), ROWS, background=BACKGROUND[:1], samples=7, seed=0
    )
    np.testing.assert_allclose(result, w[:, 0] * (ROWS - BACKGROUND[0]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_size", [7, 70])  # runs of one sample's copies; two whole samples per call
def test_seeds_repeat_and_batch_size_does_not_matter(style, batch_size):
    model = max_mlp()
    params = dict(background=BACKGROUND, samples=30, seed=11, local_smoothing=0.1)
    first = style.explain("expected_gradients", model, ROWS, **params)
    chunked = style.explain("expected_gradients", model, ROWS, batch_size=batch_size, **params)
    other = style.explain("expected_gradients", model, ROWS, **dict(params, seed=12))
    np.testing.assert_allclose(chunked, first, rtol=1e-5, atol=1e-6)
    assert not np.allclose(other, first)


def test_a_sample_does_not_depend_on_the_others(style):
    # The draws are shared by the samples of a run, so explaining a row alone gives its
    # attributions from the batch.
    model = max_mlp()
    params = dict(background=BACKGROUND, samples=30, seed=11, local_smoothing=0.1)
    together = style.explain("expected_gradients", model, ROWS, **params)
    alone = np.concatenate([style.explain("expected_gradients", model, ROWS[i:i + 1], **params) for i in (1, 4)])
    np.testing.assert_allclose(alone, together[[1, 4]], rtol=1e-5, atol=1e-6)


def test_approaches_completeness(style):
    # On simpler_model, f(3, 1) − mean f(background) is matched by the sums as samples grow.
    background = np.array([[0.0, 0.0], [2.0, 0.5], [4.0, 2.0]], np.float32)
    xs = np.array([[3.0, 1.0]], np.float32)
    result = style.explain("expected_gradients", simpler_model, xs, background=background, samples=4000, seed=1)
    f = lambda v: np.maximum(np.maximum(v[:, 0] - 1, 0) - np.maximum(v[:, 1], 0), 0)
    np.testing.assert_allclose(result.sum(), f(xs)[0] - f(background).mean(), atol=0.03)


@pytest.mark.session
def test_session_and_eager_agree():
    eager_only()
    model = max_cnn()
    xs, background = RNG.normal(size=(3, 8, 8, 2)).astype(np.float32), RNG.normal(size=(4, 8, 8, 2)).astype(np.float32)
    params = dict(background=background, samples=10, seed=3, local_smoothing=0.05)
    graph = GraphStyle().explain("expected_gradients", model, xs, **params)
    eager = EagerStyle().explain("expected_gradients", model, xs, **params)
    np.testing.assert_allclose(graph, eager, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({}, ValueError, "background: expected an array of reference rows"),
        ({"background": np.zeros((2, 3))}, ValueError, "background: expected at least one row of samples"),
        ({"background": BACKGROUND, "samples": 0}, ValueError, "samples: expected a positive integer"),
        ({"background": BACKGROUND, "seed": "a"}, ValueError, "seed: expected None"),
        (
            {"background": BACKGROUND, "local_smoothing": -1.0},
            ValueError,
            "local_smoothing: expected a finite number >= 0",
        ),
        (
            {"background": BACKGROUND, "local_smoothing": np.inf},
            ValueError,
            "local_smoothing: expected a finite number >= 0",
        ),
    ],
)
def test_errors(params, error, message):
    with pytest.raises(error, match=message):
        EagerStyle().explain("expected_gradients", max_mlp(), ROWS, **params)
