"""Huge counts in ``deepexplain.metrics`` (issue #18): perturbations streamed in chunks (memory
independent of the count, results independent of batch_size), repeated deletion points scored
once, and counts whose results cannot fit refused up front naming the parameter."""
import keras
import numpy as np
import pytest

from deepexplain import batching, metrics
from deepexplain.metrics.infidelity import _perturbations

XS = np.arange(24, dtype=np.float32).reshape(4, 6) / 10
WEIGHTS = np.random.default_rng(0).normal(size=(6, 2)).astype(np.float32)
ATTRIBUTIONS = np.random.default_rng(1).normal(size=XS.shape).astype(np.float32)


def linear():
    """``x @ WEIGHTS``: two outputs."""
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
    model.set_weights([WEIGHTS, np.zeros(2, np.float32)])
    return model


def test_infidelity_streams_the_formula_over_chunks_of_perturbations(monkeypatch):
    monkeypatch.setattr("deepexplain.methods.base.DRAW_CHUNK_VALUES", 30)  # 5 perturbations per chunk
    count = 23
    draws = _perturbations(7, count, (6,), 0.1, uniform=False)
    expected = []
    for i, (x, a) in enumerate(zip(XS, ATTRIBUTIONS)):
        noise = draws(i, np.arange(count)).astype(np.float64)
        change = (x @ WEIGHTS[:, 1]) - (x - noise.astype(np.float32)) @ WEIGHTS[:, 1]
        expected.append(np.mean((noise @ a - change) ** 2))
    model = linear()
    for batch_size in (None, 4, 9):
        result = metrics.infidelity(model, XS, ATTRIBUTIONS, targets=1, n_perturbations=count, random_state=7,
                                    batch_size=batch_size)
        np.testing.assert_allclose(result, expected, rtol=1e-4)


def test_perturbation_chunks_differ_and_repeat():
    draws = _perturbations(3, 12, (6,), 1.0, uniform=True)
    first = draws(0, np.arange(12))
    np.testing.assert_array_equal(_perturbations(3, 12, (6,), 1.0, uniform=True)(0, np.arange(12)), first)
    assert not np.allclose(draws(1, np.arange(12)), first)  # each sample has draws of its own
    assert np.all(np.abs(first) <= 1.0)


def test_max_sensitivity_does_not_depend_on_batch_size(monkeypatch):
    monkeypatch.setattr("deepexplain.methods.base.DRAW_CHUNK_VALUES", 30)

    def explain(rows, targets):
        return rows**2

    whole = metrics.max_sensitivity(explain, XS, n_perturbations=23, random_state=4, batch_size=1000)
    np.testing.assert_array_equal(metrics.max_sensitivity(explain, XS, n_perturbations=23, random_state=4,
                                                          batch_size=7), whole)


def test_deletion_with_more_steps_than_features_scores_each_point_once():
    model = linear()
    fine = metrics.deletion(model, XS, ATTRIBUTIONS, targets=0, steps=1000)
    exact = metrics.deletion(model, XS, ATTRIBUTIONS, targets=0, steps=6)
    assert fine["curves"].shape == (4, 1001)
    np.testing.assert_allclose(fine["auc"], exact["auc"], rtol=1e-5)
    np.testing.assert_array_equal(np.unique(fine["curves"][0]), np.unique(exact["curves"][0]))


@pytest.mark.parametrize("metric, params, name", [
    (metrics.deletion, {"steps": 10**6}, "steps"),
    (metrics.insertion, {"steps": 10**6}, "steps"),
    (metrics.sensitivity_n, {"n_subsets": 10**6, "ns": [1]}, "n_subsets"),
])
def test_counts_whose_results_cannot_fit_are_refused(monkeypatch, metric, params, name):
    monkeypatch.setattr(batching, "memory_limit", lambda: 2**20)
    with pytest.raises(ValueError, match=rf"{name}: expected a count whose .* fit in memory, got 1000000, which "
                                         r"needs .* GiB at once"):
        metric(linear(), XS, ATTRIBUTIONS, targets=0, **params)
