"""Valid edge cases that must work: empty batches, fixed and unknown batch dimensions,
dtypes other than float32, black-box models for the perturbation methods, long runs."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from networks import quiet, random_mlp
from sklearn.linear_model import LogisticRegression

import deepexplain
from deepexplain import DeepExplain

METHODS = ["saliency", "grad*input", "intgrad", "elrp", "deeplift", "occlusion", "shapley_sampling"]
XS = np.random.default_rng(0).normal(size=(11, 6)).astype(np.float32)
YS = np.eye(3, dtype=np.float32)[np.arange(11) % 3]


def params_for(method):
    if method == "shapley_sampling":
        return quiet(method, samples=2, seed=0)
    if method == "deeplift":
        return {"baseline": np.linspace(-0.5, 0.5, 6).astype(np.float32)}
    return quiet(method)


# ---- empty batch -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_empty_batch_gives_empty_attributions(style, method):
    result = style.explain(method, random_mlp(0), XS[:0], **params_for(method))
    assert result.shape == (0, 6) and result.dtype == np.float32


def test_empty_batch_keeps_the_shape_of_every_input_and_of_sampling_dims(style):
    xs = [np.zeros((0, 2), np.float32), np.zeros((0, 3), np.float32)]
    result = style.explain("grad*input", lambda ab: tf.concat(ab, axis=1), xs)
    assert [r.shape for r in result] == [(0, 2), (0, 3)]
    images = np.zeros((0, 4, 5, 3), np.float32)
    grid = style.explain(
        "shapley_sampling", lambda x: tf.reduce_sum(x, axis=[1, 2]), images, sampling_dims=[1, 2], progress=False
    )
    assert grid.shape == (0, 4, 5)


# ---- fixed and unknown batch dimensions of placeholders -----------------------------------------


def explain_with_placeholder(method, shape, batch_size=None, xs=XS, **params):
    model = random_mlp(1)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        X = tf.compat.v1.placeholder(tf.float32, shape)
        return de.explain(method, model(X), X, xs, ys=YS[: len(xs)], batch_size=batch_size, **params)


@pytest.mark.session
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fixed, batch_size", [(4, None), (4, 3), (2, None), (16, None)])
def test_fixed_batch_placeholder_feeds_exactly_its_batch(method, fixed, batch_size):
    params = params_for(method)
    free = explain_with_placeholder(method, [None, 6], **params)
    np.testing.assert_allclose(
        explain_with_placeholder(method, [fixed, 6], batch_size, **params), free, rtol=1e-5, atol=1e-6
    )


@pytest.mark.session
def test_fixed_batch_placeholder_rejects_feeds_of_other_sizes():
    # The compiled function really feeds the placeholder B rows: TensorFlow would reject any other count.
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        X = tf.compat.v1.placeholder(tf.float32, [4, 6])
        T = random_mlp(1)(X)
        explainer = de.get_explainer("saliency", T, X)
        np.testing.assert_allclose(
            explainer.run(XS[:1], ys=YS[:1]), explain_with_placeholder("saliency", [None, 6], xs=XS[:1]), atol=1e-6
        )
        with pytest.raises(ValueError):
            sess.run(T, {X: XS[:3]})


@pytest.mark.session
@pytest.mark.parametrize("method", ["saliency", "deeplift", "occlusion"])
def test_unknown_rank_placeholder_works_from_the_shape_of_xs(method):
    params = params_for(method)
    free = explain_with_placeholder(method, [None, 6], **params)
    np.testing.assert_allclose(explain_with_placeholder(method, None, **params), free, rtol=1e-5, atol=1e-6)


@pytest.mark.session
def test_unknown_rank_target_with_default_ys_sums_every_unit():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        X = tf.compat.v1.placeholder(tf.float32, None)
        unknown = de.explain("grad*input", random_mlp(1)(X), X, XS)
        Y = tf.compat.v1.placeholder(tf.float32, [None, 6])
        known = de.explain("grad*input", random_mlp(1)(Y), Y, XS)
    np.testing.assert_allclose(unknown, known, rtol=1e-5, atol=1e-6)


# ---- dtypes ------------------------------------------------------------------------------------


def keras_mlp(dtype):
    rng = np.random.default_rng(3)
    model = keras.Sequential(
        [
            keras.Input((6,), dtype=dtype),
            keras.layers.Dense(5, activation="tanh", dtype=dtype),
            keras.layers.Dense(3, dtype=dtype),
        ]
    )
    model.set_weights([rng.normal(0, 0.5, w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-5), ("float16", 2e-2)])
def test_float64_and_float16_keras_models(method, dtype, tolerance):
    reference = deepexplain.explain(method, keras_mlp("float32"), XS, ys=YS, **params_for(method))
    result = deepexplain.explain(method, keras_mlp(dtype), XS, ys=YS, **params_for(method))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, reference, rtol=tolerance, atol=tolerance)


@pytest.mark.session
@pytest.mark.parametrize("method", ["grad*input", "deeplift", "occlusion"])
def test_float64_graph_target_and_input(method):
    model = random_mlp(1)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        X = tf.compat.v1.placeholder(tf.float64, [None, 6])
        T = tf.cast(model(tf.cast(X, tf.float32)), tf.float64) * tf.constant(2.0, tf.float64)
        result = de.explain(method, T, X, XS, ys=YS, **params_for(method))
    assert result.dtype == np.float32
    np.testing.assert_allclose(
        result, 2 * explain_with_placeholder(method, [None, 6], **params_for(method)), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("method", ["occlusion", "shapley_sampling"])
def test_integer_outputs_work_for_perturbation_methods(style, method):
    xs = np.array([[3.0, 1.0, 2.0]], np.float32)
    counts = lambda x: tf.reduce_sum(tf.cast(x > 1.5, tf.int32), axis=1, keepdims=True)  # noqa: E731
    result = style.explain(method, counts, xs, **params_for(method))
    np.testing.assert_allclose(result, [[1.0, 0.0, 1.0]], atol=1e-6)  # each feature above 1.5 counts once


# ---- black boxes for perturbation methods -------------------------------------------------------


@pytest.fixture(scope="module")
def classifier():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(90, 6)).astype(np.float32)
    return LogisticRegression(max_iter=500).fit(x, np.arange(90) % 3)


def tensorflow_copy(clf):
    """The same classifier as TensorFlow ops: softmax(x Wᵀ + b)."""
    w, b = clf.coef_.T.astype(np.float32), clf.intercept_.astype(np.float32)
    return lambda x: tf.nn.softmax(tf.matmul(x, w) + b)


def explain_in_context(session_style, method, model, **kwargs):
    """``de.explain`` with the model passed as T, in a session (graph) or eager context."""
    if not session_style:
        with DeepExplain() as de:
            return de.explain(method, model, xs=XS, ys=YS, **kwargs)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        return de.explain(method, model, xs=XS, ys=YS, **kwargs)


BOTH_STYLES = [pytest.param(True, marks=pytest.mark.session, id="graph"), pytest.param(False, id="eager")]


@pytest.mark.parametrize("session_style", BOTH_STYLES)
@pytest.mark.parametrize("method", ["occlusion", "shapley_sampling"])
def test_perturbation_methods_explain_predict_proba(session_style, classifier, method):
    black_box = explain_in_context(session_style, method, classifier.predict_proba, **params_for(method))
    same_model = explain_in_context(
        session_style, method, tensorflow_copy(classifier), logits=False, **params_for(method)
    )
    np.testing.assert_allclose(black_box, same_model, rtol=1e-4, atol=1e-5)


def test_perturbation_methods_explain_numpy_functions():
    weights = np.arange(1.0, 7.0)
    numpy_model = lambda x: np.tanh(x) @ weights  # noqa: E731  (one output per row)
    result = deepexplain.explain("occlusion", numpy_model, XS, progress=False)
    np.testing.assert_allclose(result, np.tanh(XS) * weights, rtol=1e-5, atol=1e-6)  # additive: exact


# ---- long runs show progress -------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, params", [("intgrad", {"steps": 2000}), ("occlusion", {}), ("shapley_sampling", {"samples": 50})]
)
def test_long_runs_show_progress_unless_switched_off(capsys, method, params):
    model = random_mlp(0)
    deepexplain.explain(method, model, XS[:2], batch_size=64, **params)
    assert method in capsys.readouterr().err
    deepexplain.explain(method, model, XS[:2], batch_size=64, progress=False, **params)
    assert method not in capsys.readouterr().err



# ---- inputs given as integers, Python lists or tensors ----------------------------------------------


def test_integer_lists_and_eager_tensors_as_xs_equal_float_arrays():
    ints = np.arange(12).reshape(2, 6) - 6
    expected = deepexplain.explain("grad*input", random_mlp(0), ints.astype(np.float32))
    for xs in [ints, tf.constant(ints, tf.float64)]:
        np.testing.assert_allclose(deepexplain.explain("grad*input", random_mlp(0), xs), expected, rtol=1e-6)
