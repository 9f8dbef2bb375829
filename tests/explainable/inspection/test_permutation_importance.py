"""PermutationImportance: ignored features get 0, known models are ranked and sized right."""
import matplotlib
import numpy as np
import pytest
from fixed_models import kinds, linear_model, logistic_model

from deepexplain.explainable import PermutationImportance

RNG = np.random.default_rng(0)
X = RNG.normal(size=(500, 4))
WEIGHTS = np.array([3.0, -1.5, 0.0, 0.5])  # feature 2 is ignored
Y = X @ WEIGHTS


@kinds
def test_a_known_linear_model_is_ranked_and_sized_as_theory_says(kind):
    result = PermutationImportance(linear_model(kind, WEIGHTS), metric="neg_mean_squared_error", n_repeats=10,
                                   random_state=0, progress=False).compute(X, Y)
    assert result["importances"].shape == (4, 10)
    assert abs(result["baseline"]) < 1e-9
    assert np.all(np.abs(result["importances"][2]) < 1e-9)
    np.testing.assert_array_equal(np.argsort(-result["mean"]), [0, 1, 3, 2])
    # shuffling x_j raises the squared error by w_j² (x_j − x_j')², 2 w_j² var(x_j) in expectation
    np.testing.assert_allclose(result["mean"], 2 * WEIGHTS ** 2 * X.var(axis=0), rtol=0.15, atol=1e-6)
    np.testing.assert_allclose(result["std"], result["importances"].std(axis=1))


@kinds
def test_accuracy_of_a_classifier_ignores_the_unused_feature(kind):
    labels = (X @ WEIGHTS > 0).astype(int)
    model = logistic_model(kind, WEIGHTS)
    result = PermutationImportance(model, metric="accuracy", random_state=1, progress=False).compute(X, labels)
    assert result["baseline"] == 1.0
    assert np.all(result["importances"][2] == 0)
    np.testing.assert_array_equal(np.argsort(-result["mean"])[:3], [0, 1, 3])


def test_r2_and_accuracy_baselines_are_scikit_learns_scores():
    from sklearn.linear_model import LinearRegression, LogisticRegression

    noisy = Y + RNG.normal(size=len(Y))
    regression = LinearRegression().fit(X, noisy)
    result = PermutationImportance(regression, metric="r2", n_repeats=2, progress=False).compute(X, noisy)
    np.testing.assert_allclose(result["baseline"], regression.score(X, noisy), rtol=1e-12)
    names = np.where(noisy > 0, "high", "low")
    classifier = LogisticRegression().fit(X, names)
    result = PermutationImportance(classifier, n_repeats=2, progress=False).compute(X, names)
    np.testing.assert_allclose(result["baseline"], classifier.score(X, names), rtol=1e-12)


def test_batched_equals_unbatched_and_seeds_repeat():
    model = linear_model("sklearn", WEIGHTS)
    whole = PermutationImportance(model, "r2", n_repeats=3, random_state=4, progress=False).compute(X, Y)
    chunked = PermutationImportance(model, "r2", n_repeats=3, random_state=4, batch_size=333,
                                    progress=False).compute(X, Y)
    np.testing.assert_array_equal(whole["importances"], chunked["importances"])
    other = PermutationImportance(model, "r2", n_repeats=3, random_state=5, progress=False).compute(X, Y)
    assert not np.array_equal(whole["importances"], other["importances"])


def test_a_metric_function_gets_targets_and_predictions():
    def negative_mean_absolute_error(y, predictions):
        return -np.mean(np.abs(y - predictions[:, 0]))

    result = PermutationImportance(linear_model("sklearn", WEIGHTS), metric=negative_mean_absolute_error,
                                   n_repeats=2, random_state=0, progress=False).compute(X, Y)
    assert result["baseline"] == 0 and np.all(result["importances"][[0, 1, 3]] > 0)


def test_plot_has_error_bars_in_importance_order():
    result = PermutationImportance(linear_model("sklearn", WEIGHTS), "r2", n_repeats=3, progress=False).compute(X, Y)
    figure = PermutationImportance.plot(result, ["a", "b", "c", "d"])
    assert isinstance(figure, matplotlib.figure.Figure)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["a", "b", "d", "c"]


@pytest.mark.parametrize("arguments, message", [
    (dict(metric="f1"), "metric"),
    (dict(n_repeats=0), "n_repeats"),
    (dict(random_state=1.5), "random_state"),
    (dict(batch_size=0), "batch_size"),
])
def test_bad_constructor_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        PermutationImportance(linear_model("sklearn", WEIGHTS), **arguments)


@pytest.mark.parametrize("metric, data, targets, message", [
    ("accuracy", X[:, 0], Y, "X"),
    ("accuracy", X, Y[:-1], "y"),
    ("accuracy", [["a"] * 4] * 3, Y[:3], "X"),
    ("r2", X, np.array(["a"] * len(X)), "y"),
])
def test_bad_compute_arguments_are_named(metric, data, targets, message):
    with pytest.raises((ValueError, TypeError), match=message):
        PermutationImportance(linear_model("sklearn", WEIGHTS), metric, progress=False).compute(data, targets)


@pytest.mark.session
def test_session_style_tf_keras_model_equals_the_same_scikit_learn_model():
    import tensorflow as tf

    expected = PermutationImportance(linear_model("sklearn", WEIGHTS), "neg_mean_squared_error", n_repeats=3,
                                     random_state=2, progress=False).compute(X, Y)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        model = linear_model("tf_keras", WEIGHTS)
        result = PermutationImportance(model, "neg_mean_squared_error", n_repeats=3, random_state=2, progress=False,
                                       session=session).compute(X, Y)
    np.testing.assert_allclose(result["importances"], expected["importances"], rtol=1e-4, atol=1e-5)
