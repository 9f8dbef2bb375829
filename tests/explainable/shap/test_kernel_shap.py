"""KernelShap against exact Shapley values by enumeration, and its coalitions, solve and plots."""
import itertools
import math

import matplotlib
import numpy as np
import pytest
from model_kinds import make_model, numpy_mlp

from deepexplain.explainable import KernelShap, summarize
from deepexplain.explainable.shap.background import Background
from deepexplain.explainable.shap.coalitions import kernel_coalitions, size_masses

RNG = np.random.default_rng(1)


def nonlinear(x):
    """A model with interactions of every order among the first features."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([np.tanh(x[:, 0] * x[:, 1]) + x[:, 2] ** 2 * np.sin(x[:, 0]) + x.sum(1),
                     1 / (1 + np.exp(-(x[:, 0] - x[:, -1] * x[:, 1])))], axis=1)


def probabilities(x):
    z = nonlinear(x)[:, 0] / 3
    p = 1 / (1 + np.exp(-z))
    return np.stack([1 - p, p], axis=1)


def exact_shapley(model, x, data, weights, link=lambda p: p):
    """Shapley values of v(S) = link(Σ_b w_b f(x_S, b_¬S)) by enumerating every coalition."""
    M = len(x)
    value = {}
    for size in range(M + 1):
        for S in itertools.combinations(range(M), size):
            rows = data.copy()
            rows[:, list(S)] = x[list(S)]
            value[S] = link(weights @ model(rows))
    phi = np.zeros((M,) + np.shape(value[()]))
    for j in range(M):
        others = [k for k in range(M) if k != j]
        for size in range(M):
            for S in itertools.combinations(others, size):
                weight = math.factorial(size) * math.factorial(M - size - 1) / math.factorial(M)
                phi[j] += weight * (value[tuple(sorted(S + (j,)))] - value[S])
    return phi


def logit(p):
    return np.log(p / (1 - p))


@pytest.mark.parametrize("n_features", [3, 6])
def test_complete_enumeration_equals_exact_shapley_values(n_features):
    data = RNG.normal(size=(9, n_features)).astype(np.float32)
    weights = RNG.uniform(0.5, 2, size=9)
    samples = RNG.normal(size=(4, n_features)).astype(np.float32)
    explainer = KernelShap(nonlinear, Background(data, weights))
    result = explainer.explain(samples, n_samples=2**n_features - 2, progress=False)
    assert result["values"].shape == (4, n_features, 2)
    for x, values in zip(samples, result["values"]):
        np.testing.assert_allclose(values, exact_shapley(nonlinear, x, data, weights / weights.sum()), atol=1e-6)


def test_logit_link_equals_exact_shapley_values_of_the_log_odds():
    data = RNG.normal(size=(6, 5)).astype(np.float32)
    samples = RNG.normal(size=(3, 5)).astype(np.float32)
    result = KernelShap(probabilities, data, link="logit").explain(samples, n_samples=5000, progress=False)
    for x, values in zip(samples, result["values"]):
        np.testing.assert_allclose(values, exact_shapley(probabilities, x, data, np.full(6, 1 / 6), logit), atol=1e-6)


def test_linear_model_gives_weight_times_deviation_from_the_weighted_mean():
    w = RNG.normal(size=12)
    data = RNG.normal(size=(40, 12)).astype(np.float32)
    weights = RNG.uniform(size=40)
    samples = RNG.normal(size=(5, 12)).astype(np.float32)
    result = KernelShap(lambda x: x @ w + 3.0, Background(data, weights)).explain(
        samples, n_samples=300, random_state=0, progress=False)
    mean = (weights / weights.sum()) @ data.astype(np.float64)
    np.testing.assert_allclose(result["values"], (samples - mean) * w, atol=1e-6)
    np.testing.assert_allclose(result["expected_value"], mean @ w + 3.0, atol=1e-9)


@pytest.mark.parametrize("link", ["identity", "logit"])
def test_efficiency_with_sampled_coalitions(link):
    data = RNG.normal(size=(15, 20)).astype(np.float32)
    samples = RNG.normal(size=(6, 20)).astype(np.float32)
    result = KernelShap(probabilities, data, link=link).explain(samples, n_samples=500, random_state=3, progress=False)
    output = probabilities(samples) if link == "identity" else logit(probabilities(samples))
    np.testing.assert_allclose(result["values"].sum(axis=1) + result["expected_value"], output, atol=1e-6)


def test_feature_constant_in_background_and_sample_gets_zero():
    data = RNG.normal(size=(10, 6)).astype(np.float32)
    data[:, 2] = 0.5
    samples = RNG.normal(size=(5, 6)).astype(np.float32)
    samples[:, 2] = 0.5
    samples[0, 4] = 7.0   # varies: samples may differ in which features vary
    model = lambda x: nonlinear(x[:, [2, 0, 1, 3, 4, 5]])  # feature 2 acts on the output
    result = KernelShap(model, data).explain(samples, n_samples=20, random_state=0, progress=False)
    assert np.all(result["values"][:, 2] == 0)
    np.testing.assert_allclose(result["values"].sum(axis=1) + result["expected_value"], model(samples), atol=1e-6)


def test_batched_equals_unbatched_and_chunks_stay_within_batch_size():
    data = RNG.normal(size=(8, 7)).astype(np.float32)
    samples = RNG.normal(size=(5, 7)).astype(np.float32)
    calls = []

    def model(x):
        calls.append(len(x))
        return nonlinear(x)

    whole = KernelShap(model, data).explain(samples, n_samples=60, random_state=0, batch_size=10**6, progress=False)
    calls.clear()
    chunked = KernelShap(model, data).explain(samples, n_samples=60, random_state=0, batch_size=50, progress=False)
    assert max(calls[1:]) <= 50 and len(calls) > 10
    np.testing.assert_allclose(chunked["values"], whole["values"], atol=1e-10)


@pytest.mark.parametrize("kind", ["keras3", "tf_keras"])
def test_keras_models_give_exact_shapley_values(kind):
    data = RNG.normal(size=(5, 4)).astype(np.float32)
    samples = RNG.normal(size=(3, 4)).astype(np.float32)
    result = KernelShap(make_model(kind), data).explain(samples, n_samples=14, progress=False)
    assert result["values"].shape == (3, 4, 3)
    for x, values in zip(samples, result["values"]):
        np.testing.assert_allclose(values, exact_shapley(numpy_mlp, x, data, np.full(5, 0.2)), atol=2e-6)


def test_sklearn_classifier_with_summarized_background():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    background = summarize(X, 6)
    result = KernelShap(model, background, link="logit").explain(X[::30], n_samples=14, progress=False)
    assert result["values"].shape == (5, 4, 3)
    for x, values in zip(X[::30].astype(np.float32), result["values"]):
        np.testing.assert_allclose(
            values, exact_shapley(model.predict_proba, x, background.data, background.weights, logit), atol=1e-6)


def test_summarize_snaps_centroids_to_observed_values_and_weights_cluster_sizes():
    data = np.column_stack([RNG.integers(0, 3, 200), RNG.normal(size=200)]).astype(np.float32)
    background = summarize(data, 5)
    assert background.data.shape == (5, 2)
    assert np.isclose(background.weights.sum(), 1) and np.all(background.weights > 0)
    for j in range(2):
        assert np.all(np.isin(background.data[:, j], data[:, j]))
    assert np.all(np.isclose(background.weights * 200, np.round(background.weights * 200)))


def test_coalitions_pair_complements_and_follow_the_kernel():
    masks, weights = kernel_coalitions(12, 500, np.random.default_rng(0))
    assert len(masks) <= 500 and np.isclose(weights.sum(), 1)
    assert len(np.unique(masks, axis=0)) == len(masks)
    present = {row.tobytes() for row in masks}
    assert all((~row).tobytes() in present for row in masks)
    sizes = masks.sum(axis=1)
    assert sizes.min() >= 1 and sizes.max() <= 11
    masses = size_masses(12) / size_masses(12).sum()
    # sizes 1 and 11 are enumerated completely, with their exact kernel mass
    assert np.sum(sizes == 1) == 12 and np.sum(sizes == 11) == 12
    np.testing.assert_allclose(weights[(sizes == 1) | (sizes == 11)].sum(), masses[0])
    again = kernel_coalitions(12, 500, np.random.default_rng(0))
    np.testing.assert_array_equal(again[0], masks)


def test_complete_enumeration_when_the_budget_allows():
    masks, weights = kernel_coalitions(5, 30, np.random.default_rng(0))
    assert len(masks) == 30
    sizes = masks.sum(1)
    kernel = 4 / (np.array([math.comb(5, s) for s in sizes]) * sizes * (5 - sizes))
    np.testing.assert_allclose(weights, kernel / kernel.sum())


def test_l1_reg_keeps_that_many_features_and_efficiency():
    data = RNG.normal(size=(10, 8)).astype(np.float32)
    samples = RNG.normal(size=(3, 8)).astype(np.float32)
    w = np.array([5.0, -4, 3, 0.01, 0.02, 0, 0, 0.01])
    result = KernelShap(lambda x: x @ w, data).explain(samples, n_samples=100, l1_reg=3, random_state=0, progress=False)
    assert np.all(np.count_nonzero(result["values"], axis=1) <= 3)
    assert np.all(result["values"][:, 5] == 0)
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], samples @ w, atol=1e-6)


def test_plots_return_figures():
    data = RNG.normal(size=(10, 4)).astype(np.float32)
    explainer = KernelShap(nonlinear, data)
    result = explainer.explain(RNG.normal(size=(12, 4)).astype(np.float32), progress=False)
    figure = explainer.plot(result, feature_names=["a", "b", "c", "d"])
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 3
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert sorted(labels) == ["a", "b", "c", "d"]
    figure = explainer.dependence_plot(result, 0, interaction=1, output=0)
    assert isinstance(figure, matplotlib.figure.Figure)
    matplotlib.pyplot.close("all")


def test_errors_name_the_parameter():
    data = RNG.normal(size=(5, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="link"):
        KernelShap(nonlinear, data, link="probit")
    with pytest.raises(ValueError, match="data: expected a non-empty 2-D"):
        KernelShap(nonlinear, data[0])
    with pytest.raises(TypeError, match="model"):
        KernelShap("model", data)
    explainer = KernelShap(nonlinear, data)
    with pytest.raises(ValueError, match="samples: expected rows of 3 features"):
        explainer.explain(np.ones((2, 4)))
    with pytest.raises(ValueError, match="n_samples"):
        explainer.explain(data, n_samples=1)
    with pytest.raises(ValueError, match="l1_reg"):
        explainer.explain(data, l1_reg=9)
    with pytest.raises(ValueError, match="l1_reg"):
        explainer.explain(data, l1_reg=0.1)
    with pytest.raises(ValueError, match="random_state"):
        explainer.explain(data, random_state=-1)
    with pytest.raises(ValueError, match="k"):
        summarize(data, 0)
    with pytest.raises(ValueError, match="data: expected one non-negative weight"):
        KernelShap(nonlinear, Background(data, np.ones(4)))


def test_float64_model_on_threshold_values_gets_exact_shapley_values():
    """Samples sit on the model's float64 thresholds: rounding them to float32 would flip the steps."""
    thresholds = np.array([0.1, 1 / 3, 2.2])

    def steps(x):
        x = np.asarray(x)
        assert x.dtype == np.float64
        low = (x[:, :3] <= thresholds).astype(np.float64)
        return (low @ np.array([1.0, 2.0, 4.0]) + low[:, 0] * low[:, 1] * x[:, 3])[:, None]

    data = np.array([[0.0, 0.0, 3.0, 1.0], [1.0, 1.0, 0.0, -1.0], [0.2, 0.3, 2.3, 0.5]])
    samples = np.array([[0.1, 1 / 3, 2.2, 2.0], [0.1, 0.5, 2.2, -1.0]])
    result = KernelShap(steps, data).explain(samples, n_samples=14, progress=False)
    for x, values in zip(samples, result["values"]):
        np.testing.assert_allclose(values, exact_shapley(steps, x, data, np.full(3, 1 / 3))[:, 0], atol=1e-12)
    np.testing.assert_allclose(result["values"].sum(1) + result["expected_value"], steps(samples)[:, 0], atol=1e-12)


def test_dataframe_columns_are_matched_by_name():
    pandas = pytest.importorskip("pandas")
    data = pandas.DataFrame(RNG.normal(size=(6, 4)), columns=["a", "b", "c", "d"])
    samples = pandas.DataFrame(RNG.normal(size=(3, 4)), columns=["a", "b", "c", "d"])
    explainer = KernelShap(nonlinear, data)
    assert explainer.feature_names == ["a", "b", "c", "d"]
    result = explainer.explain(samples, n_samples=14, progress=False)
    reordered = explainer.explain(samples[["c", "a", "d", "b"]], n_samples=14, progress=False)
    np.testing.assert_array_equal(reordered["values"], result["values"])
    with pytest.raises(ValueError, match=r"samples: expected the columns of data.*missing columns \['c'\]"):
        explainer.explain(samples[["a", "b", "d"]], n_samples=14, progress=False)
    with pytest.raises(ValueError, match=r"unexpected columns \['e'\]"):
        explainer.explain(samples.assign(e=1.0), n_samples=14, progress=False)
