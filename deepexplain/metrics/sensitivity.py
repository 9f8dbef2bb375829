"""Sensitivity-n (Ancona et al., *Towards better understanding of gradient-based attribution
methods for deep neural networks*, ICLR 2018).

For subsets ``S`` of ``n`` features drawn at random, the Pearson correlation between
``Σ_{i∈S} aᵢ`` and ``f(x) − f(x with S set to the baseline)``. A method is sensitivity-n for
every n exactly when the model is linear in the features it removes (gradient*input on a linear
model gives 1 for every n).
"""
import functools
import warnings

import numpy as np

from ..batching import check_memory
from ..explanation import Explanation
from ..validation import describe, is_integer, positive_int
from .random_draws import draw_seed
from .scores import TargetScores, check_attributions, check_baseline

DEFAULT_FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


def default_ns(n_features):
    """Subset sizes from 1 to 80% of the features (never all of them)."""
    return sorted({min(max(1, int(round(f * n_features))), max(1, n_features - 1)) for f in DEFAULT_FRACTIONS})


def check_ns(ns, d):
    """``ns`` as subset sizes in ``[1, d)``: removing all ``d`` features gives the same subset every
    time, whose correlation is undefined."""
    if d < 2:
        raise ValueError(f"xs: sensitivity-n expected samples of at least 2 features, got {d}")
    if ns is None:
        return default_ns(d)
    sizes = [ns] if is_integer(ns) else ns
    if isinstance(sizes, str) or not hasattr(sizes, "__len__") or len(sizes) == 0 or not all(
            is_integer(k) and 1 <= k < d for k in sizes):
        raise ValueError(f"ns: expected subset sizes (integers) from 1 to {d - 1} (fewer than the {d} features: "
                         f"with all of them every subset is the same), got {describe(ns)}")
    return [int(k) for k in sizes]


def subset_masks(seed, sample, n_features, n, n_subsets):
    """``(n_subsets, n_features)`` bool masks of ``n`` features each, reproducible per (seed, sample, n)."""
    rng = np.random.default_rng([seed, sample, n])
    order = np.argsort(rng.random((n_subsets, n_features)), axis=1)[:, :n]
    masks = np.zeros((n_subsets, n_features), bool)
    np.put_along_axis(masks, order, True, axis=1)
    return masks


def pearson(a, b):
    """Row-wise Pearson correlation of two ``(rows, k)`` arrays (NaN where either is constant)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=1) / np.where(denominator > 0, denominator, 1), np.nan)


def warn_undefined(correlation, summed, change):
    """A ``RuntimeWarning`` naming the cause when some correlations are NaN (undefined): the summed
    attributions, or the output changes, are the same for every subset."""
    undefined = np.isnan(correlation)
    if not undefined.any():
        return
    flat = np.ptp(summed, axis=2) == 0
    causes = []
    if np.any(undefined & flat):
        causes.append(f"attributions: their subset sums are constant in {int(np.sum(undefined & flat))} "
                      "(e.g. equal attributions)")
    if np.any(undefined & ~flat):
        causes.append(f"the model's output changes are constant in {int(np.sum(undefined & ~flat))} (a model "
                      "that ignores the removed features)")
    warnings.warn(f"sensitivity_n: the correlation is undefined (NaN) for {int(undefined.sum())} of "
                  f"{undefined.size} (sample, n) pairs; " + "; ".join(causes), RuntimeWarning, stacklevel=3)


def sensitivity_n(model, xs, attributions, targets=None, ns=None, n_subsets=100, baseline=None, random_state=None,
                  logits=True, batch_size=None, seed=None):
    """Sensitivity-n: an ``Explanation`` ``{"n": ns, "correlation": (samples, len(ns))}``, the
    per-sample correlations.

    ``ns`` are the subset sizes (default: 1% to 80% of the features; each below the number of
    features), ``n_subsets`` (at least 2) the subsets per sample and n. All
    ``samples × len(ns) × n_subsets`` copies are streamed through the model. A correlation is
    NaN, with a ``RuntimeWarning`` naming the cause, where the summed attributions or the
    output changes are the same for every subset (e.g. constant attributions).
    ``random_state`` draws the subsets (None: fresh randomness; an int or a Generator:
    reproducible; ``seed`` is its old name).
    """
    seed = draw_seed(random_state, seed)
    xs, attributions = check_attributions(xs, attributions)
    scores = model if isinstance(model, TargetScores) else TargetScores(model, logits, batch_size)
    n, shape = len(xs), xs.shape[1:]
    d = int(np.prod(shape))
    ns = check_ns(ns, d)
    n_subsets = positive_int("n_subsets", n_subsets)
    if n_subsets < 2:
        raise ValueError(f"n_subsets: expected at least 2 subsets per sample and n (a correlation needs two points), "
                         f"got {n_subsets}")
    targets = scores.targets(targets, xs)
    flat_b = check_baseline(baseline, xs).reshape(-1)
    flat_x, flat_a = xs.reshape(n, -1), attributions.reshape(n, -1).astype(np.float64)

    check_memory("n_subsets", n_subsets, len(ns) * n_subsets * (n * 32 + 17 * d),
                 "subsets (their masks per sample and output changes)")

    @functools.lru_cache(maxsize=1)  # the copies stream sample by sample: each sample's masks are drawn once
    def masks(i):
        return np.concatenate([subset_masks(seed, i, d, k, n_subsets) for k in ns])

    def perturb(i, copies):
        m = masks(i)[copies]
        return np.where(m, flat_b, flat_x[i]).reshape((-1,) + shape)

    full = scores(xs, targets)
    removed = scores.copies(n, len(ns) * n_subsets, perturb, targets)
    change = (full[:, None] - removed).reshape(n, len(ns), n_subsets)
    summed = np.stack([(masks(i) * flat_a[i]).sum(axis=1) for i in range(n)]).reshape(n, len(ns), n_subsets)
    correlation = np.stack([pearson(summed[:, j], change[:, j]) for j in range(len(ns))], axis=1)
    warn_undefined(correlation, summed, change)
    return Explanation({"n": np.asarray(ns), "correlation": correlation}, "sensitivity_n",
                       params={"n_subsets": n_subsets, "random_state": random_state, "logits": logits},
                       model=model)
