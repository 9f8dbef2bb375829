"""The causal target Δ and the batched masked predictions it is computed from."""
import keras
import numpy as np
import pytest
from cxplain_data import oracle_data
from sklearn.linear_model import LogisticRegression

from cxplain import CXPlain, MLPModelBuilder, WordDropMasking, ZeroMasking
from cxplain.causal_objective import PerSampleLoss, causal_weights, label_matrix
from cxplain.uncertainty import training_sets


def _explainer(model, masking=None, loss="categorical_crossentropy", **kwargs):
    return CXPlain(model, MLPModelBuilder(), masking or ZeroMasking(), loss, progress=False, **kwargs)


def _weights(explainer, X, y):
    predictions, masked = explainer.masked_predictions(X)
    labels = label_matrix(y, predictions.shape[1])
    return causal_weights(PerSampleLoss(explainer.loss, predictions.shape[1]), labels, predictions, masked)


def test_oracle_feature_gets_the_largest_causal_effect(tabular):
    X, y, model = tabular
    weights = _weights(_explainer(model), X, y)
    assert weights.shape == (len(X), 6)
    assert np.argmax(weights.sum(axis=0)) == 2
    assert np.all(weights > 0) and np.allclose(weights.sum(axis=1), 1, atol=1e-5)


def test_binary_labels_score_their_own_class(tabular):
    # 1-D binary labels are one-hot encoded, so removing the informative feature raises the loss.
    X, y, model = tabular
    weights = _weights(_explainer(model), X, y)
    assert np.mean(np.argmax(weights, axis=1) == 2) > 0.9


def test_duplicated_features_get_equal_causal_effect():
    rng = np.random.default_rng(1)
    a = rng.normal(size=1024).astype(np.float32)
    X = np.stack([a, a, rng.normal(size=1024).astype(np.float32)], axis=1)
    y = (a > 0).astype(int)
    weights = _weights(_explainer(LogisticRegression().fit(X, y)), X, y)
    assert np.allclose(weights[:, 0], weights[:, 1], atol=0.1)
    assert weights[:, :2].sum(axis=1).mean() > 0.9


def _small_cnn():
    return keras.Sequential([keras.Input((6, 5, 2)), keras.layers.Conv2D(4, 3, activation="tanh"),
                             keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])


def test_batched_masked_predictions_equal_one_block_at_a_time():
    X = np.random.default_rng(2).normal(size=(7, 6, 5, 2)).astype(np.float32)
    model = _small_cnn()
    explainer = _explainer(model, downsample_factors=(4, 2))
    predictions, masked = explainer.masked_predictions(X)
    ids = explainer._removal(X.shape[1:])[1]
    assert masked.shape == (7, 2 * 3, 3)
    for block in range(6):
        reduced = X.copy()
        reduced[:, ids == block, :] = 0  # the whole pixel, every channel
        np.testing.assert_allclose(masked[:, block], model.predict(reduced, verbose=0), atol=1e-5)
    np.testing.assert_allclose(predictions, model.predict(X, verbose=0), atol=1e-5)


def test_batched_masked_predictions_of_a_callable_equal_one_feature_at_a_time():
    X = np.random.default_rng(3).normal(size=(5, 8)).astype(np.float32)
    weights = np.arange(8, dtype=np.float32)
    model = lambda rows: rows @ weights  # noqa: E731 (a plain callable with 1-D output)
    predictions, masked = _explainer(model, loss="mean_squared_error").masked_predictions(X)
    for i in range(8):
        reduced = X.copy()
        reduced[:, i] = 0
        np.testing.assert_allclose(masked[:, i, 0], model(reduced), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(predictions[:, 0], model(X), rtol=1e-5)


def test_word_drop_deletes_one_token_and_pads_the_end():
    tokens = np.array([[5, 6, 7, 0], [8, 9, 0, 0]])
    seen = []

    def model(batch):
        seen.append(np.array(batch))
        return np.zeros((len(batch), 1))

    _explainer(model, WordDropMasking(), loss="mean_squared_error").masked_predictions(tokens)
    reduced = seen[1].reshape(2, 4, 4)
    for i, row in enumerate(tokens):
        for j in range(4):
            np.testing.assert_array_equal(reduced[i, j], np.append(np.delete(row, j), 0))


def test_a_loss_that_averages_over_samples_is_refused(tabular):
    X, y, model = tabular
    with pytest.raises(ValueError, match="one loss value per sample"):
        _weights(_explainer(model, loss=keras.losses.CategoricalCrossentropy()), X[:20], y[:20])


def test_bootstrap_resamples_differ_and_exclude_the_validation_split():
    validation, train_sets = training_sets(200, 3, 0.1, np.random.default_rng(0))
    assert len(validation) == 20
    for train in train_sets:
        assert len(train) == 180 and len(np.unique(train)) < 180  # drawn with replacement
        assert not set(train) & set(validation)
    assert not np.array_equal(np.sort(train_sets[0]), np.sort(train_sets[1]))
    single_validation, (single,) = training_sets(200, 1, 0.1, np.random.default_rng(0))
    assert sorted(single) == sorted(set(range(200)) - set(single_validation))


def test_labels_must_match_the_outputs():
    with pytest.raises(ValueError, match="class indices"):
        label_matrix(np.array([0, 3]), 2)
    with pytest.raises(ValueError, match=r"y: expected shape"):
        label_matrix(np.zeros((2, 3)), 2)
    np.testing.assert_array_equal(label_matrix(np.array([1, 0]), 2), [[0, 1], [1, 0]])


def test_oracle_data_is_what_the_tests_assume():
    X, y = oracle_data(n=10)
    assert X.shape == (10, 6) and set(y) <= {0, 1}


def test_masked_predictions_do_not_depend_on_the_chunk_size(monkeypatch):
    import cxplain.masked_predictions

    X = np.random.default_rng(4).normal(size=(5, 6, 5, 2)).astype(np.float32)
    model = _small_cnn()
    whole = _explainer(model, downsample_factors=(4, 2)).masked_predictions(X)
    monkeypatch.setattr(cxplain.masked_predictions, "default_batch_size", lambda row_bytes: 6)  # 6 copies per call
    chunked = _explainer(model, downsample_factors=(4, 2)).masked_predictions(X)
    for a, b in zip(chunked, whole):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
