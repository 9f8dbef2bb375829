"""Runs of any length: calls of any size give the same result, Ctrl-C leaves the explainers usable,
and typo-sized counts stream (memory independent of the count, progress from the first calls)."""
import tracemalloc

import numpy as np
import pytest
from cem_models import linear_probabilities
from tqdm.auto import tqdm

import cem.calls
from cem import CEM, Counterfactual

INSTANCES = [0, 10, 55, 70, 110]
FAST = dict(max_iterations=60, c_steps=3, c_init=1.0, learning_rate_init=5e-2)
HUGE = 10**9


class Interrupt:
    """A callable raising KeyboardInterrupt (as Ctrl-C does) at its ``at``-th call, else calling ``wrapped``."""

    def __init__(self, at, wrapped=None):
        self.at, self.wrapped, self.calls = at, wrapped, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.wrapped(*args, **kwargs) if self.wrapped else None


def calls_of_seven(sizer, total):
    """In place of :meth:`cem.calls.CallSizer.calls`: calls of 7 iterations (the last one shorter)."""
    return ((start, min(start + 7, total)) for start in range(0, total, 7))


def explainer(model, mode, feature_range, **params):
    return CEM(None, model, mode, (1, 4), feature_range=feature_range, no_info_val=-1.0, **{**FAST, **params})


def assert_same(first, second, mode):
    for key in ("found", "c", mode, "distance", "grads_graph", "grads_num"):
        np.testing.assert_array_equal(first[key], second[key])


@pytest.fixture(scope="module")
def compiled(iris, mlp, feature_range):
    """An explainer of the MLP (PP) and its uninterrupted result, in one call per c round."""
    X, _ = iris
    explainer_ = explainer(mlp, "PP", feature_range)
    result = explainer_.explain(X[INSTANCES], verbose=False)
    assert result["found"].sum() >= 2
    return explainer_, result


def test_calls_of_any_size_give_the_same_result(compiled, iris, monkeypatch):
    """The state passes unchanged between the compiled calls, however the rounds are cut."""
    X, _ = iris
    explainer_, reference = compiled
    monkeypatch.setattr(cem.calls.CallSizer, "calls", calls_of_seven)
    assert_same(explainer_.explain(X[INSTANCES], verbose=True), reference, "PP")


@pytest.mark.parametrize("model", ["autodiff", "black box"])
def test_interrupted_explain_leaves_the_explainer_usable(model, compiled, iris, feature_range, monkeypatch):
    """KeyboardInterrupt at the 2nd progress update; the next run gives the result of the runs before."""
    X, _ = iris
    if model == "autodiff":
        interrupted, before = compiled
    else:
        interrupted = explainer(linear_probabilities, "PP", feature_range)
        before = interrupted.explain(X[INSTANCES], verbose=False)
    with monkeypatch.context() as patch:
        stop = Interrupt(2, tqdm.update)
        patch.setattr(tqdm, "update", lambda bar, n=1: stop(bar, n))
        with pytest.raises(KeyboardInterrupt):
            interrupted.explain(X[INSTANCES], verbose=True)
    assert before["found"].sum() >= 2
    assert_same(interrupted.explain(X[INSTANCES], verbose=False), before, "PP")


def test_interrupt_while_compiling(compiled, iris, mlp, feature_range, monkeypatch):
    """Ctrl-C while the loop is traced: the next call compiles it again."""
    X, _ = iris
    reference = compiled[1]
    autodiff = explainer(mlp, "PP", feature_range)
    with monkeypatch.context() as patch:
        patch.setattr(autodiff.predictor, "tensor", Interrupt(1))
        with pytest.raises(KeyboardInterrupt):
            autodiff.explain(X[INSTANCES])
    assert_same(autodiff.explain(X[INSTANCES]), reference, "PP")


def test_interrupt_inside_a_black_box(iris, feature_range):
    """Ctrl-C inside the model's 5th call."""
    X, _ = iris
    black_box = explainer(Interrupt(5, linear_probabilities), "PP", feature_range)
    with pytest.raises(KeyboardInterrupt):
        black_box.explain(X[INSTANCES])
    reference = explainer(linear_probabilities, "PP", feature_range).explain(X[INSTANCES])
    assert reference["found"].sum() >= 2
    assert_same(black_box.explain(X[INSTANCES]), reference, "PP")


def test_interrupted_counterfactual_gives_the_same_result_next(iris):
    X, _ = iris
    generate = dict(original=X[60], target_class=2, n_counterfactuals=2, max_iterations=100)
    reference = Counterfactual(linear_probabilities, (X.min(0), X.max(0)), random_state=0).generate(**generate)
    model = Interrupt(30, linear_probabilities)
    explainer_ = Counterfactual(model, (X.min(0), X.max(0)), random_state=0)
    with pytest.raises(KeyboardInterrupt):
        explainer_.generate(**generate)
    again = explainer_.generate(**generate)
    assert len(reference) == 2
    for key in ("counterfactuals", "distance", "cf_pred"):
        np.testing.assert_array_equal(again[key], reference[key])


def traced_peak(run):
    """Peak bytes allocated through Python (NumPy included) while ``run()`` runs until its KeyboardInterrupt."""
    tracemalloc.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("model", ["autodiff", "black box"])
def test_typo_sized_cem_counts_stream(model, iris, mlp, feature_range, monkeypatch):
    """max_iterations = c_steps = 10⁹: progress from the first calls, memory independent of the counts."""
    X, _ = iris
    monkeypatch.setattr(cem.calls, "CALL_SECONDS", 0.01)  # calls of 10 ms: a short test
    huge = explainer(mlp if model == "autodiff" else linear_probabilities, "PN", feature_range,
                     max_iterations=HUGE, c_steps=HUGE)
    updates, stop = [], Interrupt(3)
    monkeypatch.setattr(tqdm, "update", lambda bar, n=1: (updates.append((bar.total, n)), stop()))
    with pytest.raises(KeyboardInterrupt):
        huge.explain(X[INSTANCES], verbose=True)  # compiles
    stop = Interrupt(3)
    peak = traced_peak(lambda: huge.explain(X[INSTANCES], verbose=True))
    assert updates[0][0] == HUGE * HUGE and all(0 < n <= 10**6 for _, n in updates)
    assert peak < 4 * 2**20


def test_typo_sized_counterfactual_counts_stream(iris, monkeypatch):
    """n_counterfactuals = 10⁸ (8·10⁸ candidates) and max_iterations = 10⁹: blocks of candidates, bounded memory."""
    X, _ = iris
    explainer_ = Counterfactual(linear_probabilities, (X.min(0), X.max(0)), random_state=0)
    updates, stop = [], Interrupt(5)
    monkeypatch.setattr(tqdm, "update", lambda bar, n=1: (updates.append(bar.total), stop()))
    peak = traced_peak(lambda: explainer_.generate(X[60], 2, n_counterfactuals=10**8, max_iterations=HUGE))
    assert updates[0] == 10**8 * 8 // 64 * HUGE
    assert peak < 4 * 2**20


def test_counterfactuals_from_several_blocks(iris):
    """10 counterfactuals: 80 candidates in blocks of 64 and 16; the kept ones reach the target,
    are sorted by distance and differ by more than the tolerance."""
    X, _ = iris
    explainer_ = Counterfactual(linear_probabilities, (X.min(0), X.max(0)), random_state=0)
    result = explainer_.generate(X[60], 2, n_counterfactuals=10, max_iterations=150)
    rows = np.array(result["counterfactuals"])
    assert 2 <= len(rows) <= 10
    np.testing.assert_array_equal(linear_probabilities(rows).argmax(1), 2)
    assert np.all(np.diff(result["distance"]) >= 0)
    scaled = (rows - X.min(0)) / (X.max(0) - X.min(0))
    assert all(np.abs(scaled[i] - scaled[j]).max() > 0.05 for i in range(len(rows)) for j in range(i))
