"""A fitted CXPlain: recovered features, distributions, intervals, both styles."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from cxplain_data import oracle_data
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from cxplain import CXPlain, MLPModelBuilder, UNetModelBuilder, ZeroMasking


def test_true_feature_is_ranked_first_on_held_out_samples(tabular):
    X, y, model = tabular
    explainer = CXPlain(model, MLPModelBuilder(num_units=32, num_epochs=30, batch_size=32), ZeroMasking(),
                        keras.losses.categorical_crossentropy, random_state=0, progress=False).fit(X[:400], y[:400])
    attributions = explainer.explain(X[400:]).attributions
    assert attributions.shape == (200, 6)
    assert np.mean(np.argmax(attributions, axis=1) == 2) >= 0.9


def test_duplicated_features_get_equal_attributions():
    rng = np.random.default_rng(1)
    a = rng.normal(size=600).astype(np.float32)
    X = np.concatenate([a[:, None], a[:, None], rng.normal(size=(600, 3)).astype(np.float32)], axis=1)
    y = (a > 0).astype(int)
    explainer = CXPlain(LogisticRegression().fit(X, y), MLPModelBuilder(num_units=32, num_epochs=30, batch_size=32),
                        ZeroMasking(), "categorical_crossentropy", random_state=0, progress=False).fit(X[:400], y[:400])
    attributions = explainer.explain(X[400:]).attributions
    assert np.mean(np.abs(attributions[:, 0] - attributions[:, 1])) <= 0.1
    assert np.mean(attributions[:, :2].sum(axis=1)) > 0.6


def test_attributions_are_distributions_and_samples_differ(ensemble, tabular):
    X = tabular[0][400:]
    members = ensemble._member_attributions(X)
    assert np.all(members >= 0)
    np.testing.assert_allclose(members.sum(axis=2), 1, atol=1e-5)
    assert np.ptp(members[0], axis=0).max() > 0.05


def test_intervals_contain_the_median(ensemble, tabular):
    X = tabular[0][400:]
    median, intervals = ensemble.explain(X, confidence_level=0.8)
    assert median.shape == (200, 6) and intervals.shape == (200, 6, 2)
    assert np.all(intervals[..., 0] <= median) and np.all(median <= intervals[..., 1])
    assert np.all(intervals >= 0)
    assert np.any(intervals[..., 1] > intervals[..., 0])  # the members differ
    np.testing.assert_allclose(ensemble.predict(X), median, rtol=1e-6, atol=1e-9)
    wider = ensemble.explain(X, confidence_level=0.99)[1]
    assert np.all(wider[..., 1] - wider[..., 0] >= intervals[..., 1] - intervals[..., 0] - 1e-7)


def test_score_is_the_divergence_from_the_causal_target(ensemble, tabular):
    X, y, model = tabular
    X, y = X[400:], y[400:]
    scores = ensemble.score(X, y)

    def crossentropy(rows):  # Keras's categorical crossentropy of the true class, in NumPy
        return -np.log(np.clip(model.predict_proba(rows)[np.arange(len(y)), y], 1e-7, 1 - 1e-7))

    removed = np.stack([crossentropy(np.where(np.arange(6) == i, 0, X)) for i in range(6)], axis=1)
    delta = removed - crossentropy(X)[:, None]
    delta = np.maximum(delta, 1e-7)
    target = delta / delta.sum(axis=1, keepdims=True)
    members = np.clip(ensemble._block_attributions(X), 1e-7, 1)
    expected = [np.mean(np.sum(target * np.log(np.clip(target, 1e-7, 1) / member), axis=1)) for member in members]
    assert isinstance(scores, float)  # the mean over the ensemble, as for one model
    np.testing.assert_allclose(scores, np.mean(expected), rtol=1e-3, atol=1e-5)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    X = (data.images[:300] / 16.0).astype(np.float32)[..., None]
    X = np.concatenate([X, 1 - X], axis=-1)  # two channels: a removed pixel loses both
    cnn = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
                            keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    cnn.compile("adam", "sparse_categorical_crossentropy")
    cnn.fit(X, data.target[:300], epochs=3, verbose=0)
    return X, data.target[:300], cnn


def test_upsampled_image_attributions_sum_to_one(digits):
    X, y, cnn = digits
    explainer = CXPlain(cnn, UNetModelBuilder(num_layers=1, num_epochs=2), ZeroMasking(), "categorical_crossentropy",
                        downsample_factors=(3, 3), progress=False).fit(X, y)
    attributions = explainer.explain(X[:20]).attributions
    assert attributions.shape == (20, 8, 8, 1)
    assert np.all(attributions >= 0)
    np.testing.assert_allclose(attributions.sum(axis=(1, 2, 3)), 1, atol=1e-5)
    # uniform inside each 3x3 block (edge blocks are 3x2, 2x3 or 2x2 pixels)
    np.testing.assert_allclose(attributions[:, 0:3, 0:3], attributions[:, :1, :1].repeat(3, 1).repeat(3, 2), rtol=1e-6)


@pytest.mark.session
def test_session_style_with_a_tf_keras_model():
    import tf_keras
    from tf_keras.api._v1.keras import backend as K

    X, y = oracle_data(n=300)
    with tf.Graph().as_default():
        session = K.get_session()
        model = tf_keras.Sequential([tf_keras.layers.Dense(8, activation="relu", input_shape=(6,)),
                                     tf_keras.layers.Dense(2, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(X, y, epochs=2, verbose=0)
        explainer = CXPlain(model, MLPModelBuilder(num_units=8, num_epochs=3), ZeroMasking(),
                            tf_keras.losses.categorical_crossentropy, num_models=2, progress=False).fit(X, y)
        predictions, masked = explainer.masked_predictions(X[:4])
        reduced = X[:4].copy()
        reduced[:, 3] = 0
        np.testing.assert_allclose(masked[:, 3], model.predict(reduced), atol=1e-5)
        np.testing.assert_allclose(predictions, model.predict(X[:4]), atol=1e-5)
        median, intervals = explainer.explain(X[:10])
        operations = len(session.graph.get_operations())
        again = explainer.explain(X[:10])[0]
        assert len(session.graph.get_operations()) == operations  # compiled once
        np.testing.assert_allclose(again, median, rtol=1e-6, atol=1e-9)
    assert median.shape == (10, 6) and intervals.shape == (10, 6, 2)
    assert np.all(intervals[..., 0] <= median) and np.all(median <= intervals[..., 1])


def test_one_progress_bar_counts_members_times_epochs(tabular, monkeypatch):
    import cxplain.explainer

    bars = []

    class Recorder:
        def __init__(self, total, **kwargs):
            self.total, self.n, self.closed = total, 0, False
            bars.append(self)

        def update(self, k):
            self.n += k

        def set_postfix(self, **kwargs):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setattr(cxplain.explainer, "tqdm", Recorder)
    X, y, model = tabular
    builder = MLPModelBuilder(num_units=4, num_epochs=30, early_stopping_patience=1, batch_size=64)
    explainer = CXPlain(model, builder, ZeroMasking(), "categorical_crossentropy", num_models=3, random_state=0)
    explainer.fit(X[:200], y[:200])
    assert len(bars) == 1 and bars[0].total == 3 * 30
    assert bars[0].n == 90 and bars[0].closed  # epochs skipped by early stopping are counted too


def test_batched_equals_one_sample_at_a_time(ensemble, tabular, monkeypatch):
    import cxplain.explainer

    X = tabular[0][400:410]
    whole = ensemble._member_attributions(X)
    single = np.concatenate([ensemble._member_attributions(X[i:i + 1]) for i in range(10)], axis=1)
    np.testing.assert_allclose(single, whole, rtol=1e-5, atol=1e-7)
    monkeypatch.setattr(cxplain.explainer, "default_batch_size", lambda row_bytes: 3)
    np.testing.assert_allclose(ensemble._member_attributions(X), whole, rtol=1e-5, atol=1e-7)
