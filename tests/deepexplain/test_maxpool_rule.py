"""The DeepLIFT rule for max-pooling and Max/Min: completeness on networks with them."""
import numpy as np
import pytest

from conv_networks import max_cnn, max_mlp, model_outputs


def assert_complete(attributions, differences):
    """Σ attributions = f(x) − f(reference), to 1e-4 relative."""
    sums = attributions.reshape(len(attributions), -1).sum(axis=1)
    np.testing.assert_allclose(sums, differences, rtol=1e-4, atol=1e-4 * np.abs(differences).max())


@pytest.mark.parametrize("unit", [0, 1, 2])
def test_deeplift_complete_on_cnn_with_max_pooling(style, unit):
    model, rng = max_cnn(), np.random.default_rng(1)
    xs, baseline = rng.normal(size=(5, 8, 8, 2)).astype(np.float32), rng.normal(size=(8, 8, 2)).astype(np.float32)
    ys = np.eye(3, dtype=np.float32)[[unit] * 5]
    result = style.explain("deeplift", model, xs, ys=ys, baseline=baseline)
    outputs = model_outputs(style, model, np.concatenate([xs, baseline[None]]))[:, unit]
    assert_complete(result, outputs[:-1] - outputs[-1])


def test_deeplift_complete_on_mlp_with_max_and_min(style):
    model, rng = max_mlp(), np.random.default_rng(2)
    xs, baseline = rng.normal(size=(20, 6)).astype(np.float32), rng.normal(size=6).astype(np.float32)
    result = style.explain("deeplift", model, xs, baseline=baseline)
    outputs = model_outputs(style, model, np.concatenate([xs, baseline[None]])).sum(axis=1)
    assert_complete(result, outputs[:-1] - outputs[-1])


def test_max_rule_is_not_the_plain_gradient(style):
    # One max over two inputs, x = (3, 1), reference (0, 2): Δy = 3 − 2 = 1. The plain
    # gradient gives (1, 0) · Δx = (3, 0); the max rule routes +1 to x1 (the input's winner,
    # Δx1 = 3: multiplier 1/3) and y − max(y, y_r) = 0 to x2: attributions (1, 0).
    import tensorflow as tf

    result = style.explain(
        "deeplift", lambda x: tf.reduce_max(x, axis=1, keepdims=True), np.array([[3.0, 1.0]], np.float32),
        baseline=np.array([0.0, 2.0], np.float32),
    )
    np.testing.assert_allclose(result, [[1.0, 0.0]], atol=1e-6)


def test_reference_wins_the_window(style):
    # x = (1, 0), reference (0, 4): Δy = 1 − 4 = −3. x's winner x1 gets max(1, 4) − 4 = 0;
    # the reference's winner x2 (Δx2 = −4) gets 1 − 4 = −3.
    import tensorflow as tf

    result = style.explain(
        "deeplift", lambda x: tf.nn.max_pool1d(x[..., None], 2, 2, "VALID")[:, :, 0],
        np.array([[1.0, 0.0]], np.float32), baseline=np.array([0.0, 4.0], np.float32),
    )
    np.testing.assert_allclose(result, [[0.0, -3.0]], atol=1e-6)


@pytest.mark.session
def test_session_and_eager_agree():
    from conv_networks import eager_only
    from networks import EagerStyle, GraphStyle

    eager_only()
    rng = np.random.default_rng(3)
    xs, baseline = rng.normal(size=(4, 8, 8, 2)).astype(np.float32), rng.normal(size=(8, 8, 2)).astype(np.float32)
    graph = GraphStyle().explain("deeplift", max_cnn(), xs, baseline=baseline)
    eager = EagerStyle().explain("deeplift", max_cnn(), xs, baseline=baseline)
    np.testing.assert_allclose(graph, eager, rtol=1e-5, atol=1e-5)
