"""DataFrames are matched to the model's or the training data's columns by name, in every tabular class."""
import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.tree import DecisionTreeRegressor

from deepexplain.explainable import LimeTabular, PartialDependence, PermutationImportance

DATA = load_diabetes(as_frame=True)
X, Y = DATA.data.iloc[:120], DATA.target.iloc[:120]
MODEL = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, Y)
REORDERED = X[X.columns[::-1]]


def test_permutation_importance_matches_columns_by_name():
    compute = PermutationImportance(MODEL, metric="r2", n_repeats=3, random_state=0).compute
    given, reordered = compute(X, Y), compute(REORDERED, Y)
    np.testing.assert_array_equal(given.importances_mean, reordered.importances_mean)
    assert reordered.meta["feature_names"] == list(X.columns)


def test_partial_dependence_matches_columns_by_name_and_names_missing_ones():
    explainer = PartialDependence(MODEL)
    np.testing.assert_array_equal(explainer.compute(X, 2).predictions, explainer.compute(REORDERED, 2).predictions)
    with pytest.raises(ValueError, match=r"X: expected the columns .*missing columns \['bmi'\]"):
        explainer.compute(X.drop(columns=["bmi"]), 0)


def test_lime_tabular_takes_names_from_the_training_frame_and_matches_samples_by_name():
    explainer = LimeTabular(MODEL, data=X)
    assert explainer.feature_names == list(X.columns)
    given = explainer.explain(X.iloc[0], num_samples=500, random_state=0)
    reordered = explainer.explain(REORDERED.iloc[0], num_samples=500, random_state=0)
    np.testing.assert_array_equal(given["feature_weights"], reordered["feature_weights"])
    with pytest.raises(ValueError, match="sample: expected the columns"):
        explainer.explain(X.iloc[0].drop("sex"))
