"""SmoothGrad (Smilkov et al., 2017) and its squared and variance variants.

The saliency map ``|∂ΣT·ys/∂x|`` averaged over ``samples`` noisy copies
``x + σ·z``, ``z ~ N(0, I)``, ``σ = noise_level · (max x − min x)`` (the range of
each sample). ``squared=True`` averages ``(∂ΣT·ys/∂x)²`` instead
(SmoothGrad-Squared, Hooker et al., NeurIPS 2019); ``variance=True`` gives the
variance of the gradient over the copies (VarGrad, Adebayo et al., 2018). With
zero noise, SmoothGrad equals ``saliency``.

The ``samples`` noise draws ``z`` are made once per run (once per explainer for an
integer ``seed``, which gives the same draws every run) and shared by every
sample, each scaled by its own ``σ`` (common random numbers): each sample's
estimate is distributed exactly as with noise of its own, a sample's map does not
depend on the other samples of the run, and the draws cost ``samples`` times the
size of one sample instead of ``n`` times that. The copies of all samples are
folded into the batch dimension and streamed in blocks of at most ``batch_size`` rows.
"""
import numpy as np

from ..validation import non_negative_float, positive_int
from .base import GradientMethod, SeededDraws, copy_blocks, fold, per_sample


class SmoothGrad(GradientMethod):
    name = "smoothgrad"

    def __init__(self, samples=50, noise_level=0.15, seed=None, squared=False, variance=False, progress=True):
        self.samples = positive_int("samples", samples)
        self.noise_level = non_negative_float("noise_level", noise_level)
        self._draws = SeededDraws(seed)
        for name, value in (("squared", squared), ("variance", variance)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name}: expected True or False, got {value!r}")
        if squared and variance:
            raise ValueError("squared, variance: expected at most one of them True (SmoothGrad-Squared or VarGrad), got both")
        self.squared, self.variance = bool(squared), bool(variance)
        self.progress = progress

    def check(self, xs):
        shapes = [(self.samples,) + x.shape[1:] for x in xs]
        self._noise = self._draws(shapes, len(xs), lambda *g: [rng.standard_normal(s, np.float32) for s, rng in zip(shapes, g)])

    def attribute_batch(self, model, xs, ys, batch_size):
        sigmas = [self.noise_level * _ranges(x) for x in xs]
        first = [np.zeros(x.shape, np.float64) for x in xs]
        second = [np.zeros(x.shape, np.float64) for x in xs]
        for block in copy_blocks(len(ys), self.samples, batch_size, self.progress, self.name):
            noisy = []
            for x, s, z in zip(xs, sigmas, self._noise):
                points = z[None, block.copies] * per_sample(s[block.samples], x.ndim + 1)
                points += x[block.samples, None]
                noisy.append(fold(points))
            for f, q, g, points in zip(first, second, model.gradients(noisy, block.weights(ys)), noisy):
                if self.squared or self.variance:
                    q[block.samples] += block.sums(np.square(g, dtype=np.float64))
                if not self.squared:  # |g| written over the points, which are no longer needed
                    f[block.samples] += block.sums(g if self.variance else np.abs(g, out=points))
        if self.variance:
            return [np.maximum(q / self.samples - np.square(f / self.samples), 0).astype(np.float32) for f, q in zip(first, second)]
        totals = second if self.squared else first
        return [(t / self.samples).astype(np.float32) for t in totals]


def _ranges(x):
    """Each sample's ``max − min``."""
    flat = x.reshape(len(x), -1)
    return flat.max(axis=1) - flat.min(axis=1)
