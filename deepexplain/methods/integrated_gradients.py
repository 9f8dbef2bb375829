"""Integrated Gradients (Sundararajan et al., 2017).

``(x − x̄) ⊙ ∫₀¹ ∂T(x̄ + α(x − x̄))/∂x dα``, by the midpoint rule over ``steps``
points. The points of all samples are folded into the batch dimension and
streamed through the model in blocks of at most ``batch_size`` rows.
"""
import numpy as np

from ..validation import positive_int
from .base import GradientMethod, check_baseline, copy_blocks, fold, per_copy


def midpoint_alphas(steps):
    """The ``steps`` midpoint-rule nodes of [0, 1]; each has weight ``1 / steps``."""
    return ((np.arange(steps) + 0.5) / steps).astype(np.float32)


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
        alphas = midpoint_alphas(self.steps)
        totals = [np.zeros_like(x) for x in xs]
        for block in copy_blocks(len(ys), self.steps, batch_size, self.progress, self.name):
            points = []
            for x, b in zip(xs, self._baselines):
                point = (x[block.samples, None] - b) * per_copy(alphas[block.copies], x.ndim + 1)
                point += b
                points.append(fold(point))
            for total, g in zip(totals, model.gradients(points, block.weights(ys))):
                total[block.samples] += block.sums(g)
        return [t * (x - b) / self.steps for t, x, b in zip(totals, xs, self._baselines)]
