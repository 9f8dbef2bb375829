"""TreeShap on XGBoost, LightGBM and CatBoost: additivity to the raw margin on every row, equality
with shap's path-dependent values, brute-force Shapley values of the exact interventional game,
missing values routed by each library's default direction, LightGBM categorical splits."""
import numpy as np
import pytest
from test_tree_shap import interventional_game, shapley

from deepexplain.explainable import TreeShap

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")
catboost = pytest.importorskip("catboost")

RNG = np.random.default_rng(5)
M = 5
X = RNG.normal(size=(200, M))
X[:, 3] = np.round(X[:, 3])
TARGET = X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + 0.5 * X[:, 3] ** 2 + 0.1 * RNG.normal(size=200)
CLASSES = np.digitize(TARGET, np.quantile(TARGET, [1 / 3, 2 / 3]))
X[::5, 1] = np.nan  # missing values in training, so that splits on feature 1 learn a default direction
X[2::7, 2] = np.nan
BACKGROUND = X[::10]
TREES = {"n_estimators": 10, "max_depth": 3}
CATBOOST = {"iterations": 10, "depth": 3, "verbose": 0, "allow_writing_files": False}


def margin(model, rows):
    if isinstance(model, xgboost.XGBModel):
        raw = model.predict(rows, output_margin=True)
    elif isinstance(model, lightgbm.LGBMModel):
        raw = model.predict(rows, raw_score=True)
    else:
        raw = model.predict(rows, prediction_type="RawFormulaVal")
    return np.asarray(raw, dtype=np.float64).reshape(len(rows), -1)


MODELS = {
    "xgboost_regressor": lambda: xgboost.XGBRegressor(**TREES).fit(X, TARGET),
    "xgboost_binary": lambda: xgboost.XGBClassifier(**TREES).fit(X, CLASSES > 0),
    "xgboost_3_classes": lambda: xgboost.XGBClassifier(**TREES).fit(X, CLASSES),
    "lightgbm_regressor": lambda: lightgbm.LGBMRegressor(**TREES, min_child_samples=5, verbose=-1).fit(X, TARGET),
    "lightgbm_binary": lambda: lightgbm.LGBMClassifier(**TREES, verbose=-1).fit(X, CLASSES > 0),
    "lightgbm_3_classes": lambda: lightgbm.LGBMClassifier(**TREES, verbose=-1).fit(X, CLASSES),
    "catboost_regressor": lambda: catboost.CatBoostRegressor(**CATBOOST).fit(X, TARGET),
    "catboost_3_classes": lambda: catboost.CatBoostClassifier(**CATBOOST, nan_mode="Max").fit(X, CLASSES),
}
FITTED = {}


def fitted(name):
    if name not in FITTED:
        FITTED[name] = MODELS[name]()
    return FITTED[name]


def as_outputs(result):
    values = result["values"]
    return (values if values.ndim == 3 else values[..., None]), np.atleast_1d(result["expected_value"])


@pytest.mark.parametrize("mode", ["interventional", "tree_path_dependent"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_values_add_up_to_the_raw_margin_on_every_row(name, mode):
    model = fitted(name)
    values, expected = as_outputs(TreeShap(model, data=BACKGROUND, feature_perturbation=mode).explain(X))
    raw = margin(model, X)
    assert values.shape == (len(X), M, raw.shape[1])
    np.testing.assert_allclose(values.sum(axis=1) + expected, raw, rtol=1e-6, atol=1e-6 * np.abs(raw).max())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_path_dependent_values_equal_shaps(name):
    import shap

    model = fitted(name)
    ours, _ = as_outputs(TreeShap(model, feature_perturbation="tree_path_dependent").explain(X[:40]))
    theirs = np.asarray(shap.TreeExplainer(model, feature_perturbation="tree_path_dependent").shap_values(X[:40]))
    np.testing.assert_allclose(ours, theirs if theirs.ndim == 3 else theirs[..., None], atol=1e-6)


@pytest.mark.parametrize("name", ["xgboost_3_classes", "lightgbm_binary", "catboost_regressor"])
def test_interventional_values_equal_brute_force_shapley_values(name):
    model = fitted(name)
    background, samples = X[1::25], X[[0, 3, 5]]  # samples 0 and 5 have feature 1 missing

    values, _ = as_outputs(TreeShap(model, data=background).explain(samples))
    for x, phi in zip(samples, values):
        game = interventional_game(lambda rows: margin(model, rows), x, background)
        np.testing.assert_allclose(phi, shapley(game, M), atol=1e-5)


@pytest.mark.parametrize("name", ["xgboost_regressor", "lightgbm_regressor", "catboost_regressor"])
def test_missing_values_go_the_default_way(name):
    """A row with every feature missing reaches, in each tree, the leaf of the default directions."""
    model = fitted(name)
    explainer = TreeShap(model, feature_perturbation="tree_path_dependent")
    missing = np.full((1, M), np.nan)
    result = explainer.explain(missing)
    np.testing.assert_allclose(result["values"].sum() + result["expected_value"], margin(model, missing)[0, 0],
                               rtol=1e-6)
    reached = np.all(explainer.paths.passes(missing), axis=-1)[0]
    assert reached.sum() == 10  # one leaf in each of the 10 trees


def test_lightgbm_categorical_split_from_a_pandas_categorical_column():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X[:, :3], columns=["a", "b", "c"])
    frame["colour"] = pandas.Categorical(np.array(["red", "green", "blue", "white", "black"])[CLASSES + (X[:, 0] > 1)])
    target = TARGET + 2 * frame["colour"].isin(["green", "white"])
    model = lightgbm.LGBMRegressor(**TREES, min_child_samples=5, min_data_per_group=5, cat_smooth=1, verbose=-1)
    model.fit(frame, target)
    explainer = TreeShap(model, data=frame[::10])
    assert explainer.paths.category_table is not None and explainer.feature_names == ["a", "b", "c", "colour"]
    values, expected = as_outputs(explainer.explain(frame))
    raw = margin(model, frame)
    np.testing.assert_allclose(values.sum(axis=1) + expected, raw, rtol=1e-6, atol=1e-9)
    # columns matched by name: a reordered frame gives the same values
    reordered, _ = as_outputs(explainer.explain(frame[["colour", "c", "a", "b"]]))
    np.testing.assert_array_equal(reordered, values)


def test_native_boosters_give_the_wrappers_values():
    for wrapper, booster in ((fitted("xgboost_binary"), fitted("xgboost_binary").get_booster()),
                             (fitted("lightgbm_3_classes"), fitted("lightgbm_3_classes").booster_)):
        ours = TreeShap(wrapper, data=BACKGROUND).explain(X[:20])
        native = TreeShap(booster, data=BACKGROUND).explain(X[:20])
        np.testing.assert_array_equal(ours["values"], native["values"])


def test_unfitted_and_unsupported_models_are_refused():
    with pytest.raises(ValueError, match="model: expected a fitted xgboost model"):
        TreeShap(xgboost.XGBRegressor(), data=BACKGROUND)
    with pytest.raises(ValueError, match="model: expected a fitted lightgbm model"):
        TreeShap(lightgbm.LGBMClassifier(), data=BACKGROUND)
    linear = xgboost.XGBRegressor(booster="gblinear", n_estimators=2).fit(X, TARGET)
    with pytest.raises(TypeError, match="model: expected an XGBoost tree booster"):
        TreeShap(linear, data=BACKGROUND)
    with pytest.raises(TypeError, match=r'pip install "deepexplain\[trees\]"'):
        TreeShap(object(), data=BACKGROUND)
