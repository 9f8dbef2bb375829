"""TreeShap against brute-force Shapley values of the trees' exact conditional expectations."""
import itertools
import math

import matplotlib
import numpy as np
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from deepexplain.explainable import TreeShap

RNG = np.random.default_rng(2)
M = 5
X = RNG.normal(size=(300, M)).astype(np.float32)
X[:, 3] = np.round(X[:, 3])  # a discrete feature: ties at the thresholds' neighbours
REGRESSION = X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + 0.5 * X[:, 3] ** 2 + 0.1 * RNG.normal(size=300)
LABELS = (REGRESSION > np.median(REGRESSION)).astype(int) + (X[:, 4] > 1)
BACKGROUND = X[::20]
SAMPLES = RNG.normal(size=(4, M)).astype(np.float32)


def shapley(game, n_features):
    """Exact Shapley values of ``game(S)`` (a tuple of feature indices) by enumeration."""
    phi = 0
    for j in range(n_features):
        others = [k for k in range(n_features) if k != j]
        contribution = 0
        for size in range(n_features):
            weight = math.factorial(size) * math.factorial(n_features - size - 1) / math.factorial(n_features)
            for S in itertools.combinations(others, size):
                contribution = contribution + weight * (game(tuple(sorted(S + (j,)))) - game(S))
        phi = phi + np.eye(n_features)[j][:, None] * np.atleast_1d(contribution)[None, :]
    return phi


def raw_output(model):
    if not hasattr(model, "predict"):   # a function of the rows already
        return model
    if hasattr(model, "decision_function"):
        return lambda rows: np.asarray(model.decision_function(rows), np.float64).reshape(len(rows), -1)
    if hasattr(model, "predict_proba"):
        return model.predict_proba
    return lambda rows: model.predict(rows).reshape(len(rows), -1)


def interventional_game(model, x, background):
    """v(S) = mean raw output over the background with x's features S: every S in one model call."""
    n = len(x)
    coalitions = [S for size in range(n + 1) for S in itertools.combinations(range(n), size)]
    masks = np.array([[j in S for j in range(n)] for S in coalitions])
    rows = np.where(masks[:, None, :], x, background[None]).reshape(-1, n)
    means = raw_output(model)(rows).reshape(len(coalitions), len(background), -1).mean(axis=1)
    return dict(zip(coalitions, means)).__getitem__


def tree_expectation(tree, node_values, x, S, node=0):
    """E[tree | x_S]: follow x on features in S, else average the children by training cover."""
    left, right = tree.children_left[node], tree.children_right[node]
    if left == -1:
        return node_values[node]
    feature = tree.feature[node]
    if feature in S:
        return tree_expectation(tree, node_values, x, S, left if x[feature] <= tree.threshold[node] else right)
    cover = tree.weighted_n_node_samples
    return (cover[left] * tree_expectation(tree, node_values, x, S, left)
            + cover[right] * tree_expectation(tree, node_values, x, S, right)) / cover[node]


def path_dependent_game(model, x):
    """The model's raw output with each tree replaced by its cover-weighted E[tree | x_S]."""
    if hasattr(model, "estimators_") and isinstance(model.estimators_, np.ndarray):  # gradient boosting
        trees = [(tree.tree_, tree.tree_.value[:, :, 0] * model.learning_rate, k)
                 for row in model.estimators_ for k, tree in enumerate(row)]
        n_outputs = model.estimators_.shape[1]
    else:
        members = model.estimators_ if hasattr(model, "estimators_") else [model]
        values = [m.tree_.value[:, 0, :] for m in members]
        if hasattr(model, "classes_"):  # class fractions
            values = [v / v.sum(axis=1, keepdims=True) for v in values]
        trees = [(m.tree_, v / len(members), None) for m, v in zip(members, values)]
        n_outputs = trees[0][1].shape[1]

    def total(S):
        out = np.zeros(n_outputs)
        for tree, values, k in trees:
            value = tree_expectation(tree, values, x, S)
            if k is None:
                out += value
            else:
                out[k] += value[0]
        return out

    offset = raw_output(model)(x[None])[0] - total(tuple(range(M)))
    return lambda S: total(S) + offset


MODELS = {
    "tree_classifier": lambda: DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, LABELS),
    "tree_regressor": lambda: DecisionTreeRegressor(max_depth=5, random_state=0).fit(X, REGRESSION),
    "forest_regressor": lambda: RandomForestRegressor(n_estimators=6, max_depth=4, random_state=0).fit(X, REGRESSION),
    "forest_classifier": lambda: RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X, LABELS),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X, LABELS > 0),
    "boosting_binary": lambda: GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=0)
    .fit(X, LABELS > 0),
    "boosting_multiclass": lambda: GradientBoostingClassifier(n_estimators=4, max_depth=2, random_state=0)
    .fit(X, LABELS),
    "boosting_regressor": lambda: GradientBoostingRegressor(n_estimators=8, max_depth=3, random_state=0)
    .fit(X, REGRESSION),
}


def check_against(result, game_of, model):
    values = result["values"]
    values = values[..., None] if values.ndim == 2 else values
    for x, phi in zip(SAMPLES, values):
        np.testing.assert_allclose(phi, shapley(game_of(x), M), atol=1e-8)
    expected = np.atleast_1d(result["expected_value"])
    np.testing.assert_allclose(values.sum(axis=1) + expected, raw_output(model)(SAMPLES), atol=1e-8)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_interventional_equals_brute_force(name):
    model = MODELS[name]()
    result = TreeShap(model, data=BACKGROUND, feature_perturbation="interventional").explain(SAMPLES)
    check_against(result, lambda x: interventional_game(model, x, BACKGROUND), model)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_path_dependent_equals_brute_force(name):
    model = MODELS[name]()
    result = TreeShap(model, feature_perturbation="tree_path_dependent").explain(SAMPLES)
    check_against(result, lambda x: path_dependent_game(model, x), model)


def test_hist_gradient_boosting_interventional_equals_brute_force_and_path_dependent_equals_shap():
    model = HistGradientBoostingRegressor(max_iter=10, max_depth=3, random_state=0).fit(X, REGRESSION)
    result = TreeShap(model, data=BACKGROUND).explain(SAMPLES)
    check_against(result, lambda x: interventional_game(model, x, BACKGROUND), model)
    result = TreeShap(model, feature_perturbation="tree_path_dependent").explain(SAMPLES)
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], model.predict(SAMPLES), atol=1e-8)
    import shap  # the cover of histogram trees is their node counts, as shap reads them

    reference = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    np.testing.assert_allclose(result["values"], reference.shap_values(SAMPLES.astype(np.float64)), atol=1e-6)


def test_interventional_is_exact_on_a_deep_forest_with_repeated_features():
    """Depth 8 on 7 features: paths split many times on one feature (shap's C++ is ~1e-8 off here)."""
    from sklearn.datasets import load_breast_cancer

    data, labels = load_breast_cancer(return_X_y=True)
    data = ((data - data.mean(0)) / data.std(0)).astype(np.float32)[:, :7]
    forest = RandomForestClassifier(n_estimators=8, max_depth=8, random_state=0).fit(data, labels)
    background = data[::12]
    result = TreeShap(forest, data=background).explain(data[:3])
    for x, phi in zip(data[:3], result["values"]):
        np.testing.assert_allclose(phi, shapley(interventional_game(forest, x, background), 7), atol=1e-12)


def test_trees_too_deep_for_the_tables():
    """Path-dependent: walked down and up (equal to shap's values); interventional: shap's code."""
    import shap

    from deepexplain.explainable.shap.leaf_tables import MAX_SLOTS

    data = RNG.normal(size=(400, 20)).astype(np.float32)
    target = np.sin(data @ RNG.normal(size=20)) + data[:, 0] * data[:, 1]
    deep = DecisionTreeRegressor(random_state=0).fit(data, target)
    explainer = TreeShap(deep, feature_perturbation="tree_path_dependent")
    assert explainer.paths.slot_feature.shape[1] > MAX_SLOTS and not explainer._shap.fits
    result = explainer.explain(data[:20])
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], deep.predict(data[:20]), atol=1e-9)
    reference = shap.TreeExplainer(deep, feature_perturbation="tree_path_dependent").shap_values(data[:20])
    np.testing.assert_allclose(result["values"], reference, atol=1e-9)
    explainer = TreeShap(deep, data=data[::40])
    assert type(explainer._shap).__name__ == "_ShapTreeExplainer"
    result = explainer.explain(data[:20])
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], deep.predict(data[:20]), atol=1e-6)


def test_walking_the_trees_equals_the_tables():
    """The path-dependent traversal (deep trees) against the tables on every test model, with missing values."""
    from deepexplain.explainable.shap.path_dependent_traversal import PathDependentTraversal
    from deepexplain.explainable.shap.path_dependent_tree_shap import PathDependentShap

    for name in sorted(MODELS):
        explainer = TreeShap(MODELS[name](), feature_perturbation="tree_path_dependent")
        tables, walk = PathDependentShap(explainer.paths, M), PathDependentTraversal(explainer.paths, M)
        np.testing.assert_allclose(walk(X[:30]), tables(X[:300])[:30], atol=1e-12)
        assert tables.tables is not None and tables.walk is None
        np.testing.assert_allclose(walk.expected_value, tables.expected_value, atol=1e-12)


@pytest.mark.parametrize("mode", ["interventional", "tree_path_dependent"])
def test_efficiency_on_every_row_of_a_forest(mode):
    from sklearn.datasets import load_breast_cancer

    data, labels = load_breast_cancer(return_X_y=True)
    data = data.astype(np.float32)
    forest = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(data, labels)
    result = TreeShap(forest, data=data[::10], feature_perturbation=mode).explain(data)
    assert result["values"].shape == (len(data), 30, 2)
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], forest.predict_proba(data),
                               atol=1e-12)


def test_plot_returns_a_figure():
    model = MODELS["forest_regressor"]()
    explainer = TreeShap(model, data=BACKGROUND)
    result = explainer.explain(X[:40])
    assert isinstance(explainer.plot(result, feature_names=list("abcde")), matplotlib.figure.Figure)
    assert isinstance(explainer.dependence_plot(result, 0, interaction=1), matplotlib.figure.Figure)
    matplotlib.pyplot.close("all")


def test_errors_name_the_parameter():
    tree = MODELS["tree_regressor"]()
    with pytest.raises(TypeError, match="model: expected a fitted tree model"):
        TreeShap(LinearRegression().fit(X, REGRESSION), data=BACKGROUND)
    with pytest.raises(ValueError, match="model: expected a fitted model"):
        TreeShap(DecisionTreeRegressor(), data=BACKGROUND)
    with pytest.raises(ValueError, match="feature_perturbation"):
        TreeShap(tree, data=BACKGROUND, feature_perturbation="auto")
    with pytest.raises(ValueError, match="data: expected background rows"):
        TreeShap(tree)
    with pytest.raises(ValueError, match="data: expected rows of the model's 5 features"):
        TreeShap(tree, data=BACKGROUND[:, :3])
    with pytest.raises(ValueError, match="X: expected rows of the model's 5 features"):
        TreeShap(tree, feature_perturbation="tree_path_dependent").explain(np.ones((2, 4)))


@pytest.mark.parametrize("mode", ["interventional", "tree_path_dependent"])
def test_float64_thresholds_of_histogram_boosting_add_up_on_every_row(mode):
    """X[12, 5] of diabetes equals a split threshold: rounding rows to float32 would take the other branch."""
    from sklearn.datasets import load_diabetes

    data, target = load_diabetes(return_X_y=True)
    model = HistGradientBoostingRegressor(max_iter=2, random_state=0).fit(data, target)
    thresholds = [p.nodes["num_threshold"][~p.nodes["is_leaf"].astype(bool)] for it in model._predictors for p in it]
    assert data[12, 5] in np.concatenate(thresholds)
    result = TreeShap(model, data=data[::20], feature_perturbation=mode).explain(data)
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], model.predict(data), rtol=1e-6,
                               atol=1e-9)


def test_missing_values_and_categorical_splits_of_histogram_boosting():
    from sklearn.ensemble import HistGradientBoostingClassifier

    data = X.astype(np.float64)
    data[:, 3] = np.abs(data[:, 3])   # category codes 0..3
    data[::7, 0] = np.nan
    model = HistGradientBoostingClassifier(max_iter=5, max_depth=3, categorical_features=[3], random_state=0)
    model.fit(data, LABELS)
    explainer = TreeShap(model, data=data[::10])
    assert explainer.paths.category_table is not None
    result = explainer.explain(data[:60])
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], model.decision_function(data[:60]),
                               atol=1e-9)
    for x, phi in zip(data[:2], result["values"][:2]):   # row 0 has feature 0 missing
        np.testing.assert_allclose(phi, shapley(interventional_game(model, x, data[::10]), M), atol=1e-9)


def test_dataframe_columns_are_matched_by_name_and_name_the_features():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    forest = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(frame, REGRESSION)
    explainer = TreeShap(forest, data=frame[::20])
    assert explainer.feature_names == ["a", "b", "c", "d", "e"]
    result = explainer.explain(frame[:10])
    np.testing.assert_array_equal(explainer.explain(frame[["e", "c", "a", "b", "d"]][:10])["values"], result["values"])
    with pytest.raises(ValueError, match=r"X: expected the columns of the model.*missing columns \['d'\]"):
        explainer.explain(frame[["a", "b", "c", "e"]])
    with pytest.raises(ValueError, match=r"data: expected the columns of the model.*unexpected columns \['f'\]"):
        TreeShap(forest, data=frame.assign(f=0.0))


def test_histogram_boosting_on_pandas_categorical_columns():
    """Text categories go through the model's own ordinal codes; columns are matched by name."""
    pandas = pytest.importorskip("pandas")
    from sklearn.ensemble import HistGradientBoostingRegressor as Boosting

    frame = pandas.DataFrame(X[:, :3].astype(np.float64), columns=["a", "b", "c"])
    frame["colour"] = pandas.Categorical(np.array(["red", "green", "blue", "white"])[LABELS + (X[:, 4] > 0)])
    frame.loc[::9, "a"] = np.nan
    model = Boosting(max_iter=5, max_depth=3, categorical_features="from_dtype", random_state=0)
    model.fit(frame, REGRESSION + 2 * (frame["colour"] == "green"))
    for mode in ("interventional", "tree_path_dependent"):
        result = TreeShap(model, data=frame[::10], feature_perturbation=mode).explain(frame[["colour", "c", "a", "b"]])
        np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], model.predict(frame), atol=1e-9)
