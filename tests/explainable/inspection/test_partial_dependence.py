"""PartialDependence: scikit-learn's brute-force numbers and grids, exact on linear models."""
import matplotlib
import numpy as np
import pytest
from fixed_models import kinds, linear_model, logistic_model, sigmoid
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.inspection import partial_dependence

from deepexplain.explainable import PartialDependence

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def classifier():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[::3], y[::3]
    return RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y), X


@pytest.fixture(scope="module")
def regressor():
    X, y = load_diabetes(return_X_y=True)
    X, y = X[::2], y[::2]
    return GradientBoostingRegressor(n_estimators=20, max_depth=2, random_state=0).fit(X, y), X


@pytest.mark.parametrize("which, feature", [("classifier", 0), ("classifier", 7), ("regressor", 2),
                                            ("regressor", 1)])  # diabetes feature 1 has 2 values
def test_one_feature_equals_scikit_learns_brute_force(which, feature, request):
    model, X = request.getfixturevalue(which)
    ours = PartialDependence(model, progress=False).compute(X, feature, grid_resolution=20)
    theirs = partial_dependence(model, X, [feature], method="brute", grid_resolution=20, kind="both")
    np.testing.assert_array_equal(ours["feature_values"], theirs["grid_values"][0])
    np.testing.assert_allclose(ours["predictions"], theirs["average"][0], atol=1e-6)
    np.testing.assert_allclose(ours["individual"], theirs["individual"][0], atol=1e-6)


@pytest.mark.parametrize("which, features", [("classifier", (0, 7)), ("regressor", (2, 1))])
def test_two_features_equal_scikit_learns_brute_force(which, features, request):
    model, X = request.getfixturevalue(which)
    ours = PartialDependence(model, progress=False).compute_2d(X, *features, grid_resolution=12)
    theirs = partial_dependence(model, X, [features], method="brute", grid_resolution=12)
    np.testing.assert_array_equal(ours["feature1_values"], theirs["grid_values"][0])
    np.testing.assert_array_equal(ours["feature2_values"], theirs["grid_values"][1])
    np.testing.assert_allclose(ours["predictions"], theirs["average"][0], atol=1e-6)
    grid1, grid2 = np.meshgrid(*theirs["grid_values"], indexing="ij")
    np.testing.assert_array_equal(ours["feature1_grid"], grid1)
    np.testing.assert_array_equal(ours["feature2_grid"], grid2)


@kinds
def test_linear_and_logistic_models_give_their_closed_forms(kind):
    X = RNG.normal(size=(60, 3))
    weights = np.array([1.5, -2.0, 0.5])
    curve = PartialDependence(linear_model(kind, weights, 0.3), progress=False).compute(X, 1, grid_resolution=7)
    rest = X @ weights - X[:, 1] * weights[1] + 0.3
    np.testing.assert_allclose(curve["individual"], rest[:, None] + weights[1] * curve["feature_values"], atol=1e-5)
    np.testing.assert_allclose(curve["predictions"], rest.mean() + weights[1] * curve["feature_values"], atol=1e-5)
    surface = PartialDependence(logistic_model(kind, weights), progress=False).compute_2d(X, 0, 2, grid_resolution=5)
    g1, g2 = surface["feature1_grid"], surface["feature2_grid"]
    logits = X[:, 1, None, None] * weights[1] + weights[0] * g1 + weights[2] * g2
    np.testing.assert_allclose(surface["predictions"], sigmoid(logits).mean(axis=0), atol=1e-6)


def test_target_selects_outputs_and_batches_do_not_matter():
    X = RNG.normal(size=(40, 2))

    def three_outputs(rows):
        return np.column_stack([rows[:, 0], 2 * rows[:, 0], rows[:, 1]])

    everything = PartialDependence(three_outputs, progress=False).compute(X, 0, grid_resolution=5)
    assert everything["predictions"].shape == (5, 3) and everything["individual"].shape == (40, 5, 3)
    second = PartialDependence(three_outputs, target=1, batch_size=7, progress=False).compute(X, 0, grid_resolution=5)
    np.testing.assert_allclose(second["predictions"], everything["predictions"][:, 1], rtol=1e-12)
    with pytest.raises(ValueError, match="target"):
        PartialDependence(three_outputs, target=3, progress=False).compute(X, 0)


def test_plots_return_figures(regressor):
    model, X = regressor
    calculator = PartialDependence(model, progress=False)
    curve = calculator.compute(X, 2, grid_resolution=10)
    figure = calculator.plot(curve, "bmi", max_ice=20)
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes[0].lines) == 21
    surface = calculator.compute_2d(X, 2, 3, grid_resolution=6)
    for kind in ("contour", "surface"):
        assert isinstance(calculator.plot_2d(surface, ("bmi", "bp"), kind=kind), matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="kind"):
        calculator.plot_2d(surface, kind="bars")


@pytest.mark.parametrize("arguments, message", [
    (dict(feature_idx=5), "feature_idx"),
    (dict(feature_idx=1.0), "feature_idx"),
    (dict(grid_resolution=1), "grid_resolution"),
    (dict(percentiles=(0.9, 0.1)), "percentiles"),
    (dict(percentiles=0.5), "percentiles"),
    (dict(feature_idx=2), "percentiles"),  # 98 % ones: the percentiles coincide
])
def test_bad_compute_arguments_are_named(arguments, message):
    X = np.column_stack([RNG.normal(size=(200, 2)), np.r_[np.ones(196), 2.0, 3.0, 4.0, 5.0]])
    with pytest.raises(ValueError, match=message):
        PartialDependence(linear_model("sklearn", [1.0, 1.0, 1.0]), progress=False).compute(
            X, **{"feature_idx": 0, "grid_resolution": 3, **arguments})


def test_bad_compute_2d_arguments_are_named():
    X = RNG.normal(size=(20, 3))
    calculator = PartialDependence(linear_model("sklearn", [1.0, 1.0, 1.0]), progress=False)
    with pytest.raises(ValueError, match="feature_idx2"):
        calculator.compute_2d(X, 1, 1)
    with pytest.raises(ValueError, match="feature_idx1"):
        calculator.compute_2d(X, -4, 1)
    with pytest.raises(ValueError, match="X"):
        calculator.compute_2d(X[0], 0, 1)
    with pytest.raises(ValueError, match="target"):
        PartialDependence(linear_model("sklearn", [1.0]), target="positive")


@pytest.mark.session
def test_session_style_tf_keras_model_gives_the_closed_form():
    import tensorflow as tf

    X = RNG.normal(size=(50, 3))
    weights = np.array([1.5, -2.0, 0.5])
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        calculator = PartialDependence(logistic_model("tf_keras", weights), progress=False, session=session)
        curve = calculator.compute(X, 2, grid_resolution=6)
        surface = calculator.compute_2d(X, 0, 1, grid_resolution=4)
    logits = X @ weights - X[:, 2] * weights[2]
    expected = sigmoid(logits[:, None] + weights[2] * curve["feature_values"])
    np.testing.assert_allclose(curve["individual"], expected, atol=1e-6)
    g1, g2 = surface["feature1_grid"], surface["feature2_grid"]
    expected = sigmoid(X[:, 2, None, None] * weights[2] + weights[0] * g1 + weights[1] * g2).mean(axis=0)
    np.testing.assert_allclose(surface["predictions"], expected, atol=1e-6)
