import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from cem import Counterfactual


@pytest.fixture(scope="module")
def categorical_iris(iris):
    """Iris with feature 2 coded as integers 0..4 (categorical)."""
    X, y = iris
    X = X.copy()
    X[:, 2] = np.digitize(X[:, 2], [-1.0, 0.0, 0.5, 1.0])
    return X, LogisticRegression(max_iter=500).fit(X, y)


@pytest.mark.parametrize("target", [1, 2, "other"])
def test_counterfactuals_reach_the_target_and_keep_categories_valid(target, categorical_iris):
    X, model = categorical_iris
    ranges = (X.min(0), X.max(0))
    explainer = Counterfactual(model.predict_proba, ranges, categorical_features=[2], random_state=0)
    original = X[0]
    cfs = explainer.generate(original, target, n_counterfactuals=3, max_iterations=300)
    assert len(cfs) == 3
    for cf in cfs:
        assert cf.shape == original.shape
        predicted = model.predict(cf[None])[0]
        assert predicted != 0 if target == "other" else predicted == target
        assert cf[2] in {0.0, 1.0, 2.0, 3.0, 4.0}
        assert np.all(cf >= ranges[0] - 1e-6) and np.all(cf <= ranges[1] + 1e-6)
    distances = [explainer.distance(original, cf) for cf in cfs]
    assert distances == sorted(distances) and distances[0] > 0
    np.testing.assert_allclose(cfs.distance, distances)
    np.testing.assert_array_equal(cfs.cf_pred, model.predict(np.stack(list(cfs))))
    assert cfs.X_pred == 0 and cfs.meta["method"] == "Counterfactual" and cfs[0] is cfs.counterfactuals[0]
    assert max(np.abs(cfs[0] - cf).max() for cf in cfs[1:]) > 0.05  # diverse


def test_counterfactuals_of_a_keras_model(iris, mlp):
    X, _ = iris
    explainer = Counterfactual(mlp, np.stack([X.min(0), X.max(0)], 1), random_state=0)
    (cf,) = explainer.generate(X[60:61], 2, max_iterations=300)
    assert cf.shape == (1, 4)
    assert mlp(cf).numpy().argmax() == 2


def test_distance_is_the_range_normalised_l1():
    explainer = Counterfactual(lambda x: np.full((len(x), 2), 0.5), (np.zeros(3), np.array([1.0, 2.0, 4.0])))
    assert explainer.distance([0, 0, 0], [1, 1, 1]) == pytest.approx(1 + 0.5 + 0.25)


def test_unreachable_target_warns_and_returns_nothing():
    constant = Counterfactual(lambda x: np.tile([[0.9, 0.1]], (len(x), 1)), (0.0, 1.0))
    with pytest.warns(UserWarning, match="Found 0 of 2"):
        result = constant.generate(np.full(3, 0.5), 1, n_counterfactuals=2, max_iterations=20)
    assert len(result) == 0 and list(result) == [] and result.counterfactuals == []


def test_counterfactual_errors(categorical_iris):
    X, model = categorical_iris
    explainer = Counterfactual(model.predict_proba, (X.min(0), X.max(0)), categorical_features=[7])
    with pytest.raises(ValueError, match="categorical_features"):
        explainer.generate(X[0], 1)
    explainer = Counterfactual(model.predict_proba, (X.min(0), X.max(0)))
    with pytest.raises(ValueError, match="target_class"):
        explainer.generate(X[0], 5)
    with pytest.raises(ValueError, match="target_class"):
        explainer.generate(X[0], 0)  # the original class
    with pytest.raises(ValueError, match="original"):
        explainer.generate(X[:3], 1)
    with pytest.raises(ValueError, match="n_counterfactuals"):
        explainer.generate(X[0], 1, n_counterfactuals=0)
    with pytest.raises(ValueError, match="feature_ranges"):
        Counterfactual(model.predict_proba, (np.zeros(3), np.ones(3))).generate(X[0], 1)
    with pytest.raises(ValueError, match="model: expected class probabilities"):
        Counterfactual(lambda x: x, (X.min(0), X.max(0))).generate(X[0], 1)


@pytest.mark.parametrize("overrides, error, match", [
    (dict(lam_init=0.0), ValueError, "lam_init"),
    (dict(lam_init="0.1"), ValueError, "lam_init"),
    (dict(learning_rate=-0.1), ValueError, "learning_rate"),
    (dict(learning_rate=True), ValueError, "learning_rate"),
    (dict(eps=0.0), ValueError, "eps"),
    (dict(eps="1e-3"), TypeError, "eps"),
    (dict(eps=np.ones((2, 2))), ValueError, "eps"),
    (dict(random_state="0"), ValueError, "random_state"),
    (dict(random_state=1.5), ValueError, "random_state"),
    (dict(seed=-1), ValueError, "random_state"),
    (dict(seed=1, random_state=1), TypeError, "random_state"),
])
def test_invalid_counterfactual_parameters(overrides, error, match):
    with pytest.raises(error, match=match):
        Counterfactual(lambda x: np.full((len(x), 2), 0.5), (0.0, 1.0), **overrides)


def test_counterfactual_input_errors(categorical_iris):
    X, model = categorical_iris
    explainer = Counterfactual(model.predict_proba, (X.min(0), X.max(0)), eps=np.full(3, 1e-3))
    with pytest.raises(ValueError, match="eps: expected a number or 4 values"):
        explainer.generate(X[0], 1)
    explainer = Counterfactual(model.predict_proba, (X.min(0), X.max(0)))
    with pytest.raises(ValueError, match="original"):
        explainer.generate(np.zeros(0), 1)
    with pytest.raises(TypeError, match="original"):
        explainer.generate(X[0].astype(str), 1)
    with pytest.raises(TypeError, match="original"):
        explainer.generate(X[0] > 0, 1)
    with pytest.raises(TypeError, match="feature_ranges"):
        Counterfactual(model.predict_proba, ("0", "1")).generate(X[0], 1)
    with pytest.raises(TypeError, match="verbose"):
        explainer.generate(X[0], 1, verbose=1)
    with pytest.raises(ValueError, match="target_class"):
        explainer.generate(X[0], True)


def test_same_seed_same_counterfactuals(categorical_iris):
    X, model = categorical_iris
    runs = [Counterfactual(model.predict_proba, (X.min(0), X.max(0)), random_state=seed).generate(
        X[0], "other", n_counterfactuals=2, max_iterations=100) for seed in (3, 3, 4)]
    with pytest.warns(DeprecationWarning, match="seed"):
        old_name = Counterfactual(model.predict_proba, (X.min(0), X.max(0)), seed=3).generate(
            X[0], "other", n_counterfactuals=2, max_iterations=100)
    for first, second, third in zip(runs[0], runs[1], old_name):
        np.testing.assert_array_equal(first, second)
        np.testing.assert_array_equal(first, third)
    assert any(not np.array_equal(a, b) for a, b in zip(runs[0], runs[2]))


@pytest.mark.parametrize("verbose, shown", [(True, True), (False, False)])
def test_counterfactual_progress_bar(verbose, shown, categorical_iris, capsys):
    X, model = categorical_iris
    explainer = Counterfactual(model.predict_proba, (X.min(0), X.max(0)))
    explainer.generate(X[0], "other", max_iterations=20, verbose=verbose)
    assert ("Counterfactual iterations" in capsys.readouterr().err) == shown
