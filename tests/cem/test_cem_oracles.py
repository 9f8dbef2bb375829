"""CEM oracles: class conditions, position relative to no_info_val, bounds, batching, styles.

Every model has fixed weights (see conftest), and no assertion depends on how a batch is
composed or on rounding: batches are compared bit for bit only where no operation mixes rows.
"""
import numpy as np
import pytest
from cem_models import B, W, linear_probabilities, mlp_probabilities, rational_probabilities

from cem import CEM
from cem.black_box import BlackBoxLoop
from cem.fista import Constants
from deepexplain.numerical_gradients import perturbed_rows

INSTANCES = [0, 10, 55, 70, 110]
SIXTEEN = np.linspace(0, 149, 16).astype(int)
FAST = dict(max_iterations=200, c_steps=4, c_init=1.0, learning_rate_init=5e-2)
README = dict(max_iterations=300, c_init=1.0, c_steps=5, learning_rate_init=5e-2)  # the README's iris setting


def check_pertinent(result, mode, probabilities, no_info, feature_range, kappa=0.0):
    found = result["found"]
    assert found.sum() >= 2  # the oracles below must see several solutions
    X, explanation = result["X"][found], result[mode][found]
    probs = probabilities(explanation)
    original = result["X_pred"][found]
    shift = kappa * np.eye(probs.shape[1])[original]
    no_info = np.broadcast_to(no_info, X.shape)
    if mode == "PN":
        assert np.all((probs + shift).argmax(1) != original)
        changed = explanation != X
        assert changed.any()
        assert np.all(np.abs(explanation - no_info)[changed] > np.abs(X - no_info)[changed])
    else:  # the PP keeps the class and lies between no_info_val and x0 in every feature
        assert np.all((probs - shift).argmax(1) == original)
        assert np.all(explanation >= np.minimum(no_info, X)) and np.all(explanation <= np.maximum(no_info, X))
        elastic_net = ((explanation - no_info) ** 2).sum(1) + 0.1 * np.abs(explanation - no_info).sum(1)
        np.testing.assert_allclose(result["distance"][found], elastic_net, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(result[f"{mode}_pred"][found], probs.argmax(1))
    low, high = feature_range
    assert np.all(explanation >= low - 1e-6) and np.all(explanation <= high + 1e-6)
    assert np.all(result["distance"][found] >= 0)


@pytest.mark.parametrize("mode", ["PN", "PP"])
def test_black_box_pertinents(mode, iris, feature_range):
    X, _ = iris
    cem = CEM(None, linear_probabilities, mode, (1, 4), feature_range=feature_range, kappa=0.05, **FAST).fit(X)
    result = cem.explain(X[INSTANCES])
    assert set(result) >= {"X", "X_pred", mode, f"{mode}_pred", "grads_graph", "grads_num", "found", "c", "distance"}
    check_pertinent(result, mode, linear_probabilities, cem.no_info_val_, feature_range, kappa=0.05)


@pytest.mark.parametrize("mode", ["PN", "PP"])
def test_autodiff_pertinents(mode, iris, mlp, feature_range):
    X, _ = iris
    cem = CEM(None, mlp, mode, (1, 4), feature_range=feature_range, no_info_val=-1.0, **FAST)
    result = cem.explain(X[INSTANCES])
    check_pertinent(result, mode, mlp_probabilities, -1.0, feature_range)
    np.testing.assert_array_equal(result["grads_num"][result["found"]], 0.0)


@pytest.mark.parametrize("predict", ["black box", "autodiff"])
def test_pertinent_positives_of_the_readme_setting_are_all_found(predict, iris, mlp, feature_range):
    """16 instances across the three classes, no_info_val = -1 on standardised data: every PP is
    found, keeps the class and lies between no_info_val and x0."""
    X, _ = iris
    model = mlp_probabilities if predict == "black box" else mlp
    result = CEM(None, model, "PP", (1, 4), feature_range=feature_range, no_info_val=-1.0, **README).explain(X[SIXTEEN])
    assert result["found"].sum() == 16
    check_pertinent(result, "PP", mlp_probabilities, -1.0, feature_range)


def test_pp_is_empty_when_the_no_information_instance_has_the_class(iris, feature_range):
    """no_info_val = -1 is class 0 for the MLP: class-0 rows get the empty PP (no_info_val, distance 0)."""
    X, _ = iris
    assert mlp_probabilities(np.full((1, 4), -1.0)).argmax() == 0
    result = CEM(None, mlp_probabilities, "PP", (1, 4), feature_range=feature_range, no_info_val=-1.0,
                 **FAST).explain(X[SIXTEEN])
    class_zero = result["X_pred"] == 0
    assert class_zero.any() and not class_zero.all()
    np.testing.assert_array_equal(result["PP_empty"], class_zero)
    np.testing.assert_array_equal(result["PP"][class_zero], -1.0)
    np.testing.assert_array_equal(result["distance"][class_zero], 0.0)
    assert np.all(result["distance"][result["found"] & ~class_zero] > 0)


def test_pp_with_no_info_zero_on_non_negative_data_is_the_kept_part_of_x0(iris):
    """With no_info_val = 0 and x0 ≥ 0 the PP is a part of x0: 0 ≤ PP ≤ x0 (the paper's δ ∈ X ∩ x0)."""
    X, _ = iris
    shifted = X - X.min(0)
    predict = lambda x: linear_probabilities(x + X.min(0))  # noqa: E731 - the same model on shifted data
    result = CEM(None, predict, "PP", (1, 4), feature_range=(0.0, float(shifted.max())), no_info_val=0.0,
                 **FAST).explain(shifted[INSTANCES])
    found = result["found"]
    assert found.sum() >= 2
    assert np.all(result["PP"][found] >= 0) and np.all(result["PP"][found] <= shifted[INSTANCES][found])


def test_batch_equals_single_runs(iris, feature_range):
    """Rows are independent: a black box made of +, −, ×, ÷ applied row by row gives bit-equal
    results alone and in a batch."""
    X, _ = iris
    for mode in ("PN", "PP"):
        cem = CEM(None, rational_probabilities, mode, (1, 4), feature_range=feature_range, no_info_val=-1.0, **FAST)
        batch = cem.explain(X[INSTANCES])
        assert batch["found"].sum() >= 2
        for row, index in enumerate(INSTANCES):
            single = cem.explain(X[index:index + 1])
            for key in ("found", "c", "distance", mode, "grads_graph", "grads_num"):
                expected = single[key][0]  # nothing found alone: a NaN row
                np.testing.assert_array_equal(np.broadcast_to(expected, np.shape(batch[key][row])), batch[key][row])


def test_numerical_hinge_gradient_matches_the_analytic_one(iris):
    """``c·∂hinge/∂x`` by central differences against the exact gradient of the linear softmax model."""
    X, _ = iris
    x = X[INSTANCES]
    cem = CEM(None, linear_probabilities, "PN", (1, 4), no_info_val=-1.0, eps=(1e-4, 1e-3))
    onehot = np.eye(3, dtype=np.float32)[linear_probabilities(x).argmax(1)]
    c = np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32)
    loop = BlackBoxLoop(cem._numpy_fista, cem.predictor, (np.full((1, 3), 1e-4), np.full((1, 4), 1e-3)), 1, None)
    consts = Constants(x, onehot, np.full_like(x, -1.0), None, None, c)
    grad = loop.hinge_gradient(consts, linear_probabilities(x), linear_probabilities(perturbed_rows(x, 1e-3)))
    p = linear_probabilities(x).astype(np.float64)
    t = onehot.argmax(1)
    other = np.where(onehot == 1, -1.0, p).argmax(1)
    dp = p[:, :, None] * (W[None] - (p[:, :, None] * W[None]).sum(1, keepdims=True))  # ∂p_j/∂x for softmax
    exact = c[:, None] * (dp[np.arange(5), t] - dp[np.arange(5), other])  # hinge f − g is active for PN here
    np.testing.assert_allclose(grad, exact, rtol=1e-3, atol=1e-4)


def iterates(cem, x, steps=5, c=20.0):
    """The slack and iterate after ``steps`` compiled FISTA steps of a PN round from x0."""
    onehot = np.eye(3, dtype=np.float32)[linear_probabilities(x).argmax(1)]
    run = cem._loop(x, onehot, np.full((1, 3), 1e-4, np.float32))
    low, high = (np.broadcast_to(b, x.shape) for b in cem.feature_range)
    consts = Constants(x, onehot, np.full_like(x, -1.0), low, high, np.full(len(x), c, np.float32))
    best = [np.full(len(x), 1e10, np.float32), x, np.zeros_like(x), np.zeros_like(x)]
    state = run(consts, cem._numpy_fista.initial_state(consts, *best), 0, steps)
    return np.asarray(state[0]), np.asarray(state[1])


def test_autodiff_loop_follows_the_numpy_reference(iris, feature_range):
    """Eager style: the compiled loop on a Keras 3 model takes the same steps as the NumPy loop on
    the same weights (whose gradient is a central difference, hence the tolerance)."""
    import keras

    X, _ = iris
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.set_weights([W.T, B])
    params = dict(feature_range=feature_range, no_info_val=-1.0, learning_rate_init=5e-2, eps=(1e-4, 1e-3))
    graph = iterates(CEM(None, model, "PN", (1, 4), **params), X[INSTANCES])
    numpy = iterates(CEM(None, linear_probabilities, "PN", (1, 4), **params), X[INSTANCES])
    assert np.abs(graph[0] - X[INSTANCES]).max() > 0.05  # the steps moved
    np.testing.assert_allclose(graph[0], numpy[0], atol=1e-3)
    np.testing.assert_allclose(graph[1], numpy[1], atol=1e-3)


@pytest.mark.session
def test_session_style(iris, feature_range):
    """Session style (tf_keras in a tf.compat.v1 graph): the same steps as the NumPy reference,
    the oracles on a full run, and no ops added by a second run."""
    import tensorflow as tf
    import tf_keras
    from cem_models import fixed_mlp

    X, _ = iris
    params = dict(feature_range=feature_range, no_info_val=-1.0, learning_rate_init=5e-2, eps=(1e-4, 1e-3))
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        linear = tf_keras.Sequential([tf_keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
        linear.set_weights([W.T, B])
        mlp = fixed_mlp(tf_keras)
        steps = iterates(CEM(sess, linear, "PN", (1, 4), **params), X[INSTANCES])
        results = {}
        for mode in ("PN", "PP"):
            cem = CEM(sess, mlp, mode, (1, 4), feature_range=feature_range, no_info_val=-1.0, **FAST)
            results[mode] = cem.explain(X[INSTANCES])
            ops = len(graph.get_operations())
            again = cem.explain(X[INSTANCES])
            assert len(graph.get_operations()) == ops  # compiled once, no ops added per call
            np.testing.assert_array_equal(again["found"], results[mode]["found"])
    numpy = iterates(CEM(None, linear_probabilities, "PN", (1, 4), **params), X[INSTANCES])
    np.testing.assert_allclose(steps[0], numpy[0], atol=1e-3)
    np.testing.assert_allclose(steps[1], numpy[1], atol=1e-3)
    for mode, result in results.items():
        check_pertinent(result, mode, mlp_probabilities, -1.0, feature_range)


def test_eager_explain_never_retraces(iris, mlp, feature_range):
    X, _ = iris
    cem = CEM(None, mlp, "PP", (1, 4), feature_range=feature_range, no_info_val=-1.0, max_iterations=20, c_steps=2)
    cem.explain(X[:3])
    traces = cem.runtime.trace_count, cem._loop_runtime.trace_count
    assert traces[1] >= 1  # the in-graph loop was traced once
    cem.explain(X[5:12])
    assert (cem.runtime.trace_count, cem._loop_runtime.trace_count) == traces


def test_identity_autoencoder_adds_nothing_and_a_constant_one_changes_the_solution(iris, mlp, feature_range):
    """γ‖AE(x) − x‖² has a zero gradient for the identity: bit-equal results (black box); an
    autoencoder returning zeros pulls the solution elsewhere (both paths)."""
    import keras

    X, _ = iris
    identity = keras.Sequential([keras.Input((4,)), keras.layers.Identity()])
    constant = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, kernel_initializer="zeros")])
    params = dict(feature_range=feature_range, no_info_val=-1.0, **FAST)
    plain = CEM(None, mlp_probabilities, "PN", (1, 4), **params).explain(X[INSTANCES])
    with_identity = CEM(None, mlp_probabilities, "PN", (1, 4), gamma=10.0, ae_model=identity, **params).explain(
        X[INSTANCES])
    assert plain["found"].sum() >= 2
    for key in ("found", "c", "PN", "distance"):
        np.testing.assert_array_equal(with_identity[key], plain[key])
    for model in (mlp_probabilities, mlp):
        changed = CEM(None, model, "PN", (1, 4), gamma=10.0, ae_model=constant, **params).explain(X[INSTANCES])
        assert not np.allclose(np.nan_to_num(changed["PN"]), np.nan_to_num(plain["PN"]), atol=1e-2)


def test_fit_sets_the_feature_wise_median_or_mean(iris):
    X, _ = iris
    cem = CEM(None, linear_probabilities, "PN", (1, 4))
    np.testing.assert_allclose(cem.fit(X).no_info_val_, np.median(X, 0, keepdims=True))
    np.testing.assert_allclose(cem.fit(X, no_info_type="mean").no_info_val_, X.mean(0, keepdims=True), atol=1e-6)


def test_nothing_found_warns_and_returns_nan_rows(iris, mlp, feature_range):
    X, _ = iris
    cem = CEM(None, mlp, "PN", (1, 4), feature_range=feature_range, no_info_val=-1.0, max_iterations=2, c_steps=1,
              c_init=1e-6, learning_rate_init=1e-6)
    with pytest.warns(UserWarning, match="No PN found"):
        result = cem.explain(X[:2])
    assert not result.found.any()
    for key in ("PN", "grads_graph", "grads_num"):
        assert result[key].shape == (2, 4) and np.isnan(result[key]).all()
    np.testing.assert_array_equal(result.PN_pred, [-1, -1])
    assert np.isnan(result.distance).all() and result.PP is None and result.meta["params"]["mode"] == "PN"
    np.testing.assert_array_equal(result["X_pred"], mlp_probabilities(X[:2]).argmax(1))


@pytest.mark.parametrize("mode", ["PN", "PP"])
def test_empty_batch_gives_empty_results(mode, iris, mlp):
    for model in (linear_probabilities, mlp):
        result = CEM(None, model, mode, (1, 4), no_info_val=-1.0).explain(np.zeros((0, 4), np.float32))
        assert result[mode].shape == (0, 4) and result["found"].shape == (0,) and result["distance"].shape == (0,)
        assert result["X_pred"].shape == (0,) and result["grads_num"].shape == (0, 4)
        other = "PP" if mode == "PN" else "PN"
        assert result[other] is None and result[f"{other}_pred"] is None  # the same entries in both modes (alibi)
        assert (result.PP_empty is None) == (mode == "PN")


@pytest.mark.parametrize("verbose, shown", [(True, True), (False, False)])
def test_progress_bar(verbose, shown, iris, capsys):
    X, _ = iris
    CEM(None, linear_probabilities, "PN", (1, 4), no_info_val=-1.0, max_iterations=20, c_steps=2).explain(
        X[:2], verbose=verbose)
    assert ("iterations" in capsys.readouterr().err) == shown


@pytest.mark.parametrize("mode", ["PN", "PP"])
def test_image_shaped_instances_with_an_autoencoder(mode, iris, mlp, feature_range):
    """Instances of shape (2, 2, 1) and an autoencoder on them, through the compiled loop."""
    import keras

    X, _ = iris
    images = X[INSTANCES].reshape(-1, 2, 2, 1)
    model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), mlp])
    identity = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Identity()])
    low, high = (np.reshape(b, (1, 2, 2, 1)) for b in feature_range)
    result = CEM(None, model, mode, (1, 2, 2, 1), feature_range=(low, high), no_info_val=-1.0, gamma=1.0,
                 ae_model=identity, **FAST).explain(images)
    assert result[mode].shape == images.shape
    flat = {**result, "X": result["X"].reshape(-1, 4), mode: result[mode].reshape(-1, 4)}
    check_pertinent(flat, mode, mlp_probabilities, -1.0, feature_range)


@pytest.mark.session
def test_session_style_autoencoder_counterfactual_and_black_box(iris, feature_range):
    """Session style: an autoencoder (and its shape check), Counterfactual on a tf_keras model,
    and a black box that needs no session even in a process ported to TF1."""
    import tensorflow as tf
    import tf_keras
    from cem_models import fixed_mlp

    from cem import Counterfactual

    X, _ = iris
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        mlp = fixed_mlp(tf_keras)
        identity = tf_keras.Sequential([tf_keras.layers.Activation("linear", input_shape=(4,))])
        squeeze = tf_keras.Sequential([tf_keras.layers.Dense(3, input_shape=(4,))])
        sess.run(tf.compat.v1.variables_initializer(squeeze.variables))
        params = dict(feature_range=feature_range, no_info_val=-1.0, gamma=1.0, **FAST)
        result = CEM(sess, mlp, "PP", (1, 4), ae_model=identity, **params).explain(X[INSTANCES])
        with pytest.raises(ValueError, match="ae_model: expected an autoencoder returning its input's shape"):
            CEM(sess, mlp, "PP", (1, 4), ae_model=squeeze, **params).explain(X[INSTANCES])
        explainer = Counterfactual(mlp, (X.min(0), X.max(0)), sess=sess, random_state=0)
        (cf,) = explainer.generate(X[60], 2, max_iterations=300)
    check_pertinent(result, "PP", mlp_probabilities, -1.0, feature_range)
    assert mlp_probabilities(cf[None]).argmax() == 2
    black_box = CEM(None, linear_probabilities, "PN", (1, 4), feature_range=feature_range, no_info_val=-1.0, **FAST)
    check_pertinent(black_box.explain(X[INSTANCES]), "PN", linear_probabilities, -1.0, feature_range)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_models_of_other_float_types(dtype, iris, feature_range):
    """float64 and float16 Keras models: cast at the boundary, the same oracles hold."""
    import keras
    from cem_models import MLP_WEIGHTS

    X, _ = iris
    model = keras.Sequential([keras.Input((4,), dtype=dtype), keras.layers.Dense(8, activation="relu", dtype=dtype),
                              keras.layers.Dense(3, activation="softmax", dtype=dtype)])
    model.set_weights([w.astype(dtype) for w in MLP_WEIGHTS])
    result = CEM(None, model, "PN", (1, 4), feature_range=feature_range, no_info_val=-1.0, **FAST).explain(X[INSTANCES])
    if dtype == "float64":
        check_pertinent(result, "PN", lambda x: model(x.astype(dtype)).numpy(), -1.0, feature_range)
    else:  # float16 probabilities tie at the class boundary: only CEM's own predictions are comparable
        found = result["found"]
        assert found.any() and np.all(result["PN_pred"][found] != result["X_pred"][found])
