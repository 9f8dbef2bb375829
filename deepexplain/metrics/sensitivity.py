"""Sensitivity-n (Ancona et al., *Towards better understanding of gradient-based attribution
methods for deep neural networks*, ICLR 2018).

For subsets ``S`` of ``n`` features drawn at random, the Pearson correlation between
``Σ_{i∈S} aᵢ`` and ``f(x) − f(x with S set to the baseline)``. A method is sensitivity-n for
every n exactly when the model is linear in the features it removes (gradient*input on a linear
model gives 1 for every n).
"""
import numpy as np

from ..validation import positive_int
from .scores import TargetScores, check_attributions, check_baseline, check_targets

DEFAULT_FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


def default_ns(n_features):
    """Subset sizes from 1 to 80% of the features."""
    return sorted({max(1, int(round(f * n_features))) for f in DEFAULT_FRACTIONS})


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


def sensitivity_n(model, xs, attributions, targets=None, ns=None, n_subsets=100, baseline=None, seed=0, logits=True,
                  batch_size=None):
    """Sensitivity-n: ``{"n": ns, "correlation": (samples, len(ns))}``, the per-sample correlations.

    ``ns`` are the subset sizes (default: 1% to 80% of the features), ``n_subsets`` the subsets
    per sample and n. All ``samples × len(ns) × n_subsets`` copies are streamed through the model.
    """
    xs, attributions = check_attributions(xs, attributions)
    scores = model if isinstance(model, TargetScores) else TargetScores(model, logits, batch_size)
    n, shape = len(xs), xs.shape[1:]
    d = int(np.prod(shape))
    ns = default_ns(d) if ns is None else [positive_int("ns", int(k)) for k in ns]
    if max(ns) > d:
        raise ValueError(f"ns: expected subset sizes of at most {d} features, got {max(ns)}")
    n_subsets = positive_int("n_subsets", n_subsets)
    targets = check_targets(targets, n)
    flat_b = check_baseline(baseline, xs).reshape(-1)
    flat_x, flat_a = xs.reshape(n, -1), attributions.reshape(n, -1).astype(np.float64)

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
    return {"n": np.asarray(ns), "correlation": correlation}
