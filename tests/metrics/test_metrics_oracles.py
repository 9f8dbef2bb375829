"""Metrics on constructed cases whose answers are known."""
import keras
import numpy as np
import pytest

import deepexplain
from deepexplain import metrics

D = 8


def linear_model(weights, bias=0.5):
    model = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(1)])
    model.set_weights([np.asarray(weights, np.float32)[:, None], np.array([bias], np.float32)])
    return model


def relu_mlp():
    rng = np.random.default_rng(3)
    model = keras.Sequential([keras.Input((D,)), keras.layers.Dense(10, activation="relu"),
                              keras.layers.Dense(6, activation="relu"), keras.layers.Dense(2)])
    model.set_weights([rng.normal(0, 0.7, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def xs():
    return np.random.default_rng(0).normal(size=(12, D)).astype(np.float32)


@pytest.fixture(scope="module")
def weights():
    return np.random.default_rng(1).normal(size=D).astype(np.float32)


def test_gradient_input_on_a_linear_model_is_sensitivity_n_for_every_n(xs, weights):
    model = linear_model(weights)
    attributions = deepexplain.explain("grad*input", model, xs)
    result = metrics.sensitivity_n(model, xs, attributions, ns=[1, 2, 3, 5, 7], n_subsets=30)
    np.testing.assert_allclose(result["correlation"], 1.0, atol=1e-5)
    noisy = attributions + np.random.default_rng(2).normal(0, 1, attributions.shape).astype(np.float32)
    assert np.nanmean(metrics.sensitivity_n(model, xs, noisy, ns=[1, 2, 3], n_subsets=30)["correlation"]) < 0.9


def test_deletion_of_the_true_order_beats_a_random_order(xs, weights):
    model = linear_model(weights)
    attributions = deepexplain.explain("grad*input", model, xs)
    random_order = np.random.default_rng(4).normal(size=xs.shape).astype(np.float32)
    true_deletion = metrics.deletion(model, xs, attributions, steps=D)
    random_deletion = metrics.deletion(model, xs, random_order, steps=D)
    # on a linear model, removing the largest contributions first is the lowest curve there is
    assert np.all(true_deletion["auc"] <= random_deletion["auc"] + 1e-6)
    assert true_deletion["auc"].mean() < random_deletion["auc"].mean() - 0.1
    true_insertion = metrics.insertion(model, xs, attributions, steps=D)
    assert np.all(true_insertion["auc"] >= metrics.insertion(model, xs, random_order, steps=D)["auc"] - 1e-6)
    # end points: all features present / all removed
    f = xs @ weights + 0.5
    np.testing.assert_allclose(true_deletion["curves"][:, 0], f, rtol=1e-5)
    np.testing.assert_allclose(true_deletion["curves"][:, -1], 0.5, rtol=1e-5)
    np.testing.assert_allclose(true_insertion["curves"][:, -1], f, rtol=1e-5)


def test_completeness_of_deeplift_and_not_of_saliency(xs):
    model = relu_mlp()
    targets = np.arange(len(xs)) % 2
    ys = np.eye(2, dtype=np.float32)[targets]
    deeplift = deepexplain.explain("deeplift", model, xs, ys)
    saliency = deepexplain.explain("saliency", model, xs, ys)
    np.testing.assert_allclose(metrics.completeness(model, xs, deeplift, targets), 0, atol=1e-4)
    assert np.mean(np.abs(metrics.completeness(model, xs, saliency, targets))) > 0.1
    intgrad = deepexplain.explain("intgrad", model, xs, ys, steps=200)
    assert np.mean(np.abs(metrics.completeness(model, xs, intgrad, targets))) < 0.02


def test_infidelity_of_the_gradient_of_a_linear_model_is_zero(xs, weights):
    model = linear_model(weights)
    gradient = np.broadcast_to(weights, xs.shape)
    np.testing.assert_allclose(metrics.infidelity(model, xs, gradient, n_perturbations=20), 0, atol=1e-8)
    assert metrics.infidelity(model, xs, deepexplain.explain("grad*input", model, xs), n_perturbations=20).mean() > 1e-3


def test_max_sensitivity_on_a_linear_model(xs, weights):
    model = linear_model(weights)
    saliency = deepexplain.get_explainer("saliency", model)
    constant = metrics.max_sensitivity(lambda rows, t: saliency.run(rows), xs, radius=0.2, n_perturbations=5)
    np.testing.assert_allclose(constant, 0, atol=1e-7)
    grad_input = deepexplain.get_explainer("grad*input", model)
    sensitivity = metrics.max_sensitivity(lambda rows, t: grad_input.run(rows), xs, radius=0.2, n_perturbations=5,
                                          batch_size=7)
    bound = 0.2 * np.linalg.norm(weights) / np.linalg.norm(xs * weights, axis=1)
    assert np.all(sensitivity > 0) and np.all(sensitivity <= bound + 1e-6)


def test_streamed_in_small_batches_equals_one_batch(xs):
    model = relu_mlp()
    attributions = deepexplain.explain("grad*input", model, xs, np.eye(2, dtype=np.float32)[np.zeros(len(xs), int)])
    targets = np.zeros(len(xs), np.int64)
    for metric, kwargs in [(metrics.sensitivity_n, {"ns": [2, 4], "n_subsets": 9, "random_state": 0}),
                           (metrics.deletion, {"steps": 5}),
                           (metrics.infidelity, {"n_perturbations": 6, "random_state": 0})]:
        small = metrics.TargetScores(model, batch_size=7)
        one = metrics.TargetScores(model, batch_size=10_000)
        a, b = metric(small, xs, attributions, targets, **kwargs), metric(one, xs, attributions, targets, **kwargs)
        pairs = [(a[key], b[key]) for key in a] if isinstance(a, dict) else [(a, b)]
        for first, second in pairs:
            np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)
    assert small.predictor.trace_count == 1


def test_logits_of_a_softmax_model_are_scored():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.set_weights([np.array([[1.0, -1.0], [2.0, 0.5]], np.float32), np.zeros(2, np.float32)])
    x = np.array([[1.0, 1.0]], np.float32)
    np.testing.assert_allclose(metrics.TargetScores(model)(x, np.array([0])), [3.0], rtol=1e-6)
    probability = metrics.TargetScores(model, logits=False)(x, np.array([0]))
    np.testing.assert_allclose(probability, [1 / (1 + np.exp(-3.5))], rtol=1e-5)


def test_plots_return_figures(xs, weights):
    model = linear_model(weights)
    attributions = deepexplain.explain("grad*input", model, xs)
    sens = {"grad*input": metrics.sensitivity_n(model, xs, attributions, ns=[1, 2], n_subsets=5)}
    dele = {"grad*input": metrics.deletion(model, xs, attributions, steps=4)}
    ins = {"grad*input": metrics.insertion(model, xs, attributions, steps=4)}
    assert len(metrics.plot_sensitivity_n(sens).axes) == 1
    assert len(metrics.plot_deletion_insertion(dele, ins).axes) == 2
    assert len(metrics.plot_metrics(sens, dele, ins).axes) == 3


def test_bad_arguments_are_named(xs, weights):
    model = linear_model(weights)
    with pytest.raises(ValueError, match="attributions: expected the shape of xs"):
        metrics.deletion(model, xs, xs[:, :3])
    with pytest.raises(ValueError, match="ns: expected subset sizes .* from 1 to 7"):
        metrics.sensitivity_n(model, xs, xs, ns=[9])
    with pytest.raises(ValueError, match="targets: expected 12 integer"):
        metrics.completeness(model, xs, xs, targets=np.zeros(3, int))
    with pytest.raises(ValueError, match="steps"):
        metrics.insertion(model, xs, xs, steps=0)


def test_max_sensitivity_passes_each_copy_its_samples_target(xs):
    targets = np.arange(len(xs)) % 3 + 1
    seen = []

    def explain(rows, t):
        seen.append(len(rows))
        return rows * t[:, None]

    sensitivity = metrics.max_sensitivity(explain, xs, targets=targets, radius=0.05, n_perturbations=5, batch_size=7)
    assert np.all(sensitivity <= 0.05 * np.sqrt(D) / np.linalg.norm(xs, axis=1) + 1e-6)
    assert max(seen[1:]) == 7
