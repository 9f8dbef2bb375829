"""The public API: both styles with Keras models, compile-once explainers, warnings, errors."""
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from networks import quiet, simpler_model
from tf_keras.api._v1.keras import backend as K

import deepexplain
from deepexplain import DeepExplain

XS = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)


def with_fixed_weights(model, seed=0):
    """``model`` with weights drawn from a seeded generator: the same numbers on every machine."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.6, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def keras3_mlp(activation="relu", softmax=True):
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation=activation),
        keras.layers.Dense(3, activation="softmax" if softmax else None),
    ])
    return with_fixed_weights(model)


def tf_keras_copy(weights, softmax=True):
    """The same network in tf_keras (Keras 2), for session-style code."""
    copy = tf_keras.Sequential([
        tf_keras.layers.Dense(8, activation="relu", input_shape=(5,)),
        tf_keras.layers.Dense(3, activation="softmax" if softmax else None),
    ])
    copy.set_weights(weights)
    return copy


@pytest.mark.parametrize(
    "method", ["saliency", "grad*input", "intgrad", "elrp", "deeplift", "occlusion", "shapley_sampling"]
)
def test_keras3_eager_and_tf_keras_session_agree(method):
    model = keras3_mlp()
    ys = np.eye(3, dtype=np.float32)[np.arange(6) % 3]
    params = quiet(method, samples=2, seed=0) if method == "shapley_sampling" else quiet(method)
    eager = deepexplain.explain(method, model, XS, ys=ys, **params)
    weights = model.get_weights()
    graph = tf.Graph()
    with graph.as_default():
        copy = tf_keras_copy(weights)  # built and "trained" outside the context, in Keras's session
        with DeepExplain(session=K.get_session()) as de:
            session_result = de.explain(method, copy, xs=XS, ys=ys, **params)
    np.testing.assert_allclose(session_result, eager, atol=1e-5)


def test_softmax_models_are_explained_through_their_logits_by_default():
    model = keras3_mlp(softmax=True)
    logits_model = keras3_mlp(softmax=False)
    logits_model.set_weights(model.get_weights())
    np.testing.assert_allclose(
        deepexplain.explain("grad*input", model, XS), deepexplain.explain("grad*input", logits_model, XS), atol=1e-6
    )
    probabilities = deepexplain.explain("grad*input", model, XS, logits=False)
    np.testing.assert_allclose(probabilities.sum(), 0.0, atol=1e-4)  # Σ softmax = 1 has zero gradient


def test_keras_dropout_runs_in_inference_mode():
    model = with_fixed_weights(
        keras.Sequential(
            [
                keras.Input((5,)),
                keras.layers.Dense(8, activation="relu"),
                keras.layers.Dropout(0.9),
                keras.layers.Dense(2),
            ]
        )
    )
    first = deepexplain.explain("saliency", model, XS)
    np.testing.assert_array_equal(first, deepexplain.explain("saliency", model, XS))


def test_multiple_input_keras_model():
    a, b = keras.Input((2,)), keras.Input((3,))
    h = keras.layers.Concatenate()(
        [keras.layers.Dense(4, activation="relu")(a), keras.layers.Dense(4, activation="tanh")(b)]
    )
    model = with_fixed_weights(keras.Model([a, b], keras.layers.Dense(1)(h)))
    xs = [XS[:, :2], XS[:, 2:]]
    result = deepexplain.explain("deeplift", model, xs)
    expected = (
        model.predict(xs, verbose=0).ravel() - model.predict([np.zeros((1, 2)), np.zeros((1, 3))], verbose=0).ravel()
    )
    np.testing.assert_allclose(result[0].sum(1) + result[1].sum(1), expected, rtol=1e-4, atol=1e-5)


def test_tf_keras_model_and_tf_module_in_eager_style():
    model = keras3_mlp(softmax=False)
    expected = deepexplain.explain("deeplift", model, XS)
    np.testing.assert_allclose(
        deepexplain.explain("deeplift", tf_keras_copy(model.get_weights(), softmax=False), XS), expected, atol=1e-5
    )

    class Module(tf.Module):
        def __init__(self, weights):
            self.w1, self.b1, self.w2, self.b2 = [tf.Variable(w) for w in weights]

        def __call__(self, x):
            return tf.matmul(tf.nn.relu(tf.matmul(x, self.w1) + self.b1), self.w2) + self.b2

    np.testing.assert_allclose(deepexplain.explain("deeplift", Module(model.get_weights()), XS), expected, atol=1e-5)


@pytest.mark.session
def test_explainer_run_adds_no_graph_ops():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        with DeepExplain(session=sess) as de:
            X = tf.compat.v1.placeholder(tf.float32, [None, 2])
            T = simpler_model(X)
            for method in ["deeplift", "intgrad", "occlusion", "shapley_sampling"]:
                explainer = de.get_explainer(method, T, X, **quiet(method))
                explainer.run(XS[:, :2])
                count = len(graph.get_operations())
                for _ in range(20):
                    explainer.run(XS[:, :2], batch_size=4)
                assert len(graph.get_operations()) == count, method


def test_explainer_run_traces_once_more_at_most_for_other_shapes():
    # A gradient function is traced for the shapes of its first call (after a probe of the forward pass):
    # calls of those shapes never trace again; calls of other shapes trace it once more, for any batch size,
    # and give the same attributions as the first trace.
    model = keras3_mlp()
    for method, traces in [("elrp", 2), ("intgrad", 2), ("shapley_sampling", 1)]:
        explainer = deepexplain.get_explainer(method, model, **quiet(method))
        first = explainer.run(XS)
        explainer.run(XS)
        assert explainer.runtime.trace_count == traces, method
        for i in range(20):
            explainer.run(XS[: 1 + i % 6], batch_size=1 + i % 4)
        assert explainer.runtime.trace_count == traces + (method != "shapley_sampling"), method
        if method != "shapley_sampling":
            np.testing.assert_allclose(explainer.run(XS[:3], batch_size=2), first[:3], rtol=1e-5, atol=1e-7)


@pytest.mark.session
def test_overrides_stamp_only_inside_the_context():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        X = tf.compat.v1.placeholder(tf.float32, [None, 2])
        outside = tf.nn.relu(X)
        with DeepExplain(session=sess):
            inside = tf.nn.sigmoid(X)
        assert "_gradient_op_type" not in outside.op.node_def.attr
        assert inside.op.get_attr("_gradient_op_type") == b"DeepExplainGrad"
        # Forward values are unchanged, and plain gradients are the ordinary ones outside explain.
        x = np.array([[-1.0, 2.0]], np.float32)
        value, grad = sess.run([inside, tf.gradients(inside, X)[0]], {X: x})
        np.testing.assert_allclose(value, 1 / (1 + np.exp(-x)), rtol=1e-6)
        np.testing.assert_allclose(grad, value * (1 - value), rtol=1e-6)


@pytest.mark.session
def test_training_inside_the_context_still_works():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        with DeepExplain(session=sess) as de:
            X = tf.compat.v1.placeholder(tf.float32, [None, 2])
            Y = tf.compat.v1.placeholder(tf.float32, [None, 1])
            w1 = tf.Variable(np.random.default_rng(0).normal(0, 1, (2, 8)).astype(np.float32))
            w2 = tf.Variable(np.random.default_rng(1).normal(0, 1, (8, 1)).astype(np.float32))
            out = tf.matmul(tf.nn.tanh(tf.matmul(X, w1)), w2)
            loss = tf.reduce_mean(tf.square(out - Y))
            step = tf.compat.v1.train.GradientDescentOptimizer(0.3).minimize(loss)
            sess.run(tf.compat.v1.global_variables_initializer())
            x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
            y = np.array([[0], [1], [1], [0]], np.float32)
            start = sess.run(loss, {X: x, Y: y})
            de.explain("deeplift", out, X, x)  # explaining in between does not disturb training
            for _ in range(300):
                sess.run(step, {X: x, Y: y})
            assert sess.run(loss, {X: x, Y: y}) < 0.2 * start


@pytest.mark.session
def test_tensors_built_outside_the_context_warn_loudly():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        X = tf.compat.v1.placeholder(tf.float32, [None, 2])
        T = simpler_model(X)
        with DeepExplain(session=sess) as de:
            with pytest.warns(UserWarning, match=r"\['Relu'\].*outside the DeepExplain context"):
                de.explain("deeplift", T, X, XS[:, :2])
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                de.explain("grad*input", T, X, XS[:, :2])  # plain gradients need no override


def test_unsupported_nonlinearities_are_named():
    x = keras.Input((5,))
    pair = keras.layers.Maximum()([keras.layers.Dense(4)(x), keras.layers.Dense(4)(x)])
    model = with_fixed_weights(keras.Model(x, keras.layers.Dense(1)(pair)))
    with pytest.warns(UserWarning, match=r"Maximum \(of two input-dependent tensors\)"):
        deepexplain.explain("deeplift", model, XS)


def test_loops_and_nested_functions_are_named():
    # The nonlinearities inside a loop or a nested tf.function keep their plain gradients; the warning
    # says so instead of a silently incomplete DeepLIFT. (A Keras model passed as T runs its recurrent
    # layers unrolled; one called from a function of the user's does not.)
    rnn = with_fixed_weights(keras.Sequential([keras.Input((4, 2)), keras.layers.SimpleRNN(3), keras.layers.Dense(1)]))
    with pytest.warns(UserWarning, match=r"While \(a loop, conditional or nested function"):
        deepexplain.explain("deeplift", lambda x: rnn(x), np.ones((2, 4, 2), np.float32))
    # A nonlinear tf.function runs inline (test_nested_functions.py); a concrete function stays a call.
    nested = tf.function(lambda x: tf.nn.relu(x - 0.5)).get_concrete_function(tf.TensorSpec((None, 5)))
    with pytest.warns(UserWarning, match=r"PartitionedCall \(a loop, conditional or nested function"):
        deepexplain.explain("elrp", lambda x: tf.reduce_sum(nested(x), axis=1, keepdims=True), XS)


def test_every_supported_nonlinearity_is_listed():
    assert {"Relu", "Elu", "Sigmoid", "Tanh", "Softplus", "LeakyRelu", "Relu6", "Selu", "Softsign"} <= set(
        deepexplain.NONLINEARITIES
    )


def test_embedding_inputs_get_the_recipe():
    model = keras.Sequential(
        [keras.Input((4,), dtype="int32"), keras.layers.Embedding(10, 3), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="embedding output"):
        deepexplain.explain("grad*input", model, np.array([[1, 2, 3, 4]]))


# ---- errors ---------------------------------------------------------------------------------


def test_explain_outside_the_context():
    de = DeepExplain()
    with pytest.raises(RuntimeError, match="inside the context"):
        de.explain("saliency", simpler_model, xs=XS[:, :2])


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"method: expected one of .*'deeplift'.*got 'lime'"):
        deepexplain.explain("lime", simpler_model, XS[:, :2])


def test_unknown_method_parameter():
    with pytest.raises(TypeError, match=r"elrp: unexpected parameters \['steps'\]; it takes \['epsilon'\]"):
        deepexplain.explain("elrp", simpler_model, XS[:, :2], steps=3)


@pytest.mark.session
def test_t_and_x_of_the_wrong_kind():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess, DeepExplain(session=sess) as de:
        X = tf.compat.v1.placeholder(tf.float32, [None, 2])
        T = simpler_model(X)
        with pytest.raises(TypeError, match="T: expected a tf.Tensor or a Keras model"):
            de.explain("saliency", "logits", X, XS[:, :2])
        with pytest.raises(TypeError, match="X: expected a tf.Tensor"):
            de.explain("saliency", T, XS[:, :2], XS[:, :2])
        with pytest.raises(
            ValueError, match=r"xs: expected shape \('batch', 2\) \(input 'Placeholder:0' of X\), got \(6, 5\)"
        ):
            de.explain("saliency", T, X, XS)
        with pytest.raises(ValueError, match=r"xs: expected 1 input array\(s\) for X"):
            de.explain("saliency", T, X, [XS[:, :2], XS[:, :2]])


def test_eager_tensor_as_t():
    with pytest.raises(TypeError, match="eager tensor"):
        with DeepExplain() as de:
            de.explain("saliency", tf.constant(XS), None, XS)


def test_ys_must_match_the_batch_and_the_output():
    with pytest.raises(ValueError, match=r"ys: expected the same number of samples as xs \(6\), got shape \(5, 1\)"):
        deepexplain.explain("saliency", simpler_model, XS[:, :2], ys=np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"ys: expected shape \('batch', 1\), got \(6, 3\) \(ys is shaped like T\)"):
        deepexplain.explain("saliency", simpler_model, XS[:, :2], ys=np.ones((6, 3)))


def test_multiple_inputs_need_the_same_number_of_samples():
    with pytest.raises(ValueError, match=r"xs: expected every input to have the same number of samples, got \[6, 5\]"):
        deepexplain.explain("saliency", lambda ab: ab[0] + ab[1], [XS, XS[:5]])


@pytest.mark.parametrize("method", ["intgrad", "deeplift"])
def test_baseline_shape_mismatch(method):
    with pytest.raises(ValueError, match=r"baseline: expected the shape of one sample \(2,\).*got \(1, 2\)"):
        deepexplain.explain(method, simpler_model, XS[:, :2], baseline=np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"baseline: expected a list of 2 arrays"):
        deepexplain.explain(method, lambda ab: ab[0] + ab[1], [XS, XS], baseline=[np.zeros(5)] * 3)


@pytest.mark.parametrize("epsilon", [0, -1e-3, float("nan")])
def test_epsilon_must_be_positive(epsilon):
    with pytest.raises(ValueError, match="epsilon: expected a finite number > 0"):
        deepexplain.explain("elrp", simpler_model, XS[:, :2], epsilon=epsilon)


@pytest.mark.parametrize("window_shape", [(1, 1), (0,), (3,)])
def test_window_shape_of_the_wrong_rank_or_size(window_shape):
    with pytest.raises(ValueError, match="window_shape: expected"):
        deepexplain.explain("occlusion", simpler_model, XS[:, :2], window_shape=window_shape, progress=False)


def test_occlusion_with_several_inputs_points_to_shapley():
    with pytest.raises(ValueError, match="occlusion takes a single input.*shapley_sampling"):
        deepexplain.explain("occlusion", lambda ab: ab[0] + ab[1], [XS, XS], progress=False)


@pytest.mark.parametrize("dims", [[0], [2], [1, 1], "1"])
def test_sampling_dims_are_checked(dims):
    with pytest.raises(ValueError, match="sampling_dims: expected"):
        deepexplain.explain("shapley_sampling", simpler_model, XS[:, :2], sampling_dims=dims, progress=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_xs(bad):
    xs = XS[:, :2].copy()
    xs[2, 1] = bad
    with pytest.raises(ValueError, match="xs: expected finite values, got 1 NaN or infinite entries"):
        deepexplain.explain("saliency", simpler_model, xs)


@pytest.mark.parametrize("batch_size", [0, -2, 1.5])
def test_batch_size_must_be_positive(batch_size):
    with pytest.raises(ValueError, match="batch_size: expected a positive integer or None"):
        deepexplain.explain("saliency", simpler_model, XS[:, :2], batch_size=batch_size)


def test_explainer_rejects_inputs_of_another_shape():
    explainer = deepexplain.get_explainer("saliency", lambda x: tf.reduce_sum(x, axis=1, keepdims=True))
    explainer.run(XS)
    with pytest.raises(
        ValueError, match=r"xs: expected shape \('batch', 5\) \(the first run of this explainer\), got \(6, 4\)"
    ):
        explainer.run(XS[:, :4])


@pytest.mark.session
def test_session_required_in_graph_mode_without_default():
    graph = tf.Graph()
    with graph.as_default():
        with pytest.raises(ValueError, match="session: expected a tf.compat.v1.Session"):
            with DeepExplain():
                pass


def test_compat_import_path():
    from deepexplain.tensorflow import DeepExplain as Compat

    assert Compat is DeepExplain
