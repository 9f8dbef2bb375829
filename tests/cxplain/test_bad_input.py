"""Bad and edge inputs: a ValueError/TypeError naming the parameter before TensorFlow, Keras or
NumPy see it; valid edge cases (empty batches, other dtypes, a classifier's own labels) work."""
import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from cxplain import CXPlain, MLPModelBuilder, RNNModelBuilder, UNetModelBuilder, WordDropMasking, ZeroMasking
from cxplain.causal_objective import PerSampleLoss, causal_weights, label_matrix


def _explainer(model, **kwargs):
    builder = kwargs.pop("builder", MLPModelBuilder(num_units=4, num_epochs=1))
    return CXPlain(model, builder, kwargs.pop("masking", ZeroMasking()), kwargs.pop("loss", "categorical_crossentropy"),
                   progress=False, **kwargs)


def _linear(X):
    """A fixed two-class model of the first feature."""
    p = 1 / (1 + np.exp(-X[:, 0]))
    return np.stack([1 - p, p], axis=1)


# -- builders: checked when constructed -------------------------------------------------------

@pytest.mark.parametrize("builder, kwargs, message", [
    (MLPModelBuilder, {"num_units": 0}, "num_units: expected a positive integer"),
    (MLPModelBuilder, {"num_units": "8"}, "num_units: expected a positive integer"),
    (MLPModelBuilder, {"num_units": True}, "num_units: expected a positive integer"),
    (MLPModelBuilder, {"num_layers": -1}, "num_layers: expected an integer >= 0"),
    (MLPModelBuilder, {"num_layers": 1.0}, "num_layers: expected an integer >= 0"),
    (MLPModelBuilder, {"activation": "no_such_activation"}, "activation: .*unknown name 'no_such_activation'"),
    (MLPModelBuilder, {"activation": 3}, "activation: expected a Keras activation name"),
    (MLPModelBuilder, {"p_dropout": 1.0}, r"p_dropout: expected a number in \[0, 1\)"),
    (MLPModelBuilder, {"p_dropout": -0.1}, r"p_dropout: expected a number in \[0, 1\)"),
    (MLPModelBuilder, {"p_dropout": "0.5"}, r"p_dropout: expected a number in \[0, 1\)"),
    (MLPModelBuilder, {"p_dropout": True}, r"p_dropout: expected a number in \[0, 1\)"),
    (MLPModelBuilder, {"with_bn": "yes"}, "with_bn: expected True or False"),
    (MLPModelBuilder, {"batch_size": 0}, "batch_size: expected a positive integer"),
    (MLPModelBuilder, {"num_epochs": 2.5}, "num_epochs: expected a positive integer"),
    (MLPModelBuilder, {"early_stopping_patience": 0}, "early_stopping_patience: expected a positive integer"),
    (MLPModelBuilder, {"learning_rate": "fast"}, "learning_rate: expected a finite number > 0"),
    (MLPModelBuilder, {"learning_rate": 0}, "learning_rate: expected a finite number > 0"),
    (MLPModelBuilder, {"validation_fraction": "0.1"},
     "validation_fraction: expected a number strictly between 0 and 1"),
    (MLPModelBuilder, {"validation_fraction": 1}, "validation_fraction: expected a number strictly between 0 and 1"),
    (MLPModelBuilder, {"verbose": True}, "verbose: expected 0, 1 or 2"),
    (UNetModelBuilder, {"num_units": 0}, "num_units: expected a positive integer"),
    (UNetModelBuilder, {"p_dropout": 1.5}, r"p_dropout: expected a number in \[0, 1\)"),
    (UNetModelBuilder, {"activation": "no_such_activation"}, "activation: .*unknown name"),
    (RNNModelBuilder, {"with_embedding": True}, "vocabulary_size: with_embedding=True needs .* got NoneType None"),
    (RNNModelBuilder, {"with_embedding": True, "vocabulary_size": 1}, "vocabulary_size: .*got int 1"),
    (RNNModelBuilder, {"with_embedding": True, "vocabulary_size": "20"}, "vocabulary_size: .*got str '20'"),
    (RNNModelBuilder, {"with_embedding": True, "vocabulary_size": 20, "embedding_dimension": 0},
     "embedding_dimension: expected a positive integer"),
    (RNNModelBuilder, {"with_embedding": "yes"}, "with_embedding: expected True or False"),
    (RNNModelBuilder, {"num_layers": 0}, "num_layers: expected an integer >= 1"),
    (RNNModelBuilder, {"num_units": 0}, "num_units: expected a positive integer"),
])
def test_builder_parameters_are_checked_when_constructed(builder, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        builder(**kwargs)


def test_builders_take_valid_edge_values():
    assert MLPModelBuilder(num_layers=0, p_dropout=0.0, activation=keras.activations.tanh).num_layers == 0
    assert RNNModelBuilder(with_embedding=True, vocabulary_size=np.int64(2)).vocabulary_size == 2


# -- the explainer's own parameters: checked when constructed ----------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    ({"num_models": 0}, ValueError, "num_models: expected a positive integer"),
    ({"num_models": "2"}, ValueError, "num_models: expected a positive integer"),
    ({"num_models": True}, ValueError, "num_models: expected a positive integer"),
    ({"num_models": 2.0}, ValueError, "num_models: expected a positive integer"),
    ({"downsample_factors": 0}, ValueError, "downsample_factors: expected a positive int"),
    ({"downsample_factors": "2"}, ValueError, "downsample_factors: expected a positive int"),
    ({"downsample_factors": (True,)}, ValueError, "downsample_factors: expected a positive int"),
    ({"downsample_factors": (1.5,)}, ValueError, "downsample_factors: expected a positive int"),
    ({"flatten_for_explained_model": "no"}, TypeError, "flatten_for_explained_model: expected True or False"),
    ({"random_state": "0"}, ValueError, "random_state: expected None, a non-negative integer"),
    ({"random_state": 0.5}, ValueError, "random_state: expected None, a non-negative integer"),
    ({"random_state": -1}, ValueError, "random_state: expected None, a non-negative integer"),
    ({"random_state": True}, ValueError, "random_state: expected None, a non-negative integer"),
    ({"loss": 3}, TypeError, "loss: expected a Keras loss"),
    ({"loss": "no_such_loss"}, ValueError, "loss: .*unknown name 'no_such_loss'"),
    ({"builder": "mlp"}, TypeError, "model_builder: expected an MLPModelBuilder"),
    ({"masking": None}, TypeError, "masking_operation: expected ZeroMasking"),
])
def test_explainer_parameters_are_checked_when_constructed(kwargs, error, message):
    with pytest.raises(error, match=message):
        _explainer(_linear, **kwargs)


def test_parameters_changed_after_construction_are_checked_by_fit():
    explainer = _explainer(_linear)
    explainer.num_models = -2
    with pytest.raises(ValueError, match="num_models: expected a positive integer, got int -2"):
        explainer.fit(np.zeros((10, 3), np.float32), np.zeros(10, int))
    with pytest.raises(TypeError, match="explained_model: expected a Keras model"):
        _explainer(object())


def test_a_numpy_generator_is_a_valid_random_state():
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    explainer = _explainer(_linear, random_state=np.random.default_rng(1)).fit(X, np.zeros(40, int))
    assert explainer.explain(X[:2]).attributions.shape == (2, 3)


# -- labels ---------------------------------------------------------------------------------

@pytest.mark.parametrize("y, error, message", [
    (None, ValueError, "y: expected 20 labels .*got None"),
    (1, ValueError, "y: expected 20 labels .*got the scalar int 1"),
    (np.zeros(19, int), ValueError, "y: expected 20 labels .*shape \\(19,\\)"),
    (np.array(["a", "b"] * 10), TypeError, "y: expected a real-valued numeric array .*strings"),
    (np.array(["0", "1"] * 10), TypeError, "y: expected a real-valued numeric array .*strings"),
    (np.array([True, False] * 10), TypeError, "y: expected a real-valued numeric array .*booleans"),
    (np.zeros(20, complex), TypeError, "y: expected a real-valued numeric array .*complex"),
    (np.full(20, np.nan), ValueError, "y: expected finite values"),
    ([[0], [1, 1]] * 10, TypeError, "y: expected an array of labels, got list"),
])
def test_bad_labels_are_refused_before_the_model_is_called(y, error, message):
    calls = []

    def model(X):
        calls.append(len(X))
        return _linear(X)

    with pytest.raises(error, match=message):
        _explainer(model).fit(np.zeros((20, 3), np.float32), y)
    assert calls == []


def test_a_classifiers_own_labels_are_its_class_indices():
    X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    names = np.where(X[:, 0] > 0, "spam", "ham")
    by_name = LogisticRegression().fit(X, names)  # classes_ ["ham", "spam"]
    predictions = by_name.predict_proba(X)
    loss = PerSampleLoss("categorical_crossentropy", 2)
    expected = causal_weights(loss, label_matrix((names == "spam").astype(int), 2), predictions,
                              np.stack([by_name.predict_proba(np.where(np.arange(3) == i, 0, X)) for i in range(3)], 1))
    explainer = _explainer(by_name)
    np.testing.assert_allclose(explainer._causal_targets(X, names, None), expected, rtol=1e-5, atol=1e-7)
    explainer.fit(X, names)
    assert explainer.explain(X[:3]).attributions.shape == (3, 3)


# -- samples ----------------------------------------------------------------------------------

@pytest.mark.parametrize("X, error, message", [
    (np.array([["1", "2", "3"]] * 4), TypeError, "X: expected a real-valued numeric array .*strings"),
    (np.ones((4, 3), bool), TypeError, "X: .*booleans"),
    (np.ones((4, 3), complex), TypeError, "X: .*complex numbers"),
    ([[1.0, 2.0], [1.0]], TypeError, "X: expected a numeric array, got list"),
    (np.zeros(3, np.float32), ValueError, "X: expected an array with a leading batch dimension"),
    (np.zeros((1, 3), np.float32), ValueError, r"X: expected at least 2 samples \(one is held out to validate\)"),
    (np.zeros((0, 3), np.float32), ValueError, "X: expected at least 2 samples"),
    (np.full((4, 3), np.inf, np.float32), ValueError, "X: expected finite values"),
])
def test_bad_samples_are_refused_by_fit(X, error, message):
    with pytest.raises(error, match=message):
        _explainer(_linear).fit(X, np.zeros(len(X), int))


def test_samples_must_fit_the_explained_model():
    X = np.random.default_rng(0).normal(size=(30, 6)).astype(np.float32)
    classifier = LogisticRegression().fit(X, X[:, 0] > 0)
    message = r"X: the explained model takes samples of shape \(6,\), got samples of shape \(5,\)"
    with pytest.raises(ValueError, match=message):
        _explainer(classifier).fit(X[:, :5], np.zeros(30, int))
    dense = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match=r"X: the explained model takes samples of shape \(6,\), .*\(2, 3\).*flatten"):
        _explainer(dense).fit(X.reshape(30, 2, 3), np.zeros(30, int))
    flat = _explainer(dense, flatten_for_explained_model=True).masked_predictions(X.reshape(30, 2, 3))
    np.testing.assert_allclose(flat[0], dense.predict(X, verbose=0), atol=1e-6)

    def failing(batch):
        raise IndexError("index 7 is out of bounds")

    with pytest.raises(ValueError, match=r"explained_model: failed on a batch of shape \(30, 6\).*IndexError: index 7"):
        _explainer(failing).fit(X, np.zeros(30, int))


def test_other_dtypes_of_samples_and_models_work():
    X = np.random.default_rng(0).normal(size=(12, 4))
    for dtype in ("float16", "float64"):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,), dtype=dtype),
                                  keras.layers.Dense(3, activation="softmax", dtype=dtype)])
        predictions, masked = _explainer(model).masked_predictions(X)
        assert predictions.dtype == np.float32 and masked.shape == (12, 4, 3)
        reduced = X.copy()
        reduced[:, 2] = 0
        tolerance = 2e-3 if dtype == "float16" else 1e-6
        np.testing.assert_allclose(masked[:, 2], model.predict(reduced, verbose=0), atol=tolerance)
    integer_model = lambda rows: (rows[:, :2] > 0).astype(np.int64)  # noqa: E731 (integer outputs)
    predictions, masked = _explainer(integer_model, loss="mean_squared_error").masked_predictions(X)
    np.testing.assert_array_equal(predictions, (X[:, :2] > 0).astype(np.float32))
    assert masked.dtype == np.float32 and np.all(masked[:, 0, 0] == 0)


def test_float64_samples_and_lists_of_rows_explain_like_float32(ensemble, tabular):
    X = tabular[0][400:420]
    for other in (X.astype(np.float64), X.tolist()):
        for a, b in zip(ensemble.explain(other), ensemble.explain(X)):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)  # X is float32 either way


# -- empty batches ------------------------------------------------------------------------------

def test_an_empty_batch_gives_empty_results(ensemble, tabular):
    median, intervals = ensemble.explain(np.zeros((0, 6), np.float32))
    assert median.shape == (0, 6) and intervals.shape == (0, 6, 2)
    assert ensemble.predict(np.zeros((0, 6))).shape == (0, 6)
    with pytest.raises(ValueError, match="X: expected at least one sample to score"):
        ensemble.score(np.zeros((0, 6)), np.zeros(0, int))
    cnn = keras.Sequential([keras.Input((5, 4, 2)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                            keras.layers.Dense(3, activation="softmax")])
    predictions, masked = _explainer(cnn, downsample_factors=2).masked_predictions(np.zeros((0, 5, 4, 2)))
    assert predictions.shape == (0, 3) and masked.shape == (0, 3 * 2, 3)
    predictions, masked = _explainer(tabular[2]).masked_predictions(np.zeros((0, 6)))  # scikit-learn
    assert predictions.shape == (0, 2) and masked.shape == (0, 6, 2)


def test_an_empty_batch_of_images_gives_empty_maps():
    rng = np.random.default_rng(0)
    X = rng.random((20, 6, 6, 1)).astype(np.float32)
    model = lambda batch: _linear(batch.reshape(len(batch), -1))  # noqa: E731
    builder = UNetModelBuilder(num_layers=1, num_units=2, num_epochs=1)
    explainer = _explainer(model, builder=builder).fit(X, np.zeros(20, int))
    assert explainer.explain(np.zeros((0, 6, 6, 1))).attributions.shape == (0, 6, 6, 1)


# -- the explained model's outputs --------------------------------------------------------------

@pytest.mark.parametrize("model, error, message", [
    (lambda X: _linear(X).mean(axis=0, keepdims=True), ValueError,
     r"explained_model: expected outputs of shape \(n,\) or \(n, outputs\) with one row per sample, "
     r"got shape \(1, 2\)"),
    (lambda X: np.ones((len(X), 2, 2)), ValueError, r"explained_model: expected outputs .* got shape \(20, 2, 2\)"),
    (lambda X: np.array(["yes"] * len(X)), TypeError, "explained_model: expected numeric outputs"),
])
def test_model_outputs_that_cannot_be_explained_are_blamed_on_the_model(model, error, message):
    with pytest.raises(error, match=message):
        _explainer(model).fit(np.ones((20, 3), np.float32), np.zeros(20, int))


def test_a_keras_model_of_rank_3_output_is_blamed_on_the_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Reshape((3, 1)), keras.layers.Dense(2)])
    message = r"explained_model: expected outputs of shape \(n,\) or \(n, outputs\), .*rank 3"
    with pytest.raises(ValueError, match=message):
        _explainer(model).fit(np.ones((20, 3), np.float32), np.zeros(20, int))


def test_nan_outputs_warn_and_are_not_trained_on():
    def model(X):
        output = _linear(X)
        output[X[:, 1] == 0] = np.nan  # NaN whenever feature 1 is removed
        return output

    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    with pytest.warns(RuntimeWarning, match="explained_model returned NaN"):
        predictions, masked = _explainer(model).masked_predictions(X)
    assert np.all(np.isnan(masked[:, 1])) and np.all(np.isfinite(predictions))
    with pytest.raises(ValueError, match="explained_model: .* hold 40 NaN or infinite values"):
        _explainer(model).fit(X, np.zeros(20, int))
    with pytest.raises(ValueError, match="masked_data: .* NaN"):
        _explainer(_linear).fit(X, np.zeros(20, int), masked_data=(predictions, masked))


# -- token sequences ----------------------------------------------------------------------------

def test_token_ids_must_fit_the_vocabulary():
    tokens = np.tile(np.arange(6), (20, 1))
    builder = RNNModelBuilder(with_embedding=True, vocabulary_size=5, num_units=2, num_epochs=1)
    calls = []
    model = lambda batch: calls.append(1) or _linear(np.asarray(batch, np.float32))  # noqa: E731
    with pytest.raises(ValueError, match=r"X: expected token ids in \[0, vocabulary_size=5\), got ids from 0 to 5"):
        _explainer(model, builder=builder, masking=WordDropMasking()).fit(tokens, np.zeros(20, int))
    with pytest.raises(TypeError, match="X: RNNModelBuilder\\(with_embedding=True\\) expects integer token ids"):
        _explainer(model, builder=builder, masking=WordDropMasking()).fit(tokens.astype(np.float32), np.zeros(20, int))
    assert calls == []
    fitted = _explainer(model, builder=builder, masking=WordDropMasking()).fit(tokens % 5, np.zeros(20, int))
    with pytest.raises(TypeError, match="X: expected integer token ids"):
        fitted.explain(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match="X: expected token ids in"):
        fitted.explain(np.full((2, 6), 9))
