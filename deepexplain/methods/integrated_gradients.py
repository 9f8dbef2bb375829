"""Integrated Gradients (Sundararajan et al., 2017).

``(x − x̄) ⊙ ∫₀¹ ∂T(x̄ + α(x − x̄))/∂x dα``, by the midpoint rule over ``steps``
points. The points of all samples are folded into the batch dimension and
streamed through the model in chunks of ``batch_size`` rows.
"""
import numpy as np

from ..validation import positive_int
from .base import GradientMethod, check_baseline, expanded_rows, sum_rows_by_owner


def midpoint_alphas(step, steps):
    """The midpoint-rule nodes of [0, 1] for the steps ``step`` (integers in ``[0, steps)``);
    each has weight ``1 / steps``."""
    return ((step + 0.5) / steps).astype(np.float32)


class IntegratedGradients(GradientMethod):
    name = "intgrad"

    def __init__(self, steps=100, baseline=None, progress=True):
        self.steps = positive_int("steps", steps)
        self.baseline = baseline
        self.progress = progress
        self._baselines = None

    def check(self, xs):
        self._baselines = check_baseline(self.baseline, xs)

    def attribute_batch(self, model, xs, ys, batch_size):
        n = len(ys)
        totals = [np.zeros_like(x) for x in xs]
        for rows in expanded_rows(n, self.steps, batch_size, self.progress, self.name):
            index = np.arange(rows.start, rows.stop)
            owner, alpha = index // self.steps, midpoint_alphas(index % self.steps, self.steps)
            points = [b + _expand(alpha, x.ndim) * (x[owner] - b) for x, b in zip(xs, self._baselines)]
            grads = model.gradients(points, ys[owner])
            for total, g in zip(totals, grads):
                total += sum_rows_by_owner(g, owner, n)
        return [t * (x - b) / self.steps for t, x, b in zip(totals, xs, self._baselines)]


def _expand(values, ndim):
    return values.reshape((-1,) + (1,) * (ndim - 1))
