"""DeepShap: completeness against the background mean, equivalence with DeepLIFT, sampling, errors."""
import itertools
import warnings

import numpy as np
import pytest
import tensorflow as tf
from conv_networks import eager_only, max_cnn, max_mlp, model_outputs
from networks import EagerStyle, GraphStyle
from test_maxpool_rule import assert_complete

from deepexplain import DeepExplain

RNG = np.random.default_rng(3)
IMAGES = RNG.normal(size=(4, 8, 8, 2)).astype(np.float32)
IMAGE_BACKGROUND = RNG.normal(size=(6, 8, 8, 2)).astype(np.float32)
ROWS = RNG.normal(size=(10, 6)).astype(np.float32)
ROW_BACKGROUND = RNG.normal(size=(7, 6)).astype(np.float32)


@pytest.mark.parametrize(
    "network, xs, background", [(max_cnn, IMAGES, IMAGE_BACKGROUND), (max_mlp, ROWS, ROW_BACKGROUND)]
)
def test_complete_against_background_mean(style, network, xs, background):
    model = network()
    ys = np.eye(3, dtype=np.float32)[np.arange(len(xs)) % 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every op on the path has a rule: no warning
        result = style.explain("deepshap", model, xs, ys=ys, background=background)
    outputs = (model_outputs(style, model, xs) * ys).sum(axis=1)
    expected = (model_outputs(style, model, background) @ ys.T).mean(axis=0)
    assert result.shape == xs.shape
    assert_complete(result, outputs - expected)


def test_one_background_row_equals_deeplift(style):
    model = max_cnn()
    deepshap = style.explain("deepshap", model, IMAGES, background=IMAGE_BACKGROUND[:1])
    deeplift = style.explain("deeplift", model, IMAGES, baseline=IMAGE_BACKGROUND[0])
    np.testing.assert_allclose(deepshap, deeplift, rtol=1e-5, atol=1e-6)


def test_mean_of_deeplift_over_background_rows(style):
    model = max_mlp()
    deepshap = style.explain("deepshap", model, ROWS, background=ROW_BACKGROUND)
    deeplift = np.mean([style.explain("deeplift", model, ROWS, baseline=b) for b in ROW_BACKGROUND], axis=0)
    np.testing.assert_allclose(deepshap, deeplift, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_size", [14, 15, 40])
def test_batched_equals_unbatched(style, batch_size):
    model = max_mlp()
    whole = style.explain("deepshap", model, ROWS, background=ROW_BACKGROUND)
    chunks = style.explain("deepshap", model, ROWS, background=ROW_BACKGROUND, batch_size=batch_size)
    np.testing.assert_allclose(chunks, whole, rtol=1e-5, atol=1e-6)


def test_several_inputs(style):
    from networks import two_input_model

    rng = np.random.default_rng(4)
    xs = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(3, 2)).astype(np.float32)]
    background = [rng.normal(size=(4, 2)).astype(np.float32), rng.normal(size=(4, 2)).astype(np.float32)]
    a, b = style.explain("deepshap", two_input_model, xs, background=background)
    outputs = np.maximum(3 * xs[0], 0).sum(1) + np.maximum(2 * xs[1], 0).sum(1)
    reference = (np.maximum(3 * background[0], 0).sum(1) + np.maximum(2 * background[1], 0).sum(1)).mean()
    np.testing.assert_allclose(a.sum(1) + b.sum(1), outputs - reference, rtol=1e-5)


def test_max_background_subsample_is_seeded_and_complete():
    model, style = max_mlp(), EagerStyle()
    first = style.explain("deepshap", model, ROWS, background=ROW_BACKGROUND, max_background=3, seed=7)
    again = style.explain("deepshap", model, ROWS, background=ROW_BACKGROUND, max_background=3, seed=7)
    np.testing.assert_array_equal(first, again)
    # The sums match f(x) − the mean over exactly one 3-row subset of the background.
    outputs = model_outputs(style, model, ROWS).sum(axis=1)
    background_outputs = model_outputs(style, model, ROW_BACKGROUND).sum(axis=1)
    sums = first.sum(axis=1)
    matches = [
        subset for subset in itertools.combinations(range(len(ROW_BACKGROUND)), 3)
        if np.allclose(sums, outputs - background_outputs[list(subset)].mean(), rtol=1e-4, atol=1e-5)
    ]
    assert len(matches) == 1


@pytest.mark.session
def test_session_and_eager_agree():
    eager_only()
    model = max_cnn()
    graph = GraphStyle().explain("deepshap", model, IMAGES, background=IMAGE_BACKGROUND)
    eager = EagerStyle().explain("deepshap", model, IMAGES, background=IMAGE_BACKGROUND)
    np.testing.assert_allclose(graph, eager, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({}, ValueError, "background: expected an array of reference rows"),
        (
            {"background": np.zeros((3, 5))},
            ValueError,
            r"background: expected at least one row of samples shaped \(6,\)",
        ),
        ({"background": np.zeros((0, 6))}, ValueError, "background: expected at least one row"),
        ({"background": "rows"}, TypeError, "background: expected a real-valued numeric array"),
        ({"background": np.full((2, 6), np.nan)}, ValueError, "background: expected finite values"),
        (
            {"background": ROW_BACKGROUND, "max_background": 0},
            ValueError,
            "max_background: expected a positive integer",
        ),
        ({"background": ROW_BACKGROUND, "seed": -1}, ValueError, "seed: expected None, a non-negative integer"),
        (
            {"background": ROW_BACKGROUND, "batch_size": 6},
            ValueError,
            "batch_size: deepshap puts the 7 pairs of at least one sample",
        ),
        ({"background": ROW_BACKGROUND, "samples": 3}, TypeError, r"deepshap: unexpected parameters \['samples'\]"),
    ],
)
def test_errors(params, error, message):
    params = dict(params)
    batch_size = params.pop("batch_size", None)
    with pytest.raises(error, match=message):
        EagerStyle().explain("deepshap", max_mlp(), ROWS, batch_size=batch_size, **params)


@pytest.mark.session
def test_placeholder_of_fixed_batch_size():
    # Calls to a placeholder of batch size 24 hold 3 samples x 7 pairs, padded at the end to
    # 24 rows, and the background's activations come from one padded call of its own: the
    # same values as with a free batch dimension.
    import tensorflow as tf

    model = max_mlp()
    free = GraphStyle().explain("deepshap", model, ROWS, background=ROW_BACKGROUND)
    with GraphStyle().context() as de:
        X = tf.compat.v1.placeholder(tf.float32, (24, 6))
        fixed = de.explain("deepshap", model(X), X, ROWS, background=ROW_BACKGROUND)
    np.testing.assert_allclose(fixed, free, rtol=1e-5, atol=1e-6)


@pytest.mark.session
@pytest.mark.parametrize("batch", [7, 5])  # exactly one sample's pairs; fewer rows than the background
def test_calls_hold_no_background_rows(batch):
    # The background's activations are computed in calls of their own, so a placeholder of 7
    # rows holds one sample's 7 pairs; one of 5 rows cannot, and says so.
    import tensorflow as tf

    model = max_mlp()
    free = GraphStyle().explain("deepshap", model, ROWS[:3], background=ROW_BACKGROUND)
    with GraphStyle().context() as de:
        X = tf.compat.v1.placeholder(tf.float32, (batch, 6))
        if batch < len(ROW_BACKGROUND):
            with pytest.raises(ValueError, match="batch_size: deepshap puts the 7 pairs of at least one sample"):
                de.explain("deepshap", model(X), X, ROWS[:3], background=ROW_BACKGROUND)
            return
        fixed = de.explain("deepshap", model(X), X, ROWS[:3], background=ROW_BACKGROUND)
    np.testing.assert_allclose(fixed, free, rtol=1e-5, atol=1e-6)


@pytest.mark.session
def test_the_graph_keeps_only_the_users_variables():
    # The reference activations live in variables outside every collection: the user's
    # initialiser and saver see only the user's variables, and re-initialising changes nothing.
    import tensorflow as tf

    with GraphStyle().context() as de:
        X = tf.compat.v1.placeholder(tf.float32, (None, 6))
        w = tf.compat.v1.Variable(np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32), name="w")
        T = tf.nn.relu(tf.matmul(X, w))
        de.session.run(w.initializer)
        first = de.explain("deepshap", T, X, ROWS, background=ROW_BACKGROUND)
        assert [v.name for v in tf.compat.v1.global_variables()] == ["w:0"]
        de.session.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.train.Saver()
        again = de.explain("deepshap", T, X, ROWS, background=ROW_BACKGROUND)
    np.testing.assert_allclose(again, first, rtol=1e-6)


def test_default_calls_hold_a_large_background():
    # 1,500 background rows: more than the default 1,024 rows per call, so calls grow to
    # hold one sample's pairs.
    background = np.random.default_rng(9).normal(size=(1500, 6)).astype(np.float32)
    model = max_mlp()
    result = EagerStyle().explain("deepshap", model, ROWS[:3], background=background, max_background=1500)
    outputs = model_outputs(EagerStyle(), model, ROWS[:3]).sum(axis=1)
    expected = model_outputs(EagerStyle(), model, background).sum(axis=1).mean()
    assert_complete(result, outputs - expected)


def _variable_mlp():
    """``max_mlp``'s layout with its weights in variables, and a function giving them new values."""
    rng = np.random.default_rng(5)
    w1 = tf.Variable(rng.normal(0, 0.7, (6, 12)).astype(np.float32))
    w2 = tf.Variable(rng.normal(0, 0.6, (10, 3)).astype(np.float32))

    def model(x):
        h = tf.nn.leaky_relu(tf.matmul(x, w1), alpha=0.2)
        groups = tf.reduce_max(tf.reshape(h, [-1, 4, 3]), axis=2)
        pairs = tf.reduce_min(tf.reshape(h, [-1, 6, 2]), axis=-1)
        return tf.matmul(tf.concat([groups, pairs], axis=1), w2)

    new_values = [rng.normal(0, 0.7, (6, 12)).astype(np.float32), rng.normal(0, 0.6, (10, 3)).astype(np.float32)]
    return model, (w1, w2), new_values


REFERENCES = [("deeplift", {"baseline": ROW_BACKGROUND[0]}), ("deepshap", {"background": ROW_BACKGROUND})]


def _check_refreshed(before, after, fresh, outputs, reference_outputs):
    np.testing.assert_allclose(after, fresh, rtol=1e-5, atol=1e-6)
    assert np.abs(after - before).max() > 0.1  # the new weights changed the attributions
    assert_complete(after, outputs.sum(axis=1) - reference_outputs.sum(axis=1).mean())


@pytest.mark.filterwarnings("error")  # every op on the path has a rule
@pytest.mark.parametrize("method, params", REFERENCES)
def test_refresh_follows_new_weights_without_tracing_again(method, params):
    model, weights, new_values = _variable_mlp()
    with DeepExplain() as de:
        explainer = de.get_explainer(method, model, **params)
        before = explainer.run(ROWS)
        traces = explainer.runtime.trace_count
        for weight, value in zip(weights, new_values):
            weight.assign(value)
        explainer.refresh()
        after = explainer.run(ROWS)
        assert explainer.runtime.trace_count == traces
        fresh = de.get_explainer(method, model, **params).run(ROWS)
    references = params.get("background", params.get("baseline"))
    _check_refreshed(before, after, fresh, model(ROWS).numpy(), model(np.reshape(references, (-1, 6))).numpy())


@pytest.mark.session
@pytest.mark.filterwarnings("error")  # every op on the path has a rule
@pytest.mark.parametrize("method, params", REFERENCES)
def test_refresh_in_a_session_adds_no_graph_ops(method, params):
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        model, weights, new_values = _variable_mlp()
        X = tf.compat.v1.placeholder(tf.float32, (None, 6))
        with DeepExplain(session=sess) as de:
            T = model(X)
            sess.run(tf.compat.v1.global_variables_initializer())
            explainer = de.get_explainer(method, T, X, **params)
            before = explainer.run(ROWS)
            sess.run([w.assign(v) for w, v in zip(weights, new_values)])
            ops = len(graph.get_operations())
            explainer.refresh()
            after = explainer.run(ROWS)
            assert len(graph.get_operations()) == ops
            fresh = de.get_explainer(method, T, X, **params).run(ROWS)
        references = np.reshape(params.get("background", params.get("baseline")), (-1, 6))
        outputs, reference_outputs = sess.run(T, {X: ROWS}), sess.run(T, {X: references})
    _check_refreshed(before, after, fresh, outputs, reference_outputs)
