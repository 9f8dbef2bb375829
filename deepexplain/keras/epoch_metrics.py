"""The attribution metrics a training callback computes on every logged epoch.

Each is one of :mod:`deepexplain.metrics`, scored through one compiled
:class:`~deepexplain.metrics.TargetScores` (made once, so it reads the current weights):

* ``completeness``: ``Σ a − (f(x) − f(x̄))`` per sample; the scalar is its mean absolute value;
* ``deletion`` / ``insertion``: the AUC of Petsiuk et al. (2018) per sample; the scalar is the mean;
* ``sensitivity_n``: the correlations of Ancona et al. (ICLR 2018) per sample and subset size;
  the scalar is their mean (NaN-free part);
* ``infidelity``: Yeh et al. (NeurIPS 2019) per sample; the scalar is the mean.
"""
import inspect
import numbers

import numpy as np

from .. import metrics as quality
from ..validation import describe

FUNCTIONS = {"completeness": quality.completeness, "deletion": quality.deletion, "insertion": quality.insertion,
             "sensitivity_n": quality.sensitivity_n, "infidelity": quality.infidelity}
METRICS = tuple(FUNCTIONS)
FIXED = ("model", "xs", "attributions", "targets", "baseline", "logits", "batch_size")
RANDOMISED = ("sensitivity_n", "infidelity")
"""Metrics that draw subsets or noise: ``random_state=0`` unless given, so that every epoch draws the same."""


def check_metrics(metrics):
    """``{name: params}`` from a name, a sequence of names, or a dict of names to metric parameters."""
    if isinstance(metrics, str):
        metrics = (metrics,)
    if isinstance(metrics, dict):
        chosen = dict(metrics)
    elif isinstance(metrics, (list, tuple, set, frozenset)):
        chosen = {name: {} for name in metrics}
    else:
        raise TypeError(f"metrics: expected metric names {METRICS} (a sequence, or a dict of name to parameters), "
                        f"got {describe(metrics)}")
    unknown = [name for name in chosen if name not in METRICS]
    if unknown:
        raise ValueError(f"metrics: expected names among {METRICS}, got {unknown}")
    for name, params in chosen.items():
        if not isinstance(params, dict):
            raise TypeError(f"metrics[{name!r}]: expected a dict of parameters, got {describe(params)}")
        accepted = [p for p in inspect.signature(FUNCTIONS[name]).parameters if p not in FIXED]
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise TypeError(f"metrics[{name!r}]: unexpected parameters {unknown}; it takes {accepted}")
        if name in RANDOMISED and "random_state" in accepted and "seed" not in params:
            chosen[name] = {"random_state": 0, **params}
    return chosen


def check_targets(ys, n):
    """The explained output unit per sample for the metrics: ``-1`` (all summed) when ``ys`` is None,
    else the unit of each one-hot row of ``ys``; other weights cannot be scored."""
    if ys is None:
        return np.full(n, -1, np.int64)
    one_hot = ys.ndim == 2 and np.all((ys == 0) | (ys == 1)) and np.all(ys.sum(axis=1) == 1)
    if not one_hot:
        raise ValueError(f"ys: the metrics need one-hot rows (one explained unit per sample) or None, got an array of "
                         f"shape {ys.shape} that is not one-hot")
    return ys.argmax(axis=1).astype(np.int64)


def _baseline(params):
    baseline = params.get("baseline")
    return None if baseline is None or isinstance(baseline, numbers.Number) and baseline == 0 else baseline


class EpochMetrics:
    """``metrics(scores, xs, attributions)`` → ``(per_sample, scalars)`` for one logged epoch."""

    def __init__(self, chosen, targets, method_params):
        self.chosen = chosen
        self.targets = targets
        self.baseline = _baseline(method_params)

    def __call__(self, scores, xs, attributions):
        per_sample, scalars = {}, {}
        for name, params in self.chosen.items():
            if name == "completeness":
                error = quality.completeness(scores, xs, attributions, self.targets, self.baseline, **params)
                per_sample["metrics/completeness/error"] = error
                scalars["completeness_error"] = np.mean(np.abs(error))
            elif name in ("deletion", "insertion"):
                function = FUNCTIONS[name]
                auc = function(scores, xs, attributions, self.targets, baseline=self.baseline, **params)["auc"]
                per_sample[f"metrics/{name}/auc"] = auc
                scalars[f"{name}_auc"] = np.mean(auc)
            elif name == "sensitivity_n":
                correlation = quality.sensitivity_n(scores, xs, attributions, self.targets, baseline=self.baseline,
                                                    **params)["correlation"]
                per_sample["metrics/sensitivity_n/correlation"] = correlation
                scalars["sensitivity_n"] = np.nanmean(correlation) if np.isfinite(correlation).any() else np.nan
            else:
                values = quality.infidelity(scores, xs, attributions, self.targets, **params)
                per_sample["metrics/infidelity/infidelity"] = values
                scalars["infidelity"] = np.mean(values)
        return per_sample, scalars
