"""Predictor: every kind of model gives the same batched float64 predictions."""

import numpy as np
import pytest
import tensorflow as tf
from model_kinds import B1, W1, W2, X, keras_mlp, make_model, numpy_mlp

from deepexplain.models import Predictor, default_batch_size


@pytest.mark.parametrize("kind", ["keras3", "tf_keras", "module", "callable"])
def test_every_model_kind_gives_the_model_output(kind):
    predictor = Predictor(make_model(kind), batch_size=8)
    output = predictor(X)
    assert output.dtype == np.float64 and output.shape == (37, 3)
    assert predictor.n_outputs == 3
    np.testing.assert_allclose(output, numpy_mlp(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["keras3", "tf_keras", "module"])
def test_tensorflow_models_are_traced_once_over_calls(kind):
    predictor = Predictor(make_model(kind), batch_size=5)
    for n in (1, 7, 37, 3):
        predictor(X[:n])
    assert predictor.trace_count == 1


@pytest.mark.parametrize("kind", ["keras3", "callable"])
def test_batched_equals_unbatched(kind):
    model = make_model(kind)
    whole = Predictor(model, batch_size=1000)(X)
    for batch_size in (1, 4, 36):
        np.testing.assert_allclose(Predictor(model, batch_size=batch_size)(X), whole, rtol=1e-6, atol=1e-7)


def test_sklearn_uses_predict_proba_then_predict():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LinearRegression, LogisticRegression

    data, labels = load_iris(return_X_y=True)
    classifier = LogisticRegression(max_iter=500).fit(data, labels)
    np.testing.assert_allclose(Predictor(classifier, batch_size=16)(data), classifier.predict_proba(data), rtol=1e-12)
    regressor = LinearRegression().fit(data[:, :3], data[:, 3])
    output = Predictor(regressor, batch_size=16)(data[:, :3])
    assert output.shape == (150, 1)
    np.testing.assert_allclose(output[:, 0], regressor.predict(data[:, :3]), rtol=1e-12)


def test_stream_builds_only_one_chunk_of_rows_at_a_time():
    built = []

    def make_rows(start, stop):
        built.append(stop - start)
        return X[np.arange(start, stop) % len(X)]

    predictor = Predictor(numpy_mlp, batch_size=10)
    chunks = list(predictor.stream(95, make_rows))
    assert max(built) == 10 and sum(built) == 95
    assert [(s.start, s.stop) for s, _ in chunks][-1] == (90, 95)
    stacked = np.concatenate([p for _, p in chunks])
    np.testing.assert_allclose(stacked, numpy_mlp(X[np.arange(95) % len(X)]))


def test_default_batch_size_is_bounded_by_rows_and_bytes():
    assert default_batch_size(4 * 30) == 8192
    assert default_batch_size(224 * 224 * 3 * 4) < 200
    assert default_batch_size(10**12) == 1


def test_list_of_strings_goes_to_a_callable():
    predictor = Predictor(lambda texts: np.array([len(t) for t in texts]), batch_size=2)
    np.testing.assert_array_equal(predictor(["a", "abc", "", "ab", "x"])[:, 0], [1, 3, 0, 2, 1])


def test_errors_name_the_parameter():
    with pytest.raises(TypeError, match="model: expected a Keras model"):
        Predictor(42)
    with pytest.raises(ValueError, match="batch_size"):
        Predictor(numpy_mlp, batch_size=0)
    with pytest.raises(ValueError, match="model: expected outputs of shape"):
        Predictor(lambda x: np.ones(3))(X)
    with pytest.raises(TypeError, match="model: expected numeric outputs"):
        Predictor(lambda x: np.array(["a"] * len(x)))(X)
    with pytest.raises(ValueError, match="X: expected at least one row"):
        Predictor(numpy_mlp)(X[:0])


@pytest.mark.session
def test_session_style_tf_keras_model():
    import tf_keras

    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        model = keras_mlp(tf_keras)
        predictor = Predictor(model, batch_size=8, session=session)
        np.testing.assert_allclose(predictor(X), numpy_mlp(X), rtol=1e-5, atol=1e-6)
        ops = len(graph.get_operations())
        predictor(X[:5])
        assert len(graph.get_operations()) == ops


@pytest.mark.parametrize("kind", ["keras3", "callable"])
def test_prefetching_stream_gives_the_same_chunks(kind):
    predictor = Predictor(make_model(kind), batch_size=6)
    make_rows = lambda start, stop: X[start:stop]
    plain = list(predictor.stream(len(X), make_rows))
    prefetched = list(predictor.stream(len(X), make_rows, prefetch=True))
    assert [s for s, _ in plain] == [s for s, _ in prefetched]
    for (_, a), (_, b) in zip(plain, prefetched):
        np.testing.assert_array_equal(a, b)
    assert list(predictor.stream(0, make_rows, prefetch=True)) == []


def _regression_data():
    targets = numpy_mlp(X)[:, 0] * 10
    return X.astype(np.float64), targets


@pytest.mark.parametrize("library", ["sklearn", "xgboost", "lightgbm"])
def test_tree_ensembles_and_estimators_give_their_own_predictions(library):
    data, targets = _regression_data()
    if library == "sklearn":
        from sklearn.ensemble import GradientBoostingRegressor

        model = GradientBoostingRegressor(n_estimators=5, random_state=0)
    elif library == "xgboost":
        xgboost = pytest.importorskip("xgboost")
        model = xgboost.XGBRegressor(n_estimators=5, max_depth=2)
    else:
        lightgbm = pytest.importorskip("lightgbm")
        model = lightgbm.LGBMRegressor(n_estimators=5, min_child_samples=2, verbose=-1)
    model.fit(data, targets)
    output = Predictor(model, batch_size=10)(data)
    assert output.shape == (37, 1)
    np.testing.assert_array_equal(output[:, 0], model.predict(data).astype(np.float64))


@pytest.mark.parametrize("kind", ["keras3", "tf_keras"])
def test_a_keras_bound_predict_is_compiled_like_the_model(kind):
    model = make_model(kind)
    predictor = Predictor(model.predict, batch_size=8)
    assert predictor.model is model and predictor.differentiable
    for n in (37, 5, 1):
        np.testing.assert_allclose(predictor(X[:n]), numpy_mlp(X[:n]), rtol=1e-5, atol=1e-6)
    assert predictor.trace_count == 1


def test_a_function_wrapping_predict_stays_a_black_box():
    model = make_model("keras3")
    predictor = Predictor(lambda x: model.predict(x, verbose=0))
    assert not predictor.differentiable and predictor.trace_count == 0
    np.testing.assert_allclose(predictor(X), numpy_mlp(X), rtol=1e-5, atol=1e-6)


class _DtypeRecorder(tf.Module):
    def __call__(self, x):
        self.dtype = x.dtype
        return tf.reduce_sum(x, axis=1)


def test_float64_rows_reach_a_numpy_model_as_float64_and_a_tensorflow_model_as_float32():
    seen = []
    rows = X.astype(np.float64) + 1e-12  # not representable in float32

    def model(x):
        seen.append(x.dtype)
        return x.sum(axis=1)

    np.testing.assert_array_equal(Predictor(model)(rows)[:, 0], rows.sum(axis=1))
    assert seen == [np.float64]
    recorder = _DtypeRecorder()
    Predictor(recorder)(rows)
    assert recorder.dtype == tf.float32


def test_rows_of_the_wrong_shape_are_refused_naming_the_callers_parameter():
    from sklearn.linear_model import LinearRegression

    with pytest.raises(ValueError, match=r"samples: expected rows of shape \(4,\) \(the input of model Sequential\), "
                                         r"got rows of shape \(3,\)"):
        Predictor(make_model("keras3"))(X[:, :3], name="samples")
    regressor = LinearRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"data: expected rows of shape \(4,\) .*got rows of shape \(5,\)"):
        Predictor(regressor)(np.ones((2, 5)), name="data")
    streamed = Predictor(make_model("keras3")).stream(3, lambda start, stop: np.ones((stop - start, 6)), name="X")
    with pytest.raises(ValueError, match=r"X: expected rows of shape \(4,\)"):
        next(streamed)


def test_nan_outputs_warn_once_naming_the_model():
    def model(x):
        output = numpy_mlp(x)
        output[::2] = np.nan
        return output

    predictor = Predictor(model, batch_size=10, name="explained_model")
    with pytest.warns(RuntimeWarning, match=r"explained_model: the model \(function\) returned NaN or infinite outputs "
                                            r"for 5 of 10 rows") as record:
        predictor(X)
        predictor(X)
    assert len([w for w in record if issubclass(w.category, RuntimeWarning)]) == 1


def test_failures_and_outputs_of_the_model_are_blamed_on_it():
    def failing(x):
        raise IndexError("index 7 is out of bounds")

    with pytest.raises(ValueError, match=r"explained_model: failed on a batch of shape \(37, 4\) and dtype float32 "
                                         r"\(IndexError: index 7"):
        Predictor(failing, name="explained_model")(X)
    with pytest.raises(ValueError, match=r"model: expected outputs of shape \(n,\) or \(n, outputs\)"):
        Predictor(lambda x: np.ones((len(x), 2, 2)), flatten_outputs=False)(X)
    assert Predictor(lambda x: np.ones((len(x), 2, 2)))(X).shape == (37, 4)


def test_the_tensor_entry_differentiates_the_model():
    import keras

    model = make_model("keras3")
    predictor = Predictor(model.predict)

    @tf.function
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            output = predictor.tensor(x)[:, 0]
        return tape.gradient(output, x)

    x = tf.constant(X[:3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        expected = model(x)[:, 0]
    np.testing.assert_allclose(gradient(x), tape.gradient(expected, x), rtol=1e-5, atol=1e-7)
    with pytest.raises(TypeError, match="model: expected a TensorFlow model to call on tensors"):
        Predictor(numpy_mlp).tensor(x)
    inputs = keras.Input((4,))
    two_outputs = keras.Model(inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(3)(inputs)])
    with pytest.raises(TypeError, match="predict: expected a model with one output, got a list of 2 outputs"):
        Predictor(two_outputs, name="predict")(X)


def test_logits_are_the_input_of_the_final_softmax():
    model = make_model("keras3")
    logits = Predictor(model, logits=True)(X)
    hidden = np.maximum(X.astype(np.float64) @ W1 + B1, 0)
    np.testing.assert_allclose(logits, hidden @ W2, rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError, match="logits: expected True or False, got int 1"):
        Predictor(model, logits=1)


def test_cem_and_counterfactual_use_the_adapter_for_a_bound_predict():
    from cem.predictor import Predictor as ClassifierPredictor

    model = make_model("keras3")
    predictor = ClassifierPredictor(model.predict, name="model")
    assert predictor.differentiable and predictor.adapter.model is model
    np.testing.assert_allclose(predictor(X), numpy_mlp(X), rtol=1e-5, atol=1e-6)
    assert predictor(X).dtype == np.float32


@pytest.mark.session
def test_session_style_function_of_tensorflow_ops_is_compiled_once():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        def network(x):
            return tf.nn.softmax(tf.matmul(tf.nn.relu(tf.matmul(x, W1) + B1), W2))

        predictor = Predictor(network, batch_size=8, session=session)
        np.testing.assert_allclose(predictor(X), numpy_mlp(X), rtol=1e-5, atol=1e-6)
        assert predictor.differentiable
        ops = len(graph.get_operations())
        predictor(X[:5])
        assert len(graph.get_operations()) == ops


def test_the_toolbox_network_reads_layers_through_the_adapter_also_from_a_bound_predict():
    from deepexplain.explainable.neural.network import ExplainedNetwork

    model = make_model("keras3")
    network = ExplainedNetwork(model.predict, batch_size=10)
    assert network.model is model
    hidden, logits = network.forward(X, [model.layers[0]])
    np.testing.assert_allclose(hidden, np.maximum(X.astype(np.float64) @ W1 + B1, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits, hidden @ W2, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"data: expected rows of shape \(4,\)"):
        network.outputs(np.ones((2, 5), np.float32), name="data")


def test_the_metrics_score_a_black_box_and_a_network_through_the_adapter():
    from sklearn.linear_model import LogisticRegression

    from deepexplain.metrics import TargetScores

    labels = numpy_mlp(X).argmax(axis=1)
    classifier = LogisticRegression(max_iter=500).fit(X, labels)
    targets = np.arange(37) % 3
    expected = classifier.predict_proba(X)[np.arange(37), targets]
    np.testing.assert_allclose(TargetScores(classifier)(X, targets), expected, rtol=1e-12)
    hidden = np.maximum(X.astype(np.float64) @ W1 + B1, 0)
    logits = TargetScores(make_model("keras3").predict)(X, targets)
    np.testing.assert_allclose(logits, (hidden @ W2)[np.arange(37), targets], rtol=1e-5, atol=1e-5)
