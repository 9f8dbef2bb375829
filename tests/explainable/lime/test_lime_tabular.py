"""LimeTabular: recovers linear models, samples as lime, repeats with a seed, checks its input."""
import warnings

import matplotlib
import numpy as np
import pytest
from fixed_models import kinds, linear_model, logistic_model, sigmoid
from scipy.stats import truncnorm
from sklearn.linear_model import Ridge

from deepexplain.explainable import LimeTabular
from deepexplain.explainable.lime.lime_surrogate import fit_surrogate

RNG = np.random.default_rng(0)
X_TRAIN = RNG.normal(size=(400, 4)) * [1.0, 2.0, 0.5, 1.0] + [0.0, 1.0, -1.0, 3.0]
WEIGHTS = np.array([2.0, -0.8, 1.5, -0.3])


@kinds
def test_without_discretisation_the_weights_are_the_coefficients_in_standard_units(kind):
    explainer = LimeTabular(linear_model(kind, WEIGHTS, 0.5), data=X_TRAIN, discretize_continuous=False,
                            progress=False)
    explanation = explainer.explain(X_TRAIN[0], num_features=4, random_state=0)
    expected = WEIGHTS * X_TRAIN.std(axis=0)  # f is linear in the standardised features
    order = np.argsort(-np.abs(expected))
    np.testing.assert_array_equal(explanation["feature_indices"], order)
    np.testing.assert_allclose(explanation["feature_weights"], expected[order], rtol=1e-2)
    assert explanation["score"] > 0.999
    assert explanation["feature_names"] == [f"x{i}" for i in order]
    np.testing.assert_allclose(explanation["feature_values"], X_TRAIN[0, order])
    np.testing.assert_allclose(explanation["prediction"], [X_TRAIN[0] @ WEIGHTS + 0.5], rtol=1e-5)
    np.testing.assert_allclose(explanation["local_prediction"], explanation["prediction"][0], rtol=1e-2)


@kinds
def test_discretised_signs_and_ranking_follow_the_coefficients(kind):
    # every feature in its top quartile: the weight of "x_j in the instance's bin" has the sign of w_j,
    # and (identically distributed features) a size that grows with |w_j|
    train = RNG.normal(size=(1000, 4))
    sample = np.full(4, 1.5)
    explainer = LimeTabular(logistic_model(kind, WEIGHTS / 2), data=train, progress=False)
    explanation = explainer.explain(sample, num_features=4, num_samples=5000, label=1, random_state=1)
    order = np.argsort(-np.abs(WEIGHTS))
    np.testing.assert_array_equal(explanation["feature_indices"], order)
    np.testing.assert_array_equal(np.sign(explanation["feature_weights"]), np.sign(WEIGHTS[order]))
    assert 0 < explanation["score"] <= 1
    assert explanation["label"] == 1 and explanation["class_name"] == "1"
    np.testing.assert_allclose(explanation["prediction"][1], sigmoid(sample @ WEIGHTS / 2), rtol=1e-5)
    cuts = np.percentile(train[:, order[0]], [25, 50, 75])
    assert explanation["feature_rules"][0] == f"x{order[0]} > {cuts[-1]:.2f}"


def test_the_same_random_state_repeats_exactly_and_another_differs():
    explainer = LimeTabular(linear_model("sklearn", WEIGHTS), data=X_TRAIN, progress=False)
    first, again = (explainer.explain(X_TRAIN[3], random_state=7) for _ in range(2))
    other = explainer.explain(X_TRAIN[3], random_state=8)
    for key in ("feature_weights", "intercept", "score", "local_prediction"):
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first["feature_weights"], other["feature_weights"])


def test_samples_follow_the_training_frequencies_and_stay_in_their_bins():
    train = np.column_stack([RNG.normal(size=2000), RNG.choice([0.0, 1.0, 5.0], size=2000, p=[0.6, 0.3, 0.1])])
    explainer = LimeTabular(linear_model("sklearn", [1.0, 1.0]), categorical_features=[1], data=train,
                            progress=False)
    x = np.array([0.1, 1.0])
    binary, rows = explainer.sample(x, 20000, np.random.default_rng(0))
    np.testing.assert_array_equal(rows[0], x)
    assert set(np.unique(rows[1:, 1])) == {0.0, 1.0, 5.0}
    for value, frequency in [(0.0, 0.6), (1.0, 0.3), (5.0, 0.1)]:
        assert abs(np.mean(rows[1:, 1] == value) - frequency) < 0.015
    np.testing.assert_array_equal(binary[:, 1], rows[:, 1] == 1.0)
    cuts = explainer.cuts_[0]
    bins = np.searchsorted(cuts, rows[:, 0])
    np.testing.assert_array_equal(binary[:, 0], bins == np.searchsorted(cuts, x[0]))
    assert np.all(np.abs(np.bincount(bins) / len(bins) - 0.25) < 0.015)  # quartiles: each bin a quarter
    assert rows[:, 0].min() >= train[:, 0].min() and rows[:, 0].max() <= train[:, 0].max()
    inner = bins == 1
    # lime's draw inside a bin: the normal of the bin's training mean and std, truncated to the bin
    in_bin = train[np.searchsorted(cuts, train[:, 0]) == 1, 0]
    mean, std = in_bin.mean(), in_bin.std()
    expected = truncnorm((cuts[0] - mean) / std, (cuts[1] - mean) / std, loc=mean, scale=std)
    np.testing.assert_allclose(rows[inner, 0].mean(), expected.mean(), atol=0.005)
    np.testing.assert_allclose(rows[inner, 0].std(), expected.std(), rtol=0.03)


def test_deciles_and_sampling_around_the_instance():
    explainer = LimeTabular(linear_model("sklearn", WEIGHTS), data=X_TRAIN, discretizer="decile", progress=False)
    assert all(len(cuts) == 9 for cuts in explainer.cuts_.values())
    binary, rows = explainer.sample(X_TRAIN[0], 20000, np.random.default_rng(0))
    np.testing.assert_allclose(binary[1:].mean(axis=0), 0.1, atol=0.01)  # the instance's decile, 1 in 10
    around = LimeTabular(linear_model("sklearn", WEIGHTS), data=X_TRAIN, discretize_continuous=False,
                         sample_around_instance=True, progress=False)
    _, rows = around.sample(X_TRAIN[0], 20000, np.random.default_rng(0))
    np.testing.assert_allclose(rows.mean(axis=0), X_TRAIN[0], atol=0.05)
    np.testing.assert_allclose(rows.std(axis=0), X_TRAIN.std(axis=0), rtol=0.03)


def test_the_surrogate_is_scikit_learns_weighted_ridge_and_forward_selection_finds_the_signal():
    data = RNG.normal(size=(500, 6))
    targets = data @ [3.0, 0, 0, -2.0, 0, 0] + 0.1 * RNG.normal(size=500)
    weights = RNG.random(500)
    surrogate = fit_surrogate(data, targets, weights, 6, "none")
    ridge = Ridge(alpha=1.0).fit(data, targets, sample_weight=weights)
    np.testing.assert_allclose(surrogate["weights"], ridge.coef_[surrogate["features"]], rtol=1e-10)
    np.testing.assert_allclose(surrogate["intercept"], ridge.intercept_, atol=1e-12)
    np.testing.assert_allclose(surrogate["score"], ridge.score(data, targets, sample_weight=weights), rtol=1e-12)
    np.testing.assert_allclose(surrogate["local_prediction"], ridge.predict(data[:1])[0], rtol=1e-12)
    for selection in ("forward_selection", "highest_weights", "auto"):
        assert sorted(fit_surrogate(data, targets, weights, 2, selection)["features"]) == [0, 3]


def test_names_rules_and_plot():
    explainer = LimeTabular(logistic_model("sklearn", WEIGHTS), feature_names=["a", "b", "c", "d"],
                            class_names=["no", "yes"], data=X_TRAIN, progress=False)
    explanation = explainer.explain(X_TRAIN[1], num_features=3, random_state=0)
    assert len(explanation["feature_names"]) == 3 and set(explanation["feature_names"]) <= {"a", "b", "c", "d"}
    assert explanation["class_name"] in ("no", "yes")
    figure = explainer.plot_explanation(explanation)
    assert isinstance(figure, matplotlib.figure.Figure)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == explanation["feature_rules"]


@pytest.mark.parametrize("arguments, message", [
    (dict(kernel_width=0), "kernel_width"),
    (dict(discretizer="entropy"), "discretizer"),
    (dict(feature_selection="lasso"), "feature_selection"),
    (dict(categorical_features="a"), "categorical_features"),
    (dict(categorical_features=[7]), "categorical_features"),
    (dict(feature_names=["a"]), "feature_names"),
    (dict(data=np.zeros(5)), "data"),
    (dict(data=[["a", "b"]]), "data"),
])
def test_bad_constructor_arguments_are_named(arguments, message):
    arguments.setdefault("data", X_TRAIN)
    with pytest.raises((ValueError, TypeError), match=message):
        LimeTabular(linear_model("sklearn", WEIGHTS), **arguments)


@pytest.mark.parametrize("arguments, message", [
    (dict(sample=np.zeros(3)), "sample"),
    (dict(num_features=0), "num_features"),
    (dict(num_samples=1), "num_samples"),
    (dict(random_state=-1), "random_state"),
    (dict(label=2), "label"),
])
def test_bad_explain_arguments_are_named(arguments, message):
    explainer = LimeTabular(linear_model("sklearn", WEIGHTS), data=X_TRAIN, progress=False)
    arguments.setdefault("sample", X_TRAIN[0])
    with pytest.raises(ValueError, match=message):
        explainer.explain(**arguments)


def test_without_training_data_it_samples_around_the_sample_and_says_so_once():
    # z_j = x_j + |x_j|·n_j for continuous j (weight w_j·|x_j|), a categorical j kept or set to 0 (weight w_j·x_j)
    explainer = LimeTabular(linear_model("sklearn", WEIGHTS, 0.5), feature_names=["a", "b", "c", "d"],
                            categorical_features=[2], kernel_width=0.75, progress=False)
    sample = np.array([1.0, -2.0, 3.0, 0.5])
    with pytest.warns(UserWarning, match="data=X_train"):
        explanation = explainer.explain(sample=sample, num_features=4, num_samples=5000, random_state=0)
    expected = WEIGHTS * np.array([1.0, 2.0, 3.0, 0.5])
    order = np.argsort(-np.abs(expected))
    np.testing.assert_array_equal(explanation.feature_indices, order)
    np.testing.assert_allclose(explanation.feature_weights, expected[order], rtol=2e-2)
    assert explanation.feature_names == ["c", "a", "b", "d"]
    assert explanation.meta["params"]["sampling"] == "around the sample"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explainer.explain(sample, num_samples=50, random_state=0)  # the warning comes once per explainer
    with pytest.raises(ValueError, match="sample: expected 4 features"):
        explainer.explain(np.zeros(3))


@pytest.mark.session
def test_session_style_tf_keras_model_gives_the_coefficients():
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        model = linear_model("tf_keras", WEIGHTS, 0.5)
        explainer = LimeTabular(model, data=X_TRAIN, discretize_continuous=False, progress=False, session=session)
        explanation = explainer.explain(X_TRAIN[0], num_features=4, random_state=0)
        operations = len(graph.get_operations())
        again = explainer.explain(X_TRAIN[0], num_features=4, random_state=0)
        assert len(graph.get_operations()) == operations  # compiled once
    expected = WEIGHTS * X_TRAIN.std(axis=0)
    order = np.argsort(-np.abs(expected))
    np.testing.assert_array_equal(explanation["feature_indices"], order)
    np.testing.assert_allclose(explanation["feature_weights"], expected[order], rtol=1e-2)
    np.testing.assert_array_equal(explanation["feature_weights"], again["feature_weights"])
