"""Tiny hand-built networks, written once as functions of TensorFlow ops so that
the same weights run in session graphs and in eager code (weights are NumPy
arrays, turned into constants of whichever graph the model is called in)."""
import contextlib

import numpy as np
import tensorflow as tf

from deepexplain import DeepExplain

ACTIVATIONS = {
    "Relu": tf.nn.relu,
    "Elu": tf.nn.elu,
    "Sigmoid": tf.nn.sigmoid,
    "Tanh": tf.nn.tanh,
    "Softplus": tf.nn.softplus,
    "LeakyRelu": lambda x: tf.nn.leaky_relu(x, alpha=0.2),
    "Relu6": tf.nn.relu6,
    "Selu": tf.nn.selu,
    "Softsign": tf.nn.softsign,
}


def simple_model(act=tf.nn.relu):
    """Two dense layers; with ReLU, [1, 0] gives [2.75, 5.5]."""
    w1 = np.array([[1.0, -1.0], [-1.0, 1.0]], np.float32)
    b1 = np.array([1.5, -1.0], np.float32)
    w2 = np.array([[1.1, 1.4], [-0.5, 1.0]], np.float32)
    b2 = np.array([0.0, 2.0], np.float32)
    return lambda x: tf.matmul(act(tf.matmul(x, w1) + b1), w2) + b2


def simpler_model(x):
    """f(x) = relu(relu(x1 - 1) - relu(x2)); f(3, 1) = 1."""
    return tf.nn.relu(tf.nn.relu(x[:, :1] - 1.0) - tf.nn.relu(x[:, 1:]))


def min_model(x):
    return tf.reduce_min(x, axis=1, keepdims=True)


def two_input_model(inputs):
    """relu(3 x1) || relu(2 x2), summed over both units by default."""
    a, b = inputs
    return tf.concat([tf.nn.relu(3.0 * a), tf.nn.relu(2.0 * b)], axis=1)


def random_mlp(seed, sizes=(6, 16, 12, 3), act=tf.nn.relu):
    rng = np.random.default_rng(seed)
    layers = [
        (rng.normal(0, 0.7, (i, o)).astype(np.float32), rng.normal(0, 0.3, o).astype(np.float32))
        for i, o in zip(sizes[:-1], sizes[1:])
    ]

    def model(x):
        for k, (w, b) in enumerate(layers):
            x = tf.matmul(x, w) + b
            if k < len(layers) - 1:
                x = act(x)
        return x

    return model


def random_cnn(seed, act=tf.nn.relu, channels=3):
    rng = np.random.default_rng(seed)
    k1 = rng.normal(0, 0.5, (3, 3, channels, 4)).astype(np.float32)
    k2 = rng.normal(0, 0.3, (3, 3, 4, 5)).astype(np.float32)
    w = rng.normal(0, 0.2, (2 * 2 * 5, 3)).astype(np.float32)

    def model(x):
        h = act(tf.nn.conv2d(x, k1, 1, "SAME") + 0.1)
        h = act(tf.nn.conv2d(h, k2, 2, "SAME") - 0.1)
        h = tf.nn.avg_pool2d(h, 2, 2, "VALID")
        return tf.matmul(tf.reshape(h, [-1, 2 * 2 * 5]), w)

    return model


def evaluate(model, xs):
    """``model(xs)`` as a NumPy array, in eager code or (in a TF1-ported process) a session."""
    if tf.executing_eagerly():
        return model(tf.constant(xs)).numpy()
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        return sess.run(model(tf.constant(xs)))


class GraphStyle:
    """Runs a model-building function inside a fresh session graph and DeepExplain context."""

    name = "graph"

    @contextlib.contextmanager
    def context(self):
        graph = tf.Graph()
        with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
            with DeepExplain(session=sess) as de:
                yield de

    def explain(self, method, model, xs, **kwargs):
        with self.context() as de:
            multiple = isinstance(xs, (list, tuple))
            shapes = [np.shape(x) for x in (xs if multiple else [xs])]
            X = [tf.compat.v1.placeholder(tf.float32, (None,) + s[1:]) for s in shapes]
            T = model(X if multiple else X[0])
            return de.explain(method, T, X if multiple else X[0], xs, **kwargs)


class EagerStyle:
    name = "eager"

    @contextlib.contextmanager
    def context(self):
        with DeepExplain() as de:
            yield de

    def explain(self, method, model, xs, **kwargs):
        with self.context() as de:
            return de.explain(method, model, xs=xs, **kwargs)


def quiet(method, **kwargs):
    """Method parameters with progress bars off for the methods that show one."""
    if method in ("intgrad", "occlusion", "shapley_sampling"):
        kwargs.setdefault("progress", False)
    return kwargs
