"""Integrated gradients tells its quadrature error: the convergence delta Σ − Δf, its warning,
and Gauss-Legendre points beside the midpoint rule."""
import warnings

import numpy as np
import pytest
import tensorflow as tf

import deepexplain

XS = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 0.0]], np.float32)
BASELINE = np.array([0.0, 0.5], np.float32)


def smooth(x):
    """f(x) = Σ exp(x_i): its integrated gradients are exact, e^x − e^x̄ per feature."""
    return tf.reduce_sum(tf.exp(x), axis=1, keepdims=True)


def run(steps, rule, tolerance=1.0):
    explainer = deepexplain.get_explainer("intgrad", smooth, steps=steps, rule=rule, baseline=BASELINE,
                                          tolerance=tolerance, progress=False)
    return explainer.run(XS), explainer.last_delta


@pytest.mark.parametrize("rule", ["midpoint", "gausslegendre"])
def test_delta_is_the_sum_of_attributions_minus_the_change_of_the_output(rule):
    attributions, delta = run(3, rule)
    change = np.exp(XS).sum(1) - np.exp(BASELINE).sum()
    np.testing.assert_allclose(delta, attributions.sum(1) - change, atol=1e-6)
    assert delta[2] == pytest.approx(attributions[2].sum() - change[2], abs=1e-6)


def test_gauss_legendre_converges_faster_than_the_midpoint_rule():
    exact = np.exp(XS) - np.exp(BASELINE)
    for steps in (2, 4):
        midpoint = np.abs(run(steps, "midpoint")[0] - exact).max()
        gauss = np.abs(run(steps, "gausslegendre")[0] - exact).max()
        assert gauss < midpoint / 10
    assert np.abs(run(4, "gausslegendre")[0] - exact).max() < 1e-5


def test_a_large_delta_is_warned_about_naming_steps():
    message = r"intgrad: the attributions of [12] of 3 samples miss .* with steps=1 \(midpoint rule\)"
    with pytest.warns(UserWarning, match=message):
        run(1, "midpoint", tolerance=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(6, "gausslegendre", tolerance=0.05)


def test_bad_rule_and_tolerance_are_refused():
    with pytest.raises(ValueError, match=r"rule: expected one of \('midpoint', 'gausslegendre'\), got str 'trapezoid'"):
        deepexplain.get_explainer("intgrad", smooth, rule="trapezoid")
    with pytest.raises(ValueError, match="tolerance: expected a finite number >= 0, got float -0.1"):
        deepexplain.get_explainer("intgrad", smooth, tolerance=-0.1)


def test_gauss_legendre_refuses_a_typo_sized_step_count():
    from deepexplain.methods.integrated_gradients import IntegratedGradients

    expected = r"steps: expected at most 1000 points with rule='gausslegendre'.*got 100000000"
    with pytest.raises(ValueError, match=expected):
        IntegratedGradients(steps=10**8, rule="gausslegendre")


def test_midpoint_memory_does_not_grow_with_steps():
    """The midpoint nodes are made per block: neither making the method with 10⁷ steps nor a run of
    200,000 steps allocates one array of the nodes (40 MB, 800 kB)."""
    import tracemalloc

    from deepexplain.methods import make_method

    tracemalloc.start()
    try:
        make_method("intgrad", {"steps": 10**7})
        made = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert made < 10**7 * 4 / 40
    explainer = deepexplain.get_explainer("intgrad", smooth, steps=200_000, progress=False)
    explainer.run(XS[:1], batch_size=2048)  # compiled, and its steady allocations made
    tracemalloc.start()
    try:
        explainer.run(XS[:1], batch_size=2048)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000 * 4 / 4


def test_an_interrupted_run_leaves_the_explainer_as_it_was(monkeypatch):
    """Ctrl-C (KeyboardInterrupt) in the middle of the model calls: the next run gives the same numbers."""
    explainer = deepexplain.get_explainer("intgrad", smooth, steps=64, baseline=BASELINE, progress=False)
    expected, delta = explainer.run(XS, batch_size=16), explainer.last_delta
    model, calls = explainer._model, iter(range(100))
    gradients = model.gradients

    def interrupted(*args):
        if next(calls) == 2:
            raise KeyboardInterrupt
        return gradients(*args)

    monkeypatch.setattr(model, "gradients", interrupted)
    with pytest.raises(KeyboardInterrupt):
        explainer.run(XS, batch_size=16)
    np.testing.assert_array_equal(explainer.run(XS, batch_size=16), expected)
    np.testing.assert_array_equal(explainer.last_delta, delta)
