"""SmoothGrad (Smilkov et al., 2017) and its squared and variance variants.

The saliency map ``|∂ΣT·ys/∂x|`` averaged over ``samples`` noisy copies
``x + N(0, σ²)``, ``σ = noise_level · (max x − min x)`` (the range of each
sample). ``squared=True`` averages ``(∂ΣT·ys/∂x)²`` instead (SmoothGrad-Squared,
Hooker et al., NeurIPS 2019); ``variance=True`` gives the variance of the
gradient over the copies (VarGrad, Adebayo et al., 2018). With zero noise,
SmoothGrad equals ``saliency``.

The copies of all samples are folded into the batch dimension and streamed in
chunks of ``batch_size`` rows.
"""
import numpy as np

from ..validation import non_negative_float, positive_int, random_generator
from .base import GradientMethod, expanded_rows, sum_rows_by_owner
from .expected_gradients import spawn_generators


class SmoothGrad(GradientMethod):
    name = "smoothgrad"

    def __init__(self, samples=50, noise_level=0.15, seed=None, squared=False, variance=False, progress=True):
        self.samples = positive_int("samples", samples)
        self.noise_level = non_negative_float("noise_level", noise_level)
        random_generator("seed", seed)
        self.seed = seed
        for name, value in (("squared", squared), ("variance", variance)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name}: expected True or False, got {value!r}")
        if squared and variance:
            raise ValueError("squared, variance: expected at most one of them True (SmoothGrad-Squared or VarGrad), got both")
        self.squared, self.variance = bool(squared), bool(variance)
        self.progress = progress

    def check(self, xs):
        self._noise = spawn_generators(self.seed, len(xs))

    def attribute_batch(self, model, xs, ys, batch_size):
        n = len(ys)
        sigmas = [self.noise_level * _ranges(x) for x in xs]
        first = [np.zeros(x.shape, np.float64) for x in xs]
        second = [np.zeros(x.shape, np.float64) for x in xs]
        for rows in expanded_rows(n, self.samples, batch_size, self.progress, self.name):
            owner = np.arange(rows.start, rows.stop) // self.samples
            noisy = [
                x[owner] + s[owner] * rng.standard_normal((len(owner),) + x.shape[1:], np.float32)
                for x, s, rng in zip(xs, sigmas, self._noise)
            ]
            for f, q, g in zip(first, second, model.gradients(noisy, ys[owner])):
                f += sum_rows_by_owner(g if self.variance else np.abs(g), owner, n)
                if self.squared or self.variance:
                    q += sum_rows_by_owner(np.square(g, dtype=np.float64), owner, n)
        if self.variance:
            return [np.maximum(q / self.samples - np.square(f / self.samples), 0).astype(np.float32) for f, q in zip(first, second)]
        totals = second if self.squared else first
        return [(t / self.samples).astype(np.float32) for t in totals]


def _ranges(x):
    """Each sample's ``max − min``, shaped to broadcast over the sample."""
    flat = x.reshape(len(x), -1)
    return (flat.max(axis=1) - flat.min(axis=1)).reshape((-1,) + (1,) * (x.ndim - 1))
