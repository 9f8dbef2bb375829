"""The original DeepExplain test suite's numeric cases, written as TF1 code is written.

Every test builds placeholders and ops with ``tensorflow.compat.v1`` inside
``with DeepExplain(session=sess) as de`` imported from ``deepexplain.tensorflow``,
exactly as users of the original package did, and checks the original's oracle
values on its tiny hand-built networks (section 6 of the reference notes). Run
under ``--tf1 disable_v2_behavior`` it is the original's setting: v1 shapes, no eager.
The oracles are exact because the networks are piecewise linear and their weights fixed.
"""
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from deepexplain.tensorflow import DeepExplain

pytestmark = pytest.mark.session

X_SIMPLER = np.array([[-10.0, -5.0], [3.0, 1.0]], np.float32)
ACTIVATIONS = {
    "Relu": tf.nn.relu,
    "Sigmoid": tf.nn.sigmoid,
    "Tanh": tf.nn.tanh,
    "Softplus": tf.nn.softplus,
    "Elu": tf.nn.elu,
}
GRADIENT_METHODS = ["saliency", "grad*input", "intgrad", "elrp", "deeplift"]
MASKABLE = ["intgrad", "elrp", "deeplift", "occlusion", "shapley_sampling"]


@pytest.fixture
def session():
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        yield sess


def simple_model(X, act=tf.nn.relu):
    """Two dense layers; with ReLU, [1, 0] gives [2.75, 5.5]."""
    w1 = tf.constant([[1.0, -1.0], [-1.0, 1.0]])
    b1 = tf.constant([1.5, -1.0])
    w2 = tf.constant([[1.1, 1.4], [-0.5, 1.0]])
    b2 = tf.constant([0.0, 2.0])
    return tf.matmul(act(tf.matmul(X, w1) + b1), w2) + b2


def simpler_model(X):
    """relu(relu(x1 - 1) - relu(x2)): 1 at [3, 1], 0 at [-10, -5]."""
    return tf.nn.relu(tf.nn.relu(X[:, :1] - 1.0) - tf.nn.relu(X[:, 1:]))


def min_model(X):
    return tf.reduce_min(X, axis=1, keepdims=True)


def min_model_2d(X):
    return tf.reshape(tf.reduce_min(X, axis=[1, 2]), [-1, 1])


def two_inputs(widths=(2, 2), batch=None):
    return [tf.placeholder(tf.float32, [batch, w]) for w in widths]


def concat_model(a, b):
    """relu(3 a) || relu(2 b)."""
    return tf.concat([tf.nn.relu(3.0 * a), tf.nn.relu(2.0 * b)], axis=1)


def uneven_model(a, b):
    """relu(3 a1 + 3 a2 + 2 b): inputs of widths 2 and 1."""
    return tf.nn.relu(3.0 * tf.reduce_sum(a, axis=1, keepdims=True) + 2.0 * b)


def quiet(method, **params):
    if method in ("intgrad", "occlusion", "shapley_sampling"):
        params.setdefault("progress", False)
    return params


def explain_simpler(session, method, batch=None, **params):
    with DeepExplain(session=session) as de:
        X = tf.placeholder(tf.float32, [batch, 2])
        return de.explain(method, simpler_model(X), X, X_SIMPLER, **quiet(method, **params))


class TestGeneral:
    def test_simple_model_forward(self, session):
        X = tf.placeholder(tf.float32, [None, 2])
        np.testing.assert_allclose(session.run(simple_model(X), {X: [[1.0, 0.0]]}), [[2.75, 5.5]], rtol=1e-6)

    @pytest.mark.parametrize("act", ["Elu", "Relu", "Sigmoid", "Tanh"])  # Softplus's gradient is a Sigmoid
    def test_plain_gradient_ops_outside_the_context(self, session, act):
        X = tf.placeholder(tf.float32, [None, 2])
        y = simple_model(X, ACTIVATIONS[act])
        types = {op.type for op in session.graph.get_operations()}
        tf.gradients(y, X)
        grad_types = {op.type for op in session.graph.get_operations()} - types
        assert f"{act}Grad" in grad_types

    @pytest.mark.parametrize("act", sorted(ACTIVATIONS))
    def test_override_is_stamped_inside_the_context(self, session, act):
        with DeepExplain(session=session):
            X = tf.placeholder(tf.float32, [None, 2])
            y = simple_model(X, ACTIVATIONS[act])
        stamped = [op for op in session.graph.get_operations() if op.type == act]
        assert stamped and all(op.get_attr("_gradient_op_type") == b"DeepExplainGrad" for op in stamped)
        # Forward values are those of the same network built outside the context.
        X2 = tf.placeholder(tf.float32, [None, 2])
        plain = simple_model(X2, ACTIVATIONS[act])
        x = np.array([[1.0, 0.0], [-2.0, 3.0]], np.float32)
        np.testing.assert_allclose(session.run(y, {X: x}), session.run(plain, {X2: x}), rtol=1e-6)

    def test_explain_outside_the_context_raises(self, session):
        de = DeepExplain(session=session)
        X = tf.placeholder(tf.float32, [None, 2])
        with pytest.raises(RuntimeError):
            de.explain("saliency", simpler_model(X), X, X_SIMPLER)

    def test_unknown_method_raises(self, session):
        with pytest.raises(ValueError, match="method"):
            explain_simpler(session, "invalid")

    def test_training_still_works_inside_the_context_and_after_explain(self, session):
        with DeepExplain(session=session) as de:
            X = tf.placeholder(tf.float32, [None, 2])
            Y = tf.placeholder(tf.float32, [None, 1])
            w1 = tf.Variable(np.random.default_rng(0).normal(0, 1, (2, 8)).astype(np.float32))
            w2 = tf.Variable(np.random.default_rng(1).normal(0, 1, (8, 1)).astype(np.float32))
            out = tf.matmul(tf.nn.sigmoid(tf.matmul(X, w1)), w2)
            loss = tf.reduce_mean(tf.square(out - Y))
            step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
            session.run(tf.global_variables_initializer())
            x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
            y = np.array([[0], [1], [1], [0]], np.float32)
            start = session.run(loss, {X: x, Y: y})
            de.explain("elrp", out, X, x)
            for _ in range(100):
                session.run(step, {X: x, Y: y})
            assert session.run(loss, {X: x, Y: y}) < start


@pytest.mark.parametrize("batch", [None, 3], ids=["free-batch", "fixed-batch-3"])
class TestSimplerModel:
    """The reusable oracle: simpler_model at [[-10, -5], [3, 1]]; the first row is always 0."""

    @pytest.mark.parametrize(
        "method, params, expected, decimals",
        [
            ("saliency", {}, [1, 1], 6),
            ("grad*input", {}, [3, -1], 6),
            ("intgrad", {}, [1.5, -0.5], 6),
            ("intgrad", {"steps": 500}, [1.5, -0.5], 6),
            ("elrp", {}, [3, -1], 3),
            ("elrp", {"epsilon": 1e-9}, [3, -1], 6),
            ("deeplift", {}, [2, -1], 6),
            ("occlusion", {}, [1, -1], 6),
        ],
    )
    def test_values(self, session, batch, method, params, expected, decimals):
        result = explain_simpler(session, method, batch, **params)
        np.testing.assert_array_almost_equal(result[0], [0, 0], decimals)
        np.testing.assert_array_almost_equal(result[1], expected, decimals)

    @pytest.mark.parametrize("method", GRADIENT_METHODS + ["occlusion"])
    def test_batch_size_one(self, session, batch, method):
        np.testing.assert_allclose(
            explain_simpler(session, method, batch, batch_size=1), explain_simpler(session, method, batch), atol=1e-6
        )


class TestSaliency:
    def test_two_inputs(self, session):
        with DeepExplain(session=session) as de:
            a, b = two_inputs()
            result = de.explain(
                "saliency", concat_model(a, b), [a, b], [np.array([[-1.0, -1.0]]), np.array([[3.0, 1.0]])]
            )
        np.testing.assert_allclose(result[0], [[0, 0]], atol=1e-7)
        np.testing.assert_allclose(result[1], [[2, 2]], atol=1e-7)


class TestGradientInput:
    def test_two_inputs_of_different_widths(self, session):
        with DeepExplain(session=session) as de:
            a, b = two_inputs((2, 1))
            result = de.explain("grad*input", uneven_model(a, b), [a, b], [np.array([[1.0, 0.0]]), np.array([[1.5]])])
        np.testing.assert_allclose(result[0], [[3, 0]], atol=1e-6)
        np.testing.assert_allclose(result[1], [[3]], atol=1e-6)

    def test_linear_two_input_model(self, session):
        with DeepExplain(session=session) as de:
            a, b = two_inputs((1, 1))
            result = de.explain("grad*input", 10 * a + 10 * b, [a, b], [np.array([[2.0]]), np.array([[3.0]])])
        np.testing.assert_allclose(result[0], [[20]], atol=1e-5)
        np.testing.assert_allclose(result[1], [[30]], atol=1e-5)


class TestIntegratedGradients:
    @pytest.mark.parametrize("x, expected", [([2.0, 0.0], [1.0, 0.0]), ([3.0, 0.0], [2.0, 0.0])])
    def test_baseline(self, session, x, expected):
        with DeepExplain(session=session) as de:
            X = tf.placeholder(tf.float32, [None, 2])
            result = de.explain(
                "intgrad", simpler_model(X), X, np.array([x]), baseline=np.array([1.0, 0.0]), progress=False
            )
        np.testing.assert_allclose(result[0], expected, atol=1e-6)


class TestEpsilonLRP:
    @pytest.mark.parametrize("epsilon", [0, -1.0])
    def test_epsilon_must_be_positive(self, session, epsilon):
        with pytest.raises(ValueError, match="epsilon"):
            explain_simpler(session, "elrp", epsilon=epsilon)


class TestDeepLIFT:
    def test_baseline_equal_to_the_input_gives_zero(self, session):
        with DeepExplain(session=session) as de:
            X = tf.placeholder(tf.float32, [None, 2])
            x = np.array([[3.0, 1.0]], np.float32)
            result = de.explain("deeplift", simpler_model(X), X, x, baseline=x[0])
        np.testing.assert_allclose(result, [[0.0, 0.0]], atol=1e-7)

    @pytest.mark.parametrize("act", sorted(ACTIVATIONS))
    def test_sums_to_the_output_difference(self, session, act):
        with DeepExplain(session=session) as de:
            X = tf.placeholder(tf.float32, [None, 2])
            T = simple_model(X, ACTIVATIONS[act])
            x = np.array([[1.0, 0.0], [-2.0, 3.0], [0.5, 0.5]], np.float32)
            result = de.explain("deeplift", T, X, x)
            expected = session.run(T, {X: x}).sum(1) - session.run(T, {X: np.zeros((1, 2))}).sum(1)
        np.testing.assert_allclose(result.sum(1), expected, rtol=1e-5, atol=1e-5)


class TestOcclusion:
    def test_step_two_leaves_nan_and_warns(self, session):
        with pytest.warns(UserWarning, match="uncovered"):
            result = explain_simpler(session, "occlusion", step=2)
        np.testing.assert_array_equal(result, [[0.0, np.nan], [1.0, np.nan]])

    def test_window_over_both_features(self, session):
        result = explain_simpler(session, "occlusion", window_shape=(2,))
        np.testing.assert_allclose(result, [[0.0, 0.0], [0.5, 0.5]], atol=1e-6)


class TestShapleySampling:
    @pytest.mark.parametrize("x, expected", [([2.0, -2.0], [0.0, -2.0]), ([4.0, 2.0], [1.0, 1.0])])
    def test_min_model(self, session, x, expected):
        with DeepExplain(session=session) as de:
            X = tf.placeholder(tf.float32, [None, 2])
            result = de.explain("shapley_sampling", min_model(X), X, np.array([x]), samples=300, seed=0, progress=False)
        np.testing.assert_array_almost_equal(result[0], expected, 1)

    def test_sampling_dims(self, session):
        with DeepExplain(session=session) as de:
            X = tf.placeholder(tf.float32, [None, 2, 2])
            xs = np.array([[[-1.0, 4.0], [-2.0, 1.0]]], np.float32)
            result = de.explain(
                "shapley_sampling", min_model_2d(X), X, xs, samples=300, sampling_dims=[1], seed=0, progress=False
            )
        assert result.shape == (1, 2)
        np.testing.assert_array_almost_equal(result, [[-0.5, -1.5]], 1)


@pytest.mark.parametrize("method", GRADIENT_METHODS[1:])
def test_two_inputs_every_gradient_method(session, method):
    with DeepExplain(session=session) as de:
        a, b = two_inputs()
        result = de.explain(
            method, concat_model(a, b), [a, b], [np.array([[-1.0, -1.0]]), np.array([[3.0, 1.0]])], **quiet(method)
        )
    np.testing.assert_allclose(result[0], [[0, 0]], atol=1e-3)
    np.testing.assert_allclose(result[1], [[6, 2]], atol=1e-3)


@pytest.mark.parametrize("method", MASKABLE)
def test_ys_equals_masking_the_target(session, method):
    params = quiet(method, seed=0) if method == "shapley_sampling" else quiet(method)
    x = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32)
    mask = np.array([[1.0, 0.0]], np.float32)
    with DeepExplain(session=session) as de:
        X = tf.placeholder(tf.float32, [None, 2])
        T = simple_model(X)
        masked = de.explain(method, T * mask, X, x, **params)
        weighted = de.explain(method, T, X, x, ys=np.tile(mask, (4, 1)), **params)
    np.testing.assert_allclose(masked, weighted, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", GRADIENT_METHODS[1:] + ["occlusion"])
def test_ys_is_additive(session, method):
    x = np.random.default_rng(1).normal(size=(4, 2)).astype(np.float32)
    with DeepExplain(session=session) as de:
        X = tf.placeholder(tf.float32, [None, 2])
        T = simple_model(X)
        first = de.explain(method, T, X, x, ys=np.tile([[1.0, 0.0]], (4, 1)), **quiet(method))
        second = de.explain(method, T, X, x, ys=np.tile([[0.0, 1.0]], (4, 1)), **quiet(method))
        both = de.explain(method, T, X, x, ys=np.ones((4, 2)), **quiet(method))
        none = de.explain(method, T, X, x, ys=np.zeros((4, 2)), **quiet(method))
    np.testing.assert_allclose(first + second, both, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(none, 0.0, atol=1e-7)


@pytest.mark.parametrize(
    "method, inputs",
    [(m, 1) for m in GRADIENT_METHODS + MASKABLE[-2:]] + [(m, 2) for m in GRADIENT_METHODS + ["shapley_sampling"]],
)
def test_batched_equals_unbatched(session, method, inputs):
    rng = np.random.default_rng(2)
    params = quiet(method, samples=2, seed=0) if method == "shapley_sampling" else quiet(method)
    with DeepExplain(session=session) as de:
        if inputs == 1:
            X = tf.placeholder(tf.float32, [None, 2])
            T, xs = simple_model(X), rng.normal(size=(50, 2)).astype(np.float32)
        else:
            X = two_inputs()
            T, xs = concat_model(*X), [rng.normal(size=(50, 2)).astype(np.float32) for _ in X]
        whole = de.explain(method, T, X, xs, **params)
        batched = de.explain(method, T, X, xs, batch_size=32, **params)
    np.testing.assert_allclose(whole, batched, rtol=1e-5, atol=1e-6)
