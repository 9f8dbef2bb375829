"""Huge counts in the toolbox (issue #18): a count whose samples must all be held at once (the
surrogate or regression fit needs them) and would not fit in memory is refused up front, naming
the parameter, before any sampling or model call."""
import numpy as np
import pytest

from deepexplain import batching
from deepexplain.explainable import KernelShap, LimeImage, LimeTabular, LimeText, PermutationImportance

X = np.random.default_rng(0).normal(size=(6, 20))
IMAGE = np.random.default_rng(1).random((12, 12, 3))


def row_sums(rows):
    return np.asarray(rows).sum(axis=1, keepdims=True)


def image_scores(images):
    means = np.asarray(images).reshape(len(images), -1).mean(axis=1)
    return np.stack([means, 1 - means], axis=1)


def text_scores(texts):
    lengths = np.array([len(t) for t in texts], float)
    return np.stack([lengths / 100, 1 - lengths / 100], axis=1)


CASES = {
    "n_samples": lambda count: KernelShap(row_sums, X).explain(X[:1], n_samples=count, progress=False),
    "num_samples/tabular": lambda count: LimeTabular(row_sums, data=X, progress=False).explain(X[0], num_samples=count),
    "num_samples/image": lambda count: LimeImage(image_scores, segmentation="slic", progress=False).explain(
        IMAGE, num_samples=count),
    "num_samples/text": lambda count: LimeText(text_scores, progress=False).explain("a b c d e", num_samples=count),
    "n_repeats": lambda count: PermutationImportance(row_sums, metric="r2", n_repeats=count, progress=False).compute(
        X, X.sum(axis=1)),
}


@pytest.mark.parametrize("case", CASES)
def test_a_count_that_cannot_fit_is_refused_up_front(monkeypatch, case):
    monkeypatch.setattr(batching, "memory_limit", lambda: 2**20)
    name = case.split("/")[0]
    with pytest.raises(ValueError, match=rf"^{name}: expected a count whose .* fit in memory, got 1000000, which "
                                         r"needs [0-9.]+ GiB at once \(more than half of this machine's 0.0 GiB\)"):
        CASES[case](10**6)


@pytest.mark.parametrize("case", CASES)
def test_a_count_that_fits_runs(monkeypatch, case):
    monkeypatch.setattr(batching, "memory_limit", lambda: 2**20)
    CASES[case](50)
