"""Expected gradients (Erion et al., Nature Machine Intelligence 2021), as shap's GradientExplainer.

For each of ``samples`` draws per input: a background row ``r`` and ``t ~ U(0, 1)``,
the point ``r + t·(x̃ − r)`` with ``x̃ = x + N(0, local_smoothing²)``; the
attribution is the mean of ``∂ΣT·ys/∂x`` at those points times ``(x − r)``. It
estimates integrated gradients averaged over the background, so the sums
approach ``T(x) − mean_r T(r)`` as ``samples`` grows.

The points of all samples are folded into the batch dimension and streamed in
chunks of ``batch_size`` rows. Every random stream (rows, ``t``, noise) has its own
generator derived from ``seed``, so results do not depend on ``batch_size``.
"""
import numpy as np

from ..validation import non_negative_float, positive_int, random_generator
from .base import GradientMethod, expanded_rows, sum_rows_by_owner
from .references import check_background


def spawn_generators(seed, count):
    """``count`` independent generators derived from ``seed`` (an int, None or a Generator)."""
    return random_generator("seed", seed).spawn(count)


class ExpectedGradients(GradientMethod):
    name = "expected_gradients"

    def __init__(self, background=None, samples=200, seed=None, local_smoothing=0.0, progress=True):
        self.background = background
        self.samples = positive_int("samples", samples)
        random_generator("seed", seed)
        self.seed = seed
        self.local_smoothing = non_negative_float("local_smoothing", local_smoothing)
        self.progress = progress

    def check(self, xs):
        self._background = check_background(self.background, xs)
        self._rows, self._times, self._noise = spawn_generators(self.seed, 3)

    def draws(self, rows):
        """For ``rows`` points: the background row index and the position ``t`` on the segment."""
        return self._rows.integers(len(self._background[0]), size=rows), self._times.random(rows, np.float32)

    def attribute_batch(self, model, xs, ys, batch_size):
        n = len(ys)
        totals = [np.zeros_like(x) for x in xs]
        for rows in expanded_rows(n, self.samples, batch_size, self.progress, self.name):
            owner = np.arange(rows.start, rows.stop) // self.samples
            ref, t = self.draws(len(owner))
            points, deltas = [], []
            for x, b in zip(xs, self._background):
                start = b[ref]
                delta = x[owner] - start
                path = delta
                if self.local_smoothing:
                    path = delta + self.local_smoothing * self._noise.standard_normal(delta.shape, np.float32)
                points.append(start + t.reshape((-1,) + (1,) * (x.ndim - 1)) * path)
                deltas.append(delta)
            grads = model.gradients(points, ys[owner])
            for total, g, d in zip(totals, grads, deltas):
                total += sum_rows_by_owner(g * d, owner, n)
        return [t / self.samples for t in totals]
