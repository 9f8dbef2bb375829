"""Bad input to ``deepexplain.metrics`` (issue #18): NaN attributions, out-of-range targets, empty
batches, undefined correlations and bad explain functions get errors naming the parameter or a
warning naming the cause; black boxes run every metric that needs no gradient."""
import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from deepexplain import metrics

XS = np.arange(24, dtype=np.float32).reshape(8, 3) / 10
WEIGHTS = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)


def linear():
    """``x @ WEIGHTS``: two outputs."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.set_weights([WEIGHTS, np.zeros(2, np.float32)])
    return model


def logistic():
    """A scikit-learn classifier with ``P(1 | x) = σ(x · [1, −1, 0.5])``."""
    model = LogisticRegression()
    model.classes_ = np.array([0, 1])
    model.coef_, model.intercept_, model.n_features_in_ = np.array([[1.0, -1.0, 0.5]]), np.array([0.0]), 3
    return model


def with_nan(array):
    array = np.array(array, np.float32)
    array[0, 0] = np.nan
    return array


@pytest.mark.parametrize("metric, kwargs", [
    (metrics.completeness, {}),
    (metrics.deletion, {"steps": 3}),
    (metrics.insertion, {"steps": 3}),
    (metrics.infidelity, {"n_perturbations": 2, "random_state": 0}),
    (metrics.sensitivity_n, {"ns": [1], "n_subsets": 3, "random_state": 0}),
])
def test_nan_attributions_are_refused(metric, kwargs):
    with pytest.raises(ValueError, match="attributions: expected finite values, got 1 NaN"):
        metric(linear(), XS, with_nan(XS), targets=0, **kwargs)


@pytest.mark.parametrize("targets, message", [
    (2, r"targets: expected output units >= -1 and below the model's 2 outputs, got values from 2 to 2"),
    (-2, "targets: expected output units >= -1 .* got values from -2"),
    (0.5, "targets: expected 8 integer output units"),
])
def test_targets_outside_the_outputs_are_refused(targets, message):
    with pytest.raises(ValueError, match=message):
        metrics.completeness(linear(), XS, XS, targets=targets)


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError, match="xs: expected a batch .* of at least one sample"):
        metrics.completeness(linear(), np.zeros((0, 3)), np.zeros((0, 3)))


def test_rows_that_do_not_fit_the_model_name_xs():
    with pytest.raises(ValueError, match=r"xs: expected rows of shape \(3,\)"):
        metrics.deletion(linear(), np.ones((2, 5)), np.ones((2, 5)), targets=0, steps=3)


def test_nan_model_outputs_warn():
    def nan_model(rows):
        return np.full((len(rows), 1), np.nan)

    with pytest.warns(RuntimeWarning, match="NaN or infinite outputs"):
        metrics.completeness(nan_model, XS, XS)


def test_a_scikit_learn_black_box_runs_the_metrics_without_gradients():
    model, attributions = logistic(), np.ones_like(XS)
    probability = model.predict_proba(XS)[:, 1]
    error = metrics.completeness(model, XS, attributions, targets=1)
    np.testing.assert_allclose(error, 3 - (probability - 0.5), rtol=1e-6)
    curves = metrics.deletion(model, XS, attributions, targets=1, steps=3)["curves"]
    np.testing.assert_allclose(curves[:, [0, -1]], np.stack([probability, np.full(8, 0.5)], axis=1), rtol=1e-6)
    assert metrics.infidelity(model, XS, attributions, targets=1, n_perturbations=3, random_state=0).shape == (8,)
    correlation = metrics.sensitivity_n(model, XS, XS * [1, -1, 0.5], targets=1, ns=[1], n_subsets=6,
                                        random_state=0)["correlation"]
    assert correlation.shape == (8, 1) and np.all(correlation > 0.9)


@pytest.mark.parametrize("kwargs, message", [
    ({"ns": [3]}, r"ns: expected subset sizes \(integers\) from 1 to 2 .*got list \[3\]"),
    ({"ns": ["a"]}, "ns: expected subset sizes"),
    ({"ns": []}, "ns: expected subset sizes"),
    ({"n_subsets": 1}, "n_subsets: expected at least 2 subsets"),
])
def test_sensitivity_n_refuses_settings_whose_correlation_is_undefined(kwargs, message):
    arguments = {"ns": [1], "n_subsets": 4, "random_state": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        metrics.sensitivity_n(linear(), XS, XS, targets=0, **arguments)


def test_sensitivity_n_of_one_feature_is_refused():
    with pytest.raises(ValueError, match="xs: sensitivity-n expected samples of at least 2 features"):
        metrics.sensitivity_n(lambda rows: np.asarray(rows), XS[:, :1], XS[:, :1], random_state=0)


def test_sensitivity_n_default_sizes_stay_below_the_feature_count():
    assert metrics.sensitivity.default_ns(2) == [1]
    assert max(metrics.sensitivity.default_ns(5)) == 4


def test_constant_attributions_give_nan_with_a_warning_naming_them():
    with pytest.warns(RuntimeWarning, match="undefined .* 8 of 8 .*attributions: their subset sums are constant"):
        result = metrics.sensitivity_n(linear(), XS, np.ones_like(XS), targets=0, ns=[2], n_subsets=4, random_state=0)
    assert np.all(np.isnan(result["correlation"]))


@pytest.mark.parametrize("explain, attributions, error, message", [
    ("saliency", None, TypeError, "explain: expected a function explain"),
    (lambda rows, targets: np.ones((len(rows), 2)), None, ValueError, r"explain: expected the shape of xs \(8, 3\)"),
    (lambda rows, targets: None, XS, TypeError, "explain: expected a real-valued numeric array"),
    (lambda rows: rows, None, ValueError, "explain: failed on a batch of shape .*TypeError"),
    (lambda rows, targets: {}["missing"], None, ValueError, "explain: failed on a batch .*KeyError"),
])
def test_max_sensitivity_names_a_bad_explain_function(explain, attributions, error, message):
    with pytest.raises(error, match=message):
        metrics.max_sensitivity(explain, XS, attributions, n_perturbations=2, random_state=0)


@pytest.mark.parametrize("random_state", [-1, 1.5, "zero"])
def test_bad_seeds_are_named(random_state):
    with pytest.raises(ValueError, match="random_state: expected None, a non-negative integer or a numpy Generator"):
        metrics.max_sensitivity(lambda rows, targets: rows, XS, random_state=random_state)
    with pytest.raises(ValueError, match="random_state: expected None, a non-negative integer or a numpy Generator"):
        metrics.sensitivity_n(linear(), XS, XS, targets=0, ns=[1], random_state=random_state)
