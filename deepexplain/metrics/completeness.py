"""Completeness (Sundararajan et al., 2017; Ancona et al., ICLR 2018): ``Σᵢ aᵢ = f(x) − f(x̄)``.

Integrated gradients and DeepLIFT satisfy it by construction (up to the integration error);
saliency and occlusion do not. The error per sample is ``Σᵢ aᵢ − (f(x) − f(x̄))``.
"""
import numpy as np

from .scores import TargetScores, check_attributions, check_baseline


def completeness(model, xs, attributions, targets=None, baseline=None, logits=True, batch_size=None):
    """Per-sample completeness errors ``Σ attributions − (f(x) − f(baseline))`` (float64).

    ``targets`` are the explained output units (-1 or None: all summed), ``baseline`` one sample
    (zeros by default), ``logits`` as for the explainers. ``model`` may be a
    :class:`~deepexplain.metrics.scores.TargetScores` to reuse its compiled function.
    """
    xs, attributions = check_attributions(xs, attributions)
    scores = model if isinstance(model, TargetScores) else TargetScores(model, logits, batch_size)
    targets = scores.targets(targets, xs)
    baseline = check_baseline(baseline, xs)
    def ends(i, copies):  # copy 0: the sample, copy 1: the baseline
        return np.where((copies == 0).reshape((-1,) + (1,) * baseline.ndim), xs[i], baseline)

    both = scores.copies(len(xs), 2, ends, targets)
    return attributions.reshape(len(xs), -1).sum(axis=1, dtype=np.float64) - (both[:, 0] - both[:, 1])
