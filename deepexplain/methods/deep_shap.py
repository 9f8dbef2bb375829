"""DeepShap (Lundberg & Lee, NeurIPS 2017): DeepLIFT Rescale against every row of a
background set, averaged.

``φ(x) = mean_r (x − r) ⊙ m(x, r)``, ``m`` the DeepLIFT multipliers of ``x``
against the reference ``r`` (Rescale for nonlinearities, the max rule for
max-pooling and Max/Min). The attributions sum to ``T(x) − mean_r T(r)``.

Every model call holds the ``R`` background rows first, then ``k`` samples each
repeated ``R`` times: row ``R + jR + r`` pairs sample ``j`` with background row
``r`` (the rule compares row ``i`` with row ``i mod R``). The pairs of all samples
are thus streamed ``k`` samples at a time, ``(k + 1)·R`` rows per call, within
``batch_size``. With more than ``max_background`` rows, a random subset (drawn
with ``seed``) is used.
"""
import numpy as np

from ..batching import rows_per_call
from ..validation import positive_int, random_generator
from .deeplift import ReferenceRule
from .references import check_background


class DeepShap(ReferenceRule):
    name = "deepshap"

    def __init__(self, background=None, max_background=100, seed=None):
        self.background = background
        self.max_background = positive_int("max_background", max_background)
        random_generator("seed", seed)
        self.seed = seed
        self._background = None

    def check(self, xs):
        self._background = check_background(self.background, xs, self.max_background, random_generator("seed", self.seed))
        self.references = len(self._background[0])

    def samples_per_chunk(self, batch_size, n_samples):
        refs = self.references
        rows = batch_size if batch_size else max(rows_per_call(None, n_samples), 2 * refs)
        if rows < 2 * refs:
            raise ValueError(
                f"batch_size: deepshap puts its {refs} background rows and the {refs} pairs of at least one "
                f"sample in every model call, so expected at least {2 * refs}, got {batch_size}; pass a larger "
                "batch_size or a smaller max_background"
            )
        return min(rows // refs - 1, n_samples)

    def attribute_batch(self, model, xs, ys, batch_size):
        refs, k = self.references, len(ys)
        inputs = [np.concatenate([b, np.repeat(x, refs, axis=0)]) for x, b in zip(xs, self._background)]
        weights = np.concatenate([np.zeros((refs,) + ys.shape[1:], ys.dtype), np.repeat(ys, refs, axis=0)])
        grads = model.gradients(inputs, weights)
        result = []
        for g, x, b in zip(grads, xs, self._background):
            pairs = g[refs:].reshape((k, refs) + x.shape[1:])
            result.append(np.mean(pairs * (x[:, None] - b[None]), axis=1, dtype=np.float32))
        return result
