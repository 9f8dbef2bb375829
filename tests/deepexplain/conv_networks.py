"""Hand-built networks with max-pooling, Max/Min reductions, LeakyReLU, batch normalisation
(inference) and depthwise convolutions: functions of TensorFlow ops with fixed NumPy
weights, so that the same weights run in session graphs and in eager code."""
import numpy as np
import tensorflow as tf


def _normal(rng, shape, scale):
    return rng.normal(0, scale, shape).astype(np.float32)


def max_mlp(seed=0, features=6):
    """dense 12 → LeakyReLU → max over groups of 3 and min over pairs → dense 3."""
    rng = np.random.default_rng(seed)
    w1, b1 = _normal(rng, (features, 12), 0.7), _normal(rng, 12, 0.3)
    w2, b2 = _normal(rng, (10, 3), 0.6), _normal(rng, 3, 0.2)

    def model(x):
        h = tf.nn.leaky_relu(tf.matmul(x, w1) + b1, alpha=0.2)
        groups = tf.reduce_max(tf.reshape(h, [-1, 4, 3]), axis=2)
        pairs = tf.reduce_min(tf.reshape(h, [-1, 6, 2]), axis=-1)
        return tf.matmul(tf.concat([groups, pairs], axis=1), w2) + b2

    return model


def max_cnn(seed=0, channels=2):
    """conv 3×3 → batch norm (inference) → LeakyReLU → max-pool 2×2 → depthwise conv 3×3
    → ReLU → overlapping max-pool 3×3 stride 2 → dense 3. Inputs 8×8×channels."""
    rng = np.random.default_rng(seed)
    k1 = _normal(rng, (3, 3, channels, 4), 0.5)
    scale, offset = rng.uniform(0.5, 1.5, 4).astype(np.float32), _normal(rng, 4, 0.2)
    mean, variance = _normal(rng, 4, 0.3), rng.uniform(0.5, 2.0, 4).astype(np.float32)
    k2 = _normal(rng, (3, 3, 4, 2), 0.4)
    w = _normal(rng, (2 * 2 * 8, 3), 0.3)

    def model(x):
        h = tf.nn.conv2d(x, k1, 1, "SAME")
        h, _, _ = tf.compat.v1.nn.fused_batch_norm(h, scale, offset, mean, variance, is_training=False)
        h = tf.nn.leaky_relu(h, alpha=0.1)
        h = tf.nn.max_pool2d(h, 2, 2, "SAME")
        h = tf.nn.relu(tf.nn.depthwise_conv2d(h, k2, [1, 1, 1, 1], "SAME") + 0.05)
        h = tf.nn.max_pool2d(h, 3, 2, "SAME")
        return tf.matmul(tf.reshape(h, [-1, 2 * 2 * 8]), w)

    return model


def eager_only():
    """Skip a test comparing with eager execution in a process that turned it off (--tf1)."""
    import pytest

    if not tf.executing_eagerly():
        pytest.skip("compares with eager execution, which this process has turned off")


def model_outputs(style, model, xs):
    """``model(xs)`` evaluated in ``style`` (a graph and session, or eagerly)."""
    if style.name == "eager":
        return model(tf.constant(xs)).numpy()
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        X = tf.compat.v1.placeholder(tf.float32, (None,) + xs.shape[1:])
        return sess.run(model(X), {X: xs})
