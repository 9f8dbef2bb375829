"""Deletion and insertion (Petsiuk et al., *RISE: Randomized Input Sampling for Explanation of
Black-box Models*, BMVC 2018).

Features are taken in decreasing order of attribution. **Deletion** sets the first ``k`` of
them to the baseline, **insertion** starts from the baseline and puts the first ``k`` back; the
model output is recorded for ``k`` on a grid of ``steps + 1`` points from none to all features,
and the area under that curve (trapezoidal rule, over the fraction of features in [0, 1]) is
the score: a good attribution gives a low deletion AUC and a high insertion AUC.
"""
import numpy as np

from ..batching import check_memory
from ..explanation import Explanation
from ..validation import positive_int
from .scores import TargetScores, check_attributions, check_baseline


def _curves(model, xs, attributions, targets, steps, baseline, logits, batch_size, insert):
    xs, attributions = check_attributions(xs, attributions)
    scores = model if isinstance(model, TargetScores) else TargetScores(model, logits, batch_size)
    steps = positive_int("steps", steps)
    n, shape = len(xs), xs.shape[1:]
    flat_x, flat_b = xs.reshape(n, -1), check_baseline(baseline, xs).reshape(-1)
    d = flat_x.shape[1]
    ranks = np.empty((n, d), np.int64)
    order = np.argsort(-attributions.reshape(n, -1), axis=1, kind="stable")
    np.put_along_axis(ranks, order, np.arange(d)[None, :].repeat(n, 0), axis=1)
    check_memory("steps", steps, (steps + 1) * (8 * n + 40), "curves")
    counts = np.round(np.linspace(0, d, steps + 1)).astype(np.int64)
    distinct = counts[np.flatnonzero(np.diff(counts, prepend=-1))]  # counts never decrease: at most d + 1 points

    def perturb(i, copies):
        changed = ranks[i][None, :] < distinct[copies][:, None]
        start, end = (flat_b, flat_x[i]) if insert else (flat_x[i], flat_b)
        return np.where(changed, end, start).reshape((-1,) + shape)

    scored = scores.copies(n, len(distinct), perturb, scores.targets(targets, xs))
    auc = ((scored[:, 1:] + scored[:, :-1]) / 2 * np.diff(distinct / d)).sum(axis=1)
    curves, fractions = scored[:, np.searchsorted(distinct, counts)], counts / d
    return Explanation({"fraction": fractions, "curves": curves, "auc": auc}, "insertion" if insert else "deletion",
                       params={"steps": steps, "logits": logits}, model=model)


def deletion(model, xs, attributions, targets=None, steps=20, baseline=None, logits=True, batch_size=None):
    """Deletion curves and AUC per sample: an ``Explanation`` ``{"fraction", "curves": (samples,
    steps+1), "auc": (samples,)}``."""
    return _curves(model, xs, attributions, targets, steps, baseline, logits, batch_size, insert=False)


def insertion(model, xs, attributions, targets=None, steps=20, baseline=None, logits=True, batch_size=None):
    """Insertion curves and AUC per sample, as :func:`deletion`."""
    return _curves(model, xs, attributions, targets, steps, baseline, logits, batch_size, insert=True)
