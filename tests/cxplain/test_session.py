"""CXPlain in both styles: eager Keras 3, and tf_keras in a ``tf.compat.v1`` session graph
(also run under ``--tf1 disable_v2_behavior`` and ``--tf1 disable_eager_execution``).

Oracles: the explanation model's forward pass recomputed in NumPy from its weights
(hand-built weights loaded from a directory, or the weights a fit produced), masked
predictions recomputed one removal at a time, and the attribution properties
(distributions over positions, uniform inside a block)."""
import contextlib
import hashlib
import json

import h5py
import numpy as np
import pytest
import tensorflow as tf
from cxplain_data import oracle_data

from cxplain import CXPlain, MLPModelBuilder, RNNModelBuilder, UNetModelBuilder, WordDropMasking, ZeroMasking


@pytest.fixture(params=["eager", pytest.param("session", marks=pytest.mark.session)])
def style(request):
    """A context manager entering the style: nothing for eager code; a fresh graph and its
    session (the default session) for session code."""
    if request.param == "eager" and not tf.executing_eagerly():
        pytest.skip("eager style needs eager execution")

    @contextlib.contextmanager
    def enter():
        if request.param == "eager":
            yield None
            return
        graph = tf.Graph()
        with graph.as_default(), tf.compat.v1.Session(graph=graph).as_default() as session:
            yield session

    return enter


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _mlp_forward(weights, X):
    """Flatten → Dense → relu → Dense → softmax, as MLPModelBuilder(num_layers=1) builds it."""
    w1, b1, w2, b2 = weights
    return _softmax(np.maximum(X.reshape(len(X), -1) @ w1 + b1, 0) @ w2 + b2)


def _linear_black_box(X):
    """A fixed two-class model of feature 2 (a NumPy function, no TensorFlow)."""
    p = 1 / (1 + np.exp(-3 * X[:, 2]))
    return np.stack([1 - p, p], axis=1)


def _write_explainer(directory, weights, sample_shape):
    """A saved CXPlain directory with hand-built weights, in the documented format."""
    directory.mkdir()
    with h5py.File(directory / "weights.h5", "w") as file:
        for j, array in enumerate(weights):
            file.create_dataset(f"model_0/{j}", data=array)
    config = {"format": "cxplain", "version": 1,
              "model_builder": {"class": "MLPModelBuilder",
                                "params": {"num_layers": 1, "num_units": weights[0].shape[1]}},
              "masking_operation": {"class": "ZeroMasking"}, "loss": "categorical_crossentropy", "num_models": 1,
              "downsample_factors": [1], "flatten_for_explained_model": False, "random_state": 0,
              "sample_shape": list(sample_shape), "input_dtype": "float32", "validation_losses": [0.5],
              "weights_sha256": hashlib.sha256((directory / "weights.h5").read_bytes()).hexdigest()}
    (directory / "cxplain.json").write_text(json.dumps(config))


def test_hand_built_weights_explain_as_numpy_computes(style, tmp_path):
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32),
               rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=5).astype(np.float32)]
    _write_explainer(tmp_path / "hand", weights, (5,))
    X = rng.normal(size=(9, 5)).astype(np.float32)
    with style():
        explainer = CXPlain.load(tmp_path / "hand")
        attributions = explainer.explain(X).attributions
        empty = explainer.explain(np.zeros((0, 5), np.float32)).attributions
    np.testing.assert_allclose(attributions, _mlp_forward(weights, X), rtol=1e-5, atol=1e-7)
    assert empty.shape == (0, 5)


def test_fit_then_explain_uses_the_fitted_weights(style):
    X, y = oracle_data(n=200)
    with style():
        explainer = CXPlain(_linear_black_box, MLPModelBuilder(num_layers=1, num_units=4, num_epochs=2, batch_size=32),
                            ZeroMasking(), "categorical_crossentropy", random_state=0, progress=False).fit(X, y)
        attributions = explainer.explain(X[:20]).attributions
        weights = explainer.models_[0].get_weights()
        predictions, masked = explainer.masked_predictions(X[:20])
    np.testing.assert_allclose(attributions, _mlp_forward(weights, X[:20]), rtol=1e-5, atol=1e-7)
    reduced = X[:20].copy()
    reduced[:, 2] = 0
    np.testing.assert_allclose(masked[:, 2], _linear_black_box(reduced), rtol=1e-6)
    np.testing.assert_allclose(predictions, _linear_black_box(X[:20]), rtol=1e-6)


def test_ensemble_of_unets_on_blocks(style):
    rng = np.random.default_rng(1)
    X = rng.random((40, 7, 6, 2)).astype(np.float32)
    model = lambda batch: _linear_black_box(np.asarray(batch).reshape(len(batch), -1))  # noqa: E731
    with style():
        explainer = CXPlain(model, UNetModelBuilder(num_layers=1, num_units=2, num_epochs=1), ZeroMasking(),
                            "categorical_crossentropy", num_models=2, downsample_factors=(3, 2), random_state=0,
                            progress=False).fit(X, (X[:, 0, 1, 0] > 0.5).astype(int))
        median, intervals = explainer.explain(X[:5])
        members = explainer._member_attributions(X[:5])
    assert median.shape == (5, 7, 6, 1) and intervals.shape == (5, 7, 6, 1, 2)
    assert np.all(intervals[..., 0] <= median + 1e-7) and np.all(median <= intervals[..., 1] + 1e-7)
    np.testing.assert_allclose(median, members.mean(axis=0), rtol=1e-6)  # the median of two
    np.testing.assert_allclose(members.sum(axis=(2, 3, 4)), 1, atol=1e-5)
    np.testing.assert_allclose(members[:, :, 0:3, 0:2], members[:, :, :1, :1].repeat(3, 2).repeat(2, 3), rtol=1e-5)


def test_text_with_an_embedding_and_word_drop(style):
    rng = np.random.default_rng(2)
    tokens = np.zeros((60, 8), dtype=np.int32)
    for row, length in zip(tokens, rng.integers(3, 9, size=60)):
        row[:length] = rng.integers(1, 12, size=length)
    labels = (tokens == 7).any(axis=1).astype(int)

    def model(batch):
        p = 0.05 + 0.9 * (np.asarray(batch) == 7).any(axis=1)
        return np.stack([1 - p, p], axis=1)

    with style():
        builder = RNNModelBuilder(with_embedding=True, vocabulary_size=12, num_units=4, num_epochs=1)
        explainer = CXPlain(model, builder, WordDropMasking(), "categorical_crossentropy", progress=False)
        predictions, masked = explainer.masked_predictions(tokens[:4])
        attributions = explainer.fit(tokens, labels).explain(tokens[:4]).attributions
    assert attributions.shape == (4, 8)
    np.testing.assert_allclose(attributions.sum(axis=1), 1, atol=1e-5)
    for j in range(8):  # removing token j shifts the rest left
        np.testing.assert_allclose(masked[:, j], model(np.concatenate([np.delete(tokens[:4], j, 1),
                                                                       np.zeros((4, 1), np.int32)], 1)))


@pytest.mark.session
def test_a_tf_keras_model_in_a_session_is_checked_and_explained():
    import tf_keras

    X, y = oracle_data(n=100)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph).as_default():
        model = tf_keras.Sequential([tf_keras.layers.Dense(2, activation="softmax", input_shape=(6,))])
        model.set_weights([np.eye(6, 2, k=-2, dtype=np.float32) * 3, np.zeros(2, np.float32)])
        explainer = CXPlain(model, MLPModelBuilder(activation="elu", num_epochs=1), ZeroMasking(),
                            tf_keras.losses.categorical_crossentropy, progress=False)
        with pytest.raises(ValueError, match=r"X: the explained model takes samples of shape \(6,\)"):
            explainer.fit(X[:, :5], y)
        predictions, masked = explainer.masked_predictions(X[:10])
        empty = explainer.masked_predictions(X[:0])
        cube = tf_keras.Sequential([tf_keras.layers.Reshape((6, 1), input_shape=(6,)), tf_keras.layers.Dense(2)])
        with pytest.raises(ValueError, match=r"explained_model: expected outputs of shape .*\(rank 3\)"):
            CXPlain(cube, MLPModelBuilder(), ZeroMasking(), "mse", progress=False).fit(X, y)
    logits = X[:10, 2:4] * 3
    np.testing.assert_allclose(predictions, np.exp(logits) / np.exp(logits).sum(1, keepdims=True), rtol=1e-5)
    assert masked.shape == (10, 6, 2) and empty[0].shape == (0, 2) and empty[1].shape == (0, 6, 2)
    np.testing.assert_allclose(masked[:, 2, 0], 1 / (1 + np.exp(logits[:, 1])), rtol=1e-5)


@pytest.mark.session
def test_save_and_load_inside_a_session(tmp_path):
    X, y = oracle_data(n=120)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph).as_default():
        explainer = CXPlain(_linear_black_box, MLPModelBuilder(num_units=4, num_epochs=1), ZeroMasking(),
                            "categorical_crossentropy", num_models=2, random_state=3, progress=False).fit(X, y)
        explainer.save(tmp_path / "saved")
        median = explainer.explain(X[:10])[0]
        restored = CXPlain.load(tmp_path / "saved").explain(X[:10])[0]
    np.testing.assert_allclose(restored, median, rtol=1e-6, atol=1e-8)
