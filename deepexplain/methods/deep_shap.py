"""DeepShap (Lundberg & Lee, NeurIPS 2017): DeepLIFT Rescale against every row of a
background set, averaged.

``φ(x) = mean_r (x − r) ⊙ m(x, r)``, ``m`` the DeepLIFT multipliers of ``x``
against the reference ``r`` (Rescale for nonlinearities, the max rule for
max-pooling and Max/Min). The attributions sum to ``T(x) − mean_r T(r)``.

The background's activations are computed once (see :mod:`.deeplift`); every
model call holds ``k`` samples each repeated ``R`` times, row ``jR + r`` pairing sample
``j`` with background row ``r`` (the rule compares row ``i`` with reference row
``i mod R``). The pairs of all samples are thus streamed ``k`` samples at a time,
``k·R`` rows per call, within ``batch_size``. With more than ``max_background`` rows,
a random subset (drawn with ``seed`` on the first run) is used.
"""
import numpy as np

from ..batching import rows_per_call
from ..validation import positive_int, random_generator
from .deeplift import ReferenceRule
from .references import check_background, subset


class DeepShap(ReferenceRule):
    """DeepShap: DeepLIFT against every row of a background set, averaged.

    ``φ(x) = (1/R) Σ_r (x − r) ⊙ m(x, r)``, ``m`` the DeepLIFT multipliers of ``x`` against the
    background row ``r``; ``Σ φ = T(x) − (1/R) Σ_r T(r)``. Each model call holds whole samples, each
    repeated once per background row, so ``batch_size`` must be at least ``R``.

    Parameters
    ----------
    background : numpy.ndarray or list of numpy.ndarray
        Background rows, batch first, shaped like ``xs`` (a list for several inputs). Required.
    max_background : int, default 100
        At most this many background rows are used: a random subset when there are more.
    seed : None, int or numpy.random.Generator, default None
        Draws the subset of the background, once, on the first run.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("deepshap", ...)`` or ``get_explainer("deepshap", ...).run(...)``.

    References
    ----------
    .. [1] S. M. Lundberg, S.-I. Lee, "A unified approach to interpreting model predictions",
       NeurIPS, 2017. arXiv:1705.07874
    """

    name = "deepshap"

    def __init__(self, background=None, max_background=100, seed=None):
        self.background = background
        self.max_background = positive_int("max_background", max_background)
        random_generator("seed", seed)
        self.seed = seed
        self._background = None
        self._kept = None

    def check(self, xs):
        background = check_background(self.background, xs)
        if self._kept is None:  # drawn once: the compiled function holds the activations of these rows
            self._kept = subset(len(background[0]), self.max_background, random_generator("seed", self.seed))
        self._background = [b[self._kept] for b in background]

    @property
    def references(self):
        """``R``, the number of background rows in use."""
        return len(self._background[0])

    def reference_inputs(self):
        return self._background

    def samples_per_chunk(self, batch_size, n_samples):
        refs = self.references
        rows = batch_size if batch_size else max(rows_per_call(None, n_samples), refs)
        if rows < refs:
            raise ValueError(
                f"batch_size: deepshap puts the {refs} pairs of at least one sample with its background rows in "
                f"every model call, so expected at least {refs}, got {batch_size}; pass a larger batch_size or a "
                "smaller max_background"
            )
        return min(rows // refs, n_samples)

    def attribute_batch(self, model, xs, ys, batch_size):
        refs = self.references
        grads = model.gradients([np.repeat(x, refs, axis=0) for x in xs], np.repeat(ys, refs, axis=0))
        result = []
        for g, x, b in zip(grads, xs, self._background):
            delta = x[:, None] - b[None]
            result.append(np.mean(np.multiply(g.reshape(delta.shape), delta, out=delta), axis=1, dtype=np.float32))
        return result
