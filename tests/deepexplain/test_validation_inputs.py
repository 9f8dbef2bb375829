"""Bad input gets a clear error at our boundary: which parameter, what was expected, what
was given; and problems of the model itself are named as the model's."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from networks import quiet, random_mlp
from sklearn.linear_model import LogisticRegression

import deepexplain
from deepexplain import DeepExplain

METHODS = ["saliency", "grad*input", "intgrad", "elrp", "deeplift", "occlusion", "shapley_sampling"]
GRADIENT_METHODS = METHODS[:5]
XS = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)


def keras_mlp():
    return keras.Sequential(
        [keras.Input((6,), name="features"), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(3)]
    )


def two_input_keras():
    a, b = keras.Input((2,), name="left"), keras.Input((3,), name="right")
    return keras.Model([a, b], keras.layers.Dense(1)(keras.layers.Concatenate()([a, b])))


@pytest.fixture
def session_de():
    """A session-style context with a placeholder X of shape (None, 6) and T on it."""
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        X = tf.compat.v1.placeholder(tf.float32, [None, 6], name="pixels")
        yield de, random_mlp(0)(X), X


# ---- xs that does not fit the model --------------------------------------------------------------


def test_one_sample_without_batch_dimension_keras():
    with pytest.raises(
        ValueError,
        match=r"xs: expected shape \('batch', 6\) \(input 'features' of the model\), got \(6,\) "
        r"\(one sample without its batch dimension\? pass xs\[None\]\)",
    ):
        deepexplain.explain("saliency", keras_mlp(), XS[0])


@pytest.mark.session
def test_one_sample_without_batch_dimension_session(session_de):
    de, T, X = session_de
    with pytest.raises(
        ValueError, match=r"xs: expected shape \('batch', 6\) \(input 'pixels:0' of X\), got \(6,\) \(one sample"
    ):
        de.explain("saliency", T, X, XS[0])


def test_wrong_feature_count_keras():
    with pytest.raises(
        ValueError, match=r"xs: expected shape \('batch', 6\) \(input 'features' of the model\), got \(5, 4\)$"
    ):
        deepexplain.explain("deeplift", keras_mlp(), XS[:, :4])


@pytest.mark.session
def test_wrong_feature_count_session(session_de):
    de, T, X = session_de
    with pytest.raises(ValueError, match=r"xs: expected shape \('batch', 6\) \(input 'pixels:0' of X\), got \(5, 4\)"):
        de.explain("occlusion", T, X, XS[:, :4], progress=False)


def test_python_list_of_rows_keras():
    with pytest.raises(
        ValueError,
        match=r"xs: expected 1 input array\(s\) for the model .*got 5; "
        r"a list is read as one array per input: pass np.asarray\(rows\)",
    ):
        deepexplain.explain("saliency", keras_mlp(), XS.tolist())


@pytest.mark.session
def test_python_list_of_rows_session(session_de):
    de, T, X = session_de
    with pytest.raises(
        ValueError, match=r"xs: expected 1 input array\(s\) for X .*got 5; a list is read as one array per input"
    ):
        de.explain("saliency", T, X, XS.tolist())


def test_wrong_number_of_arrays_for_a_multi_input_model():
    model = two_input_keras()
    with pytest.raises(
        ValueError,
        match=r"xs: expected 2 input array\(s\) for the model \(shapes \[\('batch', 2\), \('batch', 3\)\]\), got 1",
    ):
        deepexplain.explain("saliency", model, XS[:, :2])
    with pytest.raises(
        ValueError, match=r"xs\[1\]: expected shape \('batch', 3\) \(input 'right' of the model\), got \(5, 4\)"
    ):
        deepexplain.explain("saliency", model, [XS[:, :2], XS[:, :4]])


@pytest.mark.session
def test_wrong_number_of_arrays_session():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        a, b = tf.compat.v1.placeholder(tf.float32, [None, 2]), tf.compat.v1.placeholder(tf.float32, [None, 3])
        T = tf.concat([a, b], axis=1)
        with pytest.raises(ValueError, match=r"xs: expected 2 input array\(s\) for X"):
            de.explain("saliency", T, [a, b], [XS[:, :2]])


# ---- dtypes and values where a number is meant ---------------------------------------------------


@pytest.mark.parametrize(
    "xs, what",
    [
        (XS.astype(np.complex64), "complex numbers"),
        (XS.astype(str), "strings"),
        (np.array([["1", "2", "3", "4", "5", "6"]]), "strings"),
        (XS > 0, "booleans"),
    ],
)
def test_non_numeric_xs_are_rejected(xs, what):
    with pytest.raises(TypeError, match=rf"xs.*: expected a (real-valued )?numeric array.*{what}"):
        deepexplain.explain("saliency", random_mlp(0), xs)


def test_non_numeric_ys_and_baseline_are_rejected():
    with pytest.raises(TypeError, match="ys: expected a real-valued numeric array .*booleans"):
        deepexplain.explain("saliency", random_mlp(0), XS, ys=np.ones((5, 3), bool))
    with pytest.raises(TypeError, match="ys: expected a numeric array.*rows of different lengths"):
        deepexplain.explain("saliency", random_mlp(0), XS, ys=[[1.0, 0.0, 0.0]] * 4 + [[1.0]])
    with pytest.raises(TypeError, match="baseline: expected a real-valued numeric array .*strings"):
        deepexplain.explain("deeplift", random_mlp(0), XS, baseline=["0"] * 6)


@pytest.mark.parametrize(
    "method, params, name",
    [
        ("occlusion", {"window_shape": True}, "window_shape"),
        ("occlusion", {"window_shape": (True,)}, "window_shape"),
        ("occlusion", {"step": True}, "step"),
        ("occlusion", {"step": 1.0}, "step"),
        ("shapley_sampling", {"sampling_dims": [True]}, "sampling_dims"),
        ("shapley_sampling", {"samples": True}, "samples"),
        ("intgrad", {"steps": True}, "steps"),
        ("intgrad", {"steps": "10"}, "steps"),
        ("elrp", {"epsilon": True}, "epsilon"),
    ],
)
def test_booleans_and_strings_are_not_numbers(method, params, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        deepexplain.explain(method, random_mlp(0), XS, **quiet(method, **params))


@pytest.mark.parametrize("logits", ["no", 0, None])
def test_logits_must_be_a_bool(logits):
    with pytest.raises(TypeError, match=rf"logits: expected True or False, got {type(logits).__name__}"):
        deepexplain.explain("saliency", keras_mlp(), XS, logits=logits)


def test_integer_outputs_have_no_gradient():
    counts = lambda x: tf.cast(x > 0, tf.int32)  # noqa: E731
    with pytest.raises(
        TypeError,
        match=r"T \(the model\): expected a floating-point output to differentiate, got dtype int32 .*occlusion",
    ):
        deepexplain.explain("grad*input", counts, XS)


# ---- seeds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["0", 1.5, -1, True])
def test_bad_seeds_are_rejected_by_name(seed):
    with pytest.raises(ValueError, match=r"^seed: expected None, a non-negative integer or a numpy Generator"):
        deepexplain.get_explainer("shapley_sampling", random_mlp(0), seed=seed)


# ---- black boxes given to gradient methods -------------------------------------------------------


@pytest.fixture(scope="module")
def classifier():
    return LogisticRegression(max_iter=200).fit(XS, [0, 1, 2, 0, 1])


def black_boxes(classifier):
    return {"predict_proba": classifier.predict_proba, "numpy function": lambda x: np.tanh(x) @ np.ones((6, 2))}


@pytest.mark.parametrize("method", GRADIENT_METHODS)
@pytest.mark.parametrize("box", ["predict_proba", "numpy function"])
def test_gradient_methods_reject_black_boxes(classifier, method, box):
    message = (
        rf"T: {re_escape(method)} is a gradient method and needs a TensorFlow-differentiable model .* "
        r"perturbation methods \('occlusion', 'shapley_sampling'\)"
    )
    with pytest.raises(TypeError, match=message):
        deepexplain.explain(method, black_boxes(classifier)[box], XS, **quiet(method))


@pytest.mark.session
def test_gradient_methods_reject_black_boxes_in_session_style(classifier):
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        with pytest.raises(TypeError, match="TensorFlow-differentiable model"):
            de.explain("elrp", classifier.predict_proba, xs=XS)


def re_escape(text):
    import re

    return re.escape(text)


# ---- T that is not one row per sample; KerasTensors; model output problems ----------------------


@pytest.mark.session
@pytest.mark.parametrize(
    "reduce", [tf.reduce_sum, lambda t: tf.reduce_mean(t, axis=0, keepdims=True)], ids=["scalar", "batch-mean"]
)
def test_session_target_reduced_over_the_batch(session_de, reduce):
    de, T, X = session_de
    with pytest.raises(
        ValueError, match=r"T: expected an output whose first dimension is the batch .* got shape \((1, 3)?\).*ys"
    ):
        de.explain("saliency", reduce(T), X, XS)


@pytest.mark.session
def test_session_target_with_rows_detected_only_at_run_time(session_de):
    de, T, X = session_de
    with pytest.raises(
        ValueError, match=r"T: expected an output whose first dimension is the batch .* for a batch of 5 rows"
    ):
        de.explain("grad*input", tf.reshape(T, [-1]), X, XS)


@pytest.mark.parametrize("method", ["saliency", "occlusion"])
def test_model_reducing_the_batch_is_named_as_the_models_fault(method):
    for model in [lambda x: tf.reduce_sum(random_mlp(0)(x)), lambda x: tf.reshape(random_mlp(0)(x), [-1])]:
        with pytest.raises(
            ValueError, match=r"^T \(the model\): expected an output whose first dimension is the batch"
        ):
            deepexplain.explain(method, model, XS, **quiet(method))


def test_black_box_with_wrong_rows_is_named():
    with pytest.raises(
        ValueError, match=r"^T \(the model\): expected an output whose first dimension is the batch .* got a scalar"
    ):
        deepexplain.explain("occlusion", lambda x: float(np.sum(x)), XS, progress=False)


def test_keras_tensor_as_t_says_to_pass_the_model():
    inputs = keras.Input((6,))
    outputs = keras.layers.Dense(2)(inputs)
    with pytest.raises(
        TypeError, match=r"T: got a Keras symbolic tensor \(KerasTensor\).*pass the Keras model itself as T"
    ):
        deepexplain.explain("saliency", outputs, XS)


@pytest.mark.parametrize("method", ["saliency", "occlusion", "shapley_sampling"])
def test_nan_produced_by_the_model_warns(style, method):
    with pytest.warns(RuntimeWarning, match=r"T.*: the model produced \d+ NaN or infinite values"):
        style.explain(method, lambda x: tf.sqrt(x), XS, **quiet(method))


# ---- the context and the method name -------------------------------------------------------------


@pytest.mark.parametrize("kwargs, name", [({"session": "sess"}, "session"), ({"graph": 3}, "graph")])
def test_session_and_graph_of_the_wrong_kind(kwargs, name):
    with pytest.raises(TypeError, match=rf"^{name}: expected a tf"):
        with DeepExplain(**kwargs):
            pass


@pytest.mark.parametrize("method", [["saliency"], None, 3])
def test_method_must_be_a_name(method):
    with pytest.raises(TypeError, match=r"^method: expected a method name"):
        deepexplain.explain(method, random_mlp(0), XS)


@pytest.mark.session
def test_symbolic_tensor_as_xs(session_de):
    de, T, X = session_de
    with pytest.raises(TypeError, match=r"^xs: expected a numeric array, got the symbolic"):
        de.explain("saliency", T, X, X)


def test_estimator_instead_of_its_predict_proba(classifier):
    with pytest.raises(
        TypeError,
        match=r"T: expected a tf.Tensor or a Keras model / callable, got LogisticRegression.*pass clf.predict_proba",
    ):
        deepexplain.explain("occlusion", classifier, XS, progress=False)
