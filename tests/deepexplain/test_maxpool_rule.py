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


def rectified_pool_net():
    """1×1 conv to 2 channels → ReLU (bias −0.5: many windows all zero) → max-pool 2×2 VALID
    on 5×5 (the last row and column in no window) → dense 2, fixed weights."""
    k = np.array([[[[1.0, -1.0]]]], np.float32)
    w = np.linspace(-1.0, 1.2, 16, dtype=np.float32).reshape(8, 2)

    def model(x):
        import tensorflow as tf

        h = tf.nn.relu(tf.nn.conv2d(x, k, 1, "VALID") - 0.5)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        return tf.matmul(tf.reshape(h, [-1, 8]), w)

    return model


@pytest.mark.parametrize("method", ["deeplift", "deepshap"])
def test_tiled_pooling_equals_the_general_rule(style, method, monkeypatch):
    # Windows that tile the input take the elementwise path; forcing the MaxPoolGrad routing
    # must give the same attributions, ties of all-zero windows after the ReLU included (other
    # ties differ: MaxPoolGrad gives all to one winner, the elementwise path shares evenly).
    from deepexplain.methods import deeplift

    rng = np.random.default_rng(4)
    xs = rng.normal(size=(6, 5, 5, 1)).astype(np.float32)
    xs[0] = 0.0  # every window of both channels all zero
    xs[1, :2, :2] = 0.0
    references = np.stack([np.zeros((5, 5, 1), np.float32), rng.normal(size=(5, 5, 1))]).astype(np.float32)
    params = {"baseline": references[1]} if method == "deeplift" else {"background": references}
    windows, seen = deeplift._tiled_windows, []
    monkeypatch.setattr(deeplift, "_tiled_windows", lambda op: seen.append(windows(op)) or seen[-1])
    tiled = style.explain(method, rectified_pool_net(), xs, **params)
    assert set(seen) == {(2, 2, 1)}  # the elementwise path was taken
    monkeypatch.setattr(deeplift, "_tiled_windows", lambda op: None)
    general = style.explain(method, rectified_pool_net(), xs, **params)
    np.testing.assert_allclose(tiled, general, rtol=1e-6, atol=1e-6)
    assert np.abs(tiled).max() > 0.1
    assert np.all(tiled[:, 4] == 0) and np.all(tiled[:, :, 4] == 0)


@pytest.mark.parametrize("pool", ["max_pool", "reduce_max"])
def test_tied_winners_share_evenly(style, pool):
    # x = (1, 0), reference (2, 2): Δy = 1 − 2 = −1, all of it the reference's share, split
    # between its two tied winners: −1/2 each (multipliers 1/2 and 1/4). Max-pooling over
    # tiling windows and reduce_max agree.
    import tensorflow as tf

    if pool == "max_pool":
        def model(x):
            return tf.nn.max_pool1d(x[..., None], 2, 2, "VALID")[:, :, 0]
    else:
        def model(x):
            return tf.reduce_max(x, axis=1, keepdims=True)

    result = style.explain(
        "deeplift", model, np.array([[1.0, 0.0]], np.float32), baseline=np.array([2.0, 2.0], np.float32)
    )
    np.testing.assert_allclose(result, [[-0.5, -0.5]], atol=1e-6)


@pytest.mark.parametrize("size, window, stride, padding, expected", [
    (4, 2, 2, "SAME", (2, 2, 1)),
    (5, 2, 2, "VALID", (2, 2, 1)),
    (5, 2, 2, "SAME", None),  # the padded last window: MaxPoolGrad routing
    (5, 3, 2, "SAME", None),  # overlapping windows
])
def test_which_pooling_takes_the_elementwise_path(size, window, stride, padding, expected):
    import tensorflow as tf

    from deepexplain.methods.deeplift import _tiled_windows

    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, (None, size, size, 1))
        assert _tiled_windows(tf.nn.max_pool2d(x, window, stride, padding).op) == expected
