"""Integrated Gradients (Sundararajan et al., 2017).

``(x − x̄) ⊙ ∫₀¹ ∂T(x̄ + α(x − x̄))/∂x dα``, the integral approximated by a
quadrature rule of ``steps`` points ``α_k`` with weights ``w_k``:
``rule="midpoint"`` (``α_k = (k + ½)/steps``, ``w_k = 1/steps``) or
``rule="gausslegendre"`` (the Gauss-Legendre nodes and weights on [0, 1], exact
for polynomials of degree ``2·steps − 1``; captum's default). The points of all
samples are folded into the batch dimension and streamed through the model in
blocks of at most ``batch_size`` rows.

The attributions of a sample add up to ``T(x) − T(x̄)`` up to the quadrature
error; that error, the convergence delta ``Σ attributions − (T(x) − T(x̄))`` per
sample, is kept as ``delta`` (``explainer.last_delta``), from one more forward
pass over ``x`` and ``x̄``, and a warning tells when it exceeds ``tolerance``
times ``|T(x) − T(x̄)|``.
"""
import warnings

import numpy as np

from ..validation import describe, non_negative_float, positive_int
from .base import GradientMethod, check_baseline, copy_blocks, fold, per_copy

RULES = ("midpoint", "gausslegendre")


MAX_GAUSS_LEGENDRE_STEPS = 1000
"""Most Gauss-Legendre points: NumPy computes the nodes from a ``steps × steps`` matrix."""


def gauss_legendre(steps):
    """``(alphas, weights)``: the ``steps`` Gauss-Legendre nodes of [0, 1] and their weights times ``steps``."""
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    return ((nodes + 1) / 2).astype(np.float32), (weights * (steps / 2)).astype(np.float32)


class IntegratedGradients(GradientMethod):
    """Integrated Gradients: the gradient averaged along the straight path from a baseline.

    ``φ(x) = (x − x̄) ⊙ Σ_k w_k · ∂ Σ(T·ys) / ∂x  at  x̄ + α_k (x − x̄)``, over the ``steps`` nodes
    ``α_k`` and weights ``w_k`` of a quadrature rule on [0, 1], so that ``Σ φ ≈ T(x) − T(x̄)``
    (completeness). The error of that sum, per sample, is kept as ``delta``.

    Parameters
    ----------
    steps : int, default 100
        Number of points on the path.
    baseline : numpy.ndarray or list of numpy.ndarray, optional
        ``x̄``, shaped like one sample (no batch dimension; a list for several inputs).
        Default: zeros.
    rule : {"midpoint", "gausslegendre"}, default "midpoint"
        The quadrature: ``α_k = (k + ½) / steps`` with equal weights, or the Gauss-Legendre nodes
        and weights (exact for polynomials of degree ``2·steps − 1``).
    tolerance : float, default 0.05
        A warning tells when ``|delta|`` exceeds ``tolerance · |T(x) − T(x̄)|``.
    progress : bool, default True
        Show a progress bar over the model calls.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("intgrad", ...)`` or ``get_explainer("intgrad", ...).run(...)``.

    References
    ----------
    .. [1] M. Sundararajan, A. Taly, Q. Yan, "Axiomatic attribution for deep networks", ICML, 2017.
       arXiv:1703.01365
    """

    name = "intgrad"

    def __init__(self, steps=100, baseline=None, rule="midpoint", tolerance=0.05, progress=True):
        self.steps = positive_int("steps", steps)
        if rule not in RULES:
            raise ValueError(f"rule: expected one of {RULES}, got {describe(rule)}")
        if rule == "gausslegendre" and self.steps > MAX_GAUSS_LEGENDRE_STEPS:
            raise ValueError(
                f"steps: expected at most {MAX_GAUSS_LEGENDRE_STEPS} points with rule='gausslegendre' (its nodes "
                f"cost steps² memory to compute, and converge long before), got {self.steps}"
            )
        # the midpoint rule's nodes are made per block and its weights are all 1 (no rounding): memory does not
        # grow with steps
        self._gauss_legendre = gauss_legendre(self.steps) if rule == "gausslegendre" else None
        self.quadrature = rule
        self.tolerance = non_negative_float("tolerance", tolerance)
        self.baseline = baseline
        self.progress = progress
        self._baselines = None
        self.delta = None

    def check(self, xs):
        self._baselines = check_baseline(self.baseline, xs)

    def attribute(self, model, xs, ys, batch_size):
        self._deltas = []
        result = super().attribute(model, xs, ys, batch_size)
        self.delta = np.concatenate(self._deltas) if self._deltas else np.zeros(0, np.float32)
        return result

    def attribute_batch(self, model, xs, ys, batch_size):
        totals = [np.zeros_like(x) for x in xs]
        for block in copy_blocks(len(ys), self.steps, batch_size, self.progress, self.name):
            alphas, weights = self._nodes(block)
            points = []
            for x, b in zip(xs, self._baselines):
                point = (x[block.samples, None] - b) * per_copy(alphas, x.ndim + 1)
                point += b
                points.append(fold(point))
            for total, g in zip(totals, model.gradients(points, block.weights(ys))):
                if weights is not None:
                    g = g * weights.reshape((-1,) + (1,) * (g.ndim - 1))
                total[block.samples] += block.sums(g)
        attributions = [t * (x - b) / self.steps for t, x, b in zip(totals, xs, self._baselines)]
        self._deltas.append(self._convergence_delta(model, xs, ys, attributions))
        return attributions

    def _nodes(self, block):
        """The block's nodes ``α_k`` and, for Gauss-Legendre, each row's weight ``w_k·steps`` (None: all 1)."""
        if self._gauss_legendre is None:
            return ((np.arange(block.copies.start, block.copies.stop) + 0.5) / self.steps).astype(np.float32), None
        alphas, weights = (a[block.copies] for a in self._gauss_legendre)
        return alphas, np.tile(weights, block.samples.stop - block.samples.start)

    def _convergence_delta(self, model, xs, ys, attributions):
        """``Σ attributions − (T(x) − T(x̄))`` per sample; warns where it exceeds ``tolerance·|T(x) − T(x̄)|``."""
        n = len(ys)
        ends = model.outputs([np.concatenate([x, np.broadcast_to(b, x.shape)]) for x, b in zip(xs, self._baselines)],
                             np.concatenate([ys, ys]))
        change = ends[:n] - ends[n:]
        delta = sum(a.reshape(n, -1).sum(axis=1) for a in attributions) - change
        floor = 1e-5 * (np.abs(ends[:n]) + np.abs(ends[n:]))  # float32 rounding of the two outputs
        missed = np.abs(delta) > self.tolerance * np.abs(change) + floor
        if missed.any():
            worst = np.max(np.abs(delta[missed]) / np.maximum(np.abs(change[missed]), 1e-12))
            warnings.warn(
                f"intgrad: the attributions of {int(missed.sum())} of {n} samples miss T(x) − T(baseline) by more "
                f"than tolerance={self.tolerance:g} of it (up to {worst:.3g} of it) with steps={self.steps} "
                f"({self.quadrature} rule): raise steps, or use rule='gausslegendre' for smooth models; "
                "explainer.last_delta gives the error per sample",
                UserWarning,
                stacklevel=6,
            )
        return delta.astype(np.float32)
