"""Metrics in TF1 session-style code: the model's ops live in the user's graph."""
import numpy as np
import pytest
import tensorflow as tf

from deepexplain import DeepExplain, metrics

RNG = np.random.default_rng(11)
W1, B1 = RNG.normal(0, 0.7, (5, 7)).astype(np.float32), RNG.normal(0, 0.2, 7).astype(np.float32)
W2, B2 = RNG.normal(0, 0.7, (7, 2)).astype(np.float32), RNG.normal(0, 0.2, 2).astype(np.float32)


def network(x):
    return tf.matmul(tf.nn.relu(tf.matmul(x, W1) + B1), W2) + B2


def numpy_network(x):
    return np.maximum(x @ W1 + B1, 0) @ W2 + B2


@pytest.mark.session
def test_metrics_in_a_session_graph():
    xs = RNG.normal(size=(9, 5)).astype(np.float32)
    targets = np.arange(9) % 2
    ys = np.eye(2, dtype=np.float32)[targets]
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        with DeepExplain(session=sess) as de:
            X = tf.compat.v1.placeholder(tf.float32, (None, 5))
            T = network(X)
            deeplift = de.explain("deeplift", T, X, xs, ys=ys)
            saliency = de.explain("saliency", T, X, xs, ys=ys)
        scores = metrics.TargetScores(network, session=sess, batch_size=4)
        np.testing.assert_allclose(scores(xs, targets), numpy_network(xs)[np.arange(9), targets], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(metrics.completeness(scores, xs, deeplift, targets), 0, atol=1e-4)
        assert np.mean(np.abs(metrics.completeness(scores, xs, saliency, targets))) > 0.05
        deletion = metrics.deletion(scores, xs, deeplift, targets, steps=5)
        ops = len(graph.get_operations())
        metrics.insertion(scores, xs, deeplift, targets, steps=5)
        assert len(graph.get_operations()) == ops  # compiled once, reused
    ranks = np.argsort(np.argsort(-deeplift, axis=1, kind="stable"), axis=1)
    first = np.where(ranks < 1, 0.0, xs)  # one feature of five removed: the 1st of 5 deletion steps
    expected = numpy_network(first)[np.arange(9), targets]
    np.testing.assert_allclose(deletion["curves"][:, 1], expected, rtol=1e-5, atol=1e-5)
