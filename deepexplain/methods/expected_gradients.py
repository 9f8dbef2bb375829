"""Expected gradients (Erion et al., Nature Machine Intelligence 2021), as shap's GradientExplainer.

For each of ``samples`` draws: a background row ``r`` and ``t ~ U(0, 1)``, the
point ``r + t·(x̃ − r)`` with ``x̃ = x + N(0, local_smoothing²)``; the attribution
is the mean of ``∂ΣT·ys/∂x`` at those points times ``(x − r)``. It estimates
integrated gradients averaged over the background, so the sums approach
``T(x) − mean_r T(r)`` as ``samples`` grows.

The draws of a run (the same on every run for an integer ``seed``) are shared by
every sample (common random numbers): each sample's estimate is distributed exactly
as with draws of its own, a sample's attributions do not depend on the other samples
of the run, and differences between samples are not blurred by independent draws.
They are made in chunks of copies as the blocks need them, each chunk from a
generator derived from ``seed`` and the chunk's index (:class:`~.base.StreamedDraws`),
so memory does not grow with ``samples`` and results do not depend on ``batch_size``.
The points of all samples are folded into the batch dimension and streamed in
blocks of at most ``batch_size`` rows.
"""
import numpy as np

from ..validation import non_negative_float, positive_int
from .base import GradientMethod, StreamedDraws, chunk_copies, copy_blocks, fold, per_copy
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
        self._draws = StreamedDraws(seed)
        self.local_smoothing = non_negative_float("local_smoothing", local_smoothing)
        self.progress = progress

    def check(self, xs):
        self._background = check_background(self.background, xs)
        noise = sum(int(np.prod(x.shape[1:])) for x in xs) if self.local_smoothing else 0
        self._draws.start(self.samples, chunk_copies(2 + noise), self._draw)

    def _draw(self, generator, size):
        """``size`` draws: background row indices, positions ``t`` and, with local smoothing, the
        noise of each input."""
        rows, t = self.draws(generator, size, len(self._background[0]))
        if not self.local_smoothing:
            return [rows, t]
        return [rows, t] + [
            self.local_smoothing * generator.standard_normal((size,) + b.shape[1:], np.float32)
            for b in self._background
        ]

    def draws(self, generator, size, background_rows):
        """``size`` draws from ``generator``: the background row index and the position ``t`` on the segment."""
        return generator.integers(background_rows, size=size), generator.random(size, np.float32)

    def attribute_batch(self, model, xs, ys, batch_size):
        totals = [np.zeros_like(x) for x in xs]
        for block in copy_blocks(len(ys), self.samples, batch_size, self.progress, self.name):
            rows, t, *noises = self._draws[block.copies]
            points, deltas = [], []
            for x, b, noise in zip(xs, self._background, noises or [None] * len(xs)):
                start = b[rows]
                delta = x[block.samples, None] - start
                point = (delta if noise is None else delta + noise) * per_copy(t, delta.ndim)
                point += start
                points.append(fold(point))
                deltas.append(fold(delta))
            for total, g, delta in zip(totals, model.gradients(points, block.weights(ys)), deltas):
                total[block.samples] += block.sums(np.multiply(g, delta, out=delta))
        return [t / self.samples for t in totals]
