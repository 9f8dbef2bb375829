"""Expected gradients (Erion et al., Nature Machine Intelligence 2021), as shap's GradientExplainer.

For each of ``samples`` draws: a background row ``r`` and ``t ~ U(0, 1)``, the
point ``r + t·(x̃ − r)`` with ``x̃ = x + N(0, local_smoothing²)``; the attribution
is the mean of ``∂ΣT·ys/∂x`` at those points times ``(x − r)``. It estimates
integrated gradients averaged over the background, so the sums approach
``T(x) − mean_r T(r)`` as ``samples`` grows.

The draws are made once per run (once per explainer for an integer ``seed``, which
gives the same draws every run) and shared by every sample (common random numbers):
each sample's estimate is distributed exactly as with draws of its own, a sample's
attributions do not depend on the other samples of the run, and differences between
samples are not blurred by independent draws. They come from generators derived
from ``seed``, so results do not depend on ``batch_size``.
The points of all samples are folded into the batch dimension and streamed in
blocks of at most ``batch_size`` rows.
"""
import numpy as np

from ..validation import non_negative_float, positive_int
from .base import GradientMethod, SeededDraws, copy_blocks, fold, per_copy
from .references import check_background


class ExpectedGradients(GradientMethod):
    """Expected gradients: integrated gradients averaged over a background distribution.

    ``φ(x) = (1/S) Σ_s (x − r_s) ⊙ ∂ Σ(T·ys) / ∂x  at  r_s + t_s (x̃ − r_s)``, with ``r_s`` a random
    background row, ``t_s ~ U(0, 1)`` and ``x̃ = x + N(0, local_smoothing²)``, over ``S = samples``
    draws; ``Σ φ → T(x) − mean_r T(r)`` as ``samples`` grows. shap's ``GradientExplainer``.

    Parameters
    ----------
    background : numpy.ndarray or list of numpy.ndarray
        Background rows, batch first, shaped like ``xs``. Required.
    samples : int, default 200
        Number of draws ``(r_s, t_s)``, shared by every sample of a run.
    seed : None, int or numpy.random.Generator, default None
        Source of the random draws: an int gives the same draws on every run.
    local_smoothing : float, default 0.0
        Standard deviation of the noise added to ``x``.
    progress : bool, default True
        Show a progress bar over the model calls.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("expected_gradients", ...)`` or ``get_explainer("expected_gradients", ...).run(...)``.

    References
    ----------
    .. [1] G. Erion, J. D. Janizek, P. Sturmfels, S. M. Lundberg, S.-I. Lee, "Improving performance
       of deep learning models with axiomatic attribution priors and expected gradients", Nature
       Machine Intelligence 3, 2021. arXiv:1906.10670
    """

    name = "expected_gradients"

    def __init__(self, background=None, samples=200, seed=None, local_smoothing=0.0, progress=True):
        self.background = background
        self.samples = positive_int("samples", samples)
        self._draws = SeededDraws(seed)
        self.local_smoothing = non_negative_float("local_smoothing", local_smoothing)
        self.progress = progress

    def check(self, xs):
        background = check_background(self.background, xs)
        self._starts, self._noise, self._t = self._draws(
            [x.shape[1:] for x in xs], 3, lambda *g: self._draw(background, *g)
        )

    def _draw(self, background, rows, times, noise):
        """The segments' starts and ``t``, and the local smoothing noise, of every draw."""
        ref, t = self.draws(rows, times, len(background[0]))
        starts = [b[ref] for b in background]
        noises = [
            self.local_smoothing * noise.standard_normal(r.shape, np.float32) if self.local_smoothing else None
            for r in starts
        ]
        return starts, noises, t

    def draws(self, rows, times, background_rows):
        """``samples`` draws with the generators ``rows`` and ``times``: the background row index and
        the position ``t`` on the segment."""
        return rows.integers(background_rows, size=self.samples), times.random(self.samples, np.float32)

    def attribute_batch(self, model, xs, ys, batch_size):
        totals = [np.zeros_like(x) for x in xs]
        for block in copy_blocks(len(ys), self.samples, batch_size, self.progress, self.name):
            points, deltas = [], []
            t = self._t[block.copies]
            for x, r, noise in zip(xs, self._starts, self._noise):
                start = r[block.copies]
                delta = x[block.samples, None] - start
                point = (delta if noise is None else delta + noise[block.copies]) * per_copy(t, delta.ndim)
                point += start
                points.append(fold(point))
                deltas.append(fold(delta))
            for total, g, delta in zip(totals, model.gradients(points, block.weights(ys)), deltas):
                total[block.samples] += block.sums(np.multiply(g, delta, out=delta))
        return [t / self.samples for t in totals]
