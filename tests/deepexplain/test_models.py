"""Predictor: every kind of model gives the same batched float64 predictions."""
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from deepexplain.models import Predictor, default_batch_size
from model_kinds import X, keras_mlp, make_model, numpy_mlp

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
    with pytest.raises(ValueError, match="model: expected one prediction per row"):
        Predictor(lambda x: np.ones(3))(X)
    with pytest.raises(TypeError, match="model: expected numeric predictions"):
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


@pytest.mark.parametrize("first", ["cem", "deepexplain.explainable"])
def test_counterfactual_is_cem_counterfactual_whatever_is_imported_first(first):
    code = (f"import {first}\n"
            "import cem\n"
            "from deepexplain.explainable import Counterfactual\n"
            "assert Counterfactual is cem.Counterfactual\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=300)


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
