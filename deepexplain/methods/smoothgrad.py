"""SmoothGrad (Smilkov et al., 2017) and its squared and variance variants.

The saliency map ``|∂ΣT·ys/∂x|`` averaged over ``samples`` noisy copies
``x + σ·z``, ``z ~ N(0, I)``, ``σ = noise_level · (max x − min x)`` (the range of
each sample). ``squared=True`` averages ``(∂ΣT·ys/∂x)²`` instead
(SmoothGrad-Squared, Hooker et al., NeurIPS 2019); ``variance=True`` gives the
variance of the gradient over the copies (VarGrad, Adebayo et al., 2018). With
zero noise, SmoothGrad equals ``saliency``.

The ``samples`` noise draws ``z`` of a run (the same on every run for an integer
``seed``) are shared by every sample, each scaled by its own ``σ`` (common random
numbers): each sample's estimate is distributed exactly as with noise of its own,
and a sample's map does not depend on the other samples of the run. The draws are
made in chunks of copies as the blocks need them (:class:`~.base.StreamedDraws`),
so memory does not grow with ``samples`` and results do not depend on ``batch_size``.
The copies of all samples are folded into the batch dimension and streamed in blocks
of at most ``batch_size`` rows.
"""
import numpy as np

from ..validation import boolean, non_negative_float, positive_int
from .base import GradientMethod, StreamedDraws, chunk_copies, copy_blocks, fold, per_sample


class SmoothGrad(GradientMethod):
    """SmoothGrad: the saliency map averaged over noisy copies of the input.

    ``φ(x) = (1/S) Σ_s |∂ Σ(T·ys) / ∂x  at  x + σ z_s|``, ``z_s ~ N(0, I)``,
    ``σ = noise_level · (max x − min x)`` per sample, over ``S = samples`` copies. SmoothGrad-Squared
    averages the squared gradient instead, VarGrad takes its variance. Zero noise gives saliency.

    Parameters
    ----------
    samples : int, default 50
        Number of noisy copies per sample.
    noise_level : float, default 0.15
        ``σ`` relative to each sample's range ``max x − min x``.
    seed : None, int or numpy.random.Generator, default None
        Source of the random draws: an int gives the same draws on every run.
    squared : bool, default False
        SmoothGrad-Squared: the mean of the squared gradient.
    variance : bool, default False
        VarGrad: the variance of the gradient over the copies (at most one of ``squared`` and
        ``variance``).
    progress : bool, default True
        Show a progress bar over the model calls.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("smoothgrad", ...)`` or ``get_explainer("smoothgrad", ...).run(...)``.

    References
    ----------
    .. [1] D. Smilkov, N. Thorat, B. Kim, F. Viégas, M. Wattenberg, "SmoothGrad: removing noise by
       adding noise", 2017. arXiv:1706.03825
    .. [2] S. Hooker, D. Erhan, P.-J. Kindermans, B. Kim, "A benchmark for interpretability methods
       in deep neural networks", NeurIPS, 2019. arXiv:1806.10758
    .. [3] J. Adebayo, J. Gilmer, I. Goodfellow, B. Kim, "Local explanation methods for deep neural
       networks lack sensitivity to parameter values", ICLR workshop, 2018. arXiv:1810.03307
    """

    name = "smoothgrad"

    def __init__(self, samples=50, noise_level=0.15, seed=None, squared=False, variance=False, progress=True):
        self.samples = positive_int("samples", samples)
        self.noise_level = non_negative_float("noise_level", noise_level)
        self._noise = StreamedDraws(seed)
        boolean("squared", squared)
        boolean("variance", variance)
        if squared and variance:
            raise ValueError(
                "squared, variance: expected at most one of them True (SmoothGrad-Squared or VarGrad), got both"
            )
        self.squared, self.variance = bool(squared), bool(variance)
        self.progress = progress

    def check(self, xs):
        shapes = [x.shape[1:] for x in xs]
        self._noise.start(
            self.samples,
            chunk_copies(sum(int(np.prod(s)) for s in shapes)),
            lambda generator, size: [generator.standard_normal((size,) + s, np.float32) for s in shapes],
        )

    def attribute_batch(self, model, xs, ys, batch_size):
        sigmas = [self.noise_level * _ranges(x) for x in xs]
        first = [np.zeros(x.shape, np.float64) for x in xs]
        second = [np.zeros(x.shape, np.float64) for x in xs]
        for block in copy_blocks(len(ys), self.samples, batch_size, self.progress, self.name):
            noisy = []
            for x, s, z in zip(xs, sigmas, self._noise[block.copies]):
                points = z[None] * per_sample(s[block.samples], x.ndim + 1)
                points += x[block.samples, None]
                noisy.append(fold(points))
            for f, q, g, points in zip(first, second, model.gradients(noisy, block.weights(ys)), noisy):
                if self.squared or self.variance:
                    q[block.samples] += block.sums(np.square(g, dtype=np.float64))
                if not self.squared:  # |g| written over the points, which are no longer needed
                    f[block.samples] += block.sums(g if self.variance else np.abs(g, out=points))
        if self.variance:
            return [
                np.maximum(q / self.samples - np.square(f / self.samples), 0).astype(np.float32)
                for f, q in zip(first, second)
            ]
        totals = second if self.squared else first
        return [(t / self.samples).astype(np.float32) for t in totals]


def _ranges(x):
    """Each sample's ``max − min``."""
    flat = x.reshape(len(x), -1)
    return flat.max(axis=1) - flat.min(axis=1)
