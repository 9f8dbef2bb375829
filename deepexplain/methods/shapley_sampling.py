"""Shapley value sampling (Castro et al., 2009).

For each of ``samples`` random orderings of the features, features are removed
(set to zero) one by one in that order, starting from the full input; each
feature is credited with the change of ``Σ T·ys`` its removal causes. The
average over orderings estimates its Shapley value with a zero baseline.

``sampling_dims`` (dimensions of ``xs``, counted with the batch dimension as 0)
selects which dimensions index the features; the others are grouped, so
``sampling_dims=[1, 2]`` on RGB images makes each pixel one feature across its
channels. The result is shaped ``[batch] + [shape[d] for d in sampling_dims]``.
With several inputs, every feature of every input is a player.
"""
import numpy as np

from ..validation import describe, is_integer, positive_int, random_generator
from .base import PerturbationMethod


def feature_ids(shape, sampling_dims):
    """An int array of ``shape`` giving each entry's feature index, and the feature grid shape."""
    grid = [shape[d - 1] for d in sampling_dims]
    broadcast = [shape[a] if a + 1 in sampling_dims else 1 for a in range(len(shape))]
    ids = np.arange(int(np.prod(grid))).reshape(broadcast)
    return np.broadcast_to(ids, shape), tuple(grid)


class ShapleySampling(PerturbationMethod):
    """Shapley value sampling: mean marginal contributions over random feature orderings.

    For each of ``samples`` random orderings ``π``, features are set to zero one by one from the
    full input, and feature ``i`` is credited with the drop of ``S = Σ(T·ys)`` its removal causes
    (the features before it in ``π`` already removed); ``φ_i``, the mean over orderings, is an
    unbiased estimate of its Shapley value with a zero baseline. ``Σ φ = S(x) − S(0)`` exactly.

    Parameters
    ----------
    samples : int, default 5
        Number of orderings.
    sampling_dims : list of int, optional
        Dimensions of ``xs`` (the batch is 0) that index the features; the others are grouped
        (``[1, 2]`` on images makes each pixel one feature across its channels). Default: all.
    seed : None, int or numpy.random.Generator, default None
        Source of the random draws: an int gives the same draws on every run.
    progress : bool, default True
        Show a progress bar over the model calls.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs``, or ``[batch] + [xs.shape[d] for d in
        sampling_dims]`` with ``sampling_dims``.

    References
    ----------
    .. [1] J. Castro, D. Gómez, J. Tejada, "Polynomial calculation of the Shapley value based on
       sampling", Computers & Operations Research 36(5), 2009.
    """

    name = "shapley_sampling"

    def __init__(self, samples=5, sampling_dims=None, seed=None, progress=True):
        super().__init__(progress)
        self.samples = positive_int("samples", samples)
        self.sampling_dims = sampling_dims
        self.seed = seed
        random_generator("seed", seed)

    def _check_dims(self, ndim):
        dims = self.sampling_dims
        if dims is None:
            return list(range(1, ndim))
        valid = isinstance(dims, (list, tuple)) and dims and all(
            is_integer(d) for d in dims
        )
        if not valid or not 1 <= min(dims) or max(dims) >= ndim or list(dims) != sorted(set(dims)):
            raise ValueError(
                f"sampling_dims: expected increasing dimension indices of xs between 1 and {ndim - 1} "
                f"(0 is the batch dimension), got {describe(dims)}"
            )
        return [int(d) for d in dims]

    def empty(self, xs):
        return [np.zeros((0,) + grid, np.float32) for grid in self._grids]

    def check(self, xs):
        if len(xs) > 1 and self.sampling_dims is not None:
            raise ValueError(
                "sampling_dims: expected None with several inputs (every feature of every input is a player)"
            )
        self._ids, self._grids, offset = [], [], 0
        for x in xs:
            ids, grid = feature_ids(x.shape[1:], self._check_dims(x.ndim))
            self._ids.append(ids + offset)
            self._grids.append(grid)
            offset += int(np.prod(grid))
        self._players = offset
        rng = random_generator("seed", self.seed)
        self._orders = np.stack([rng.permutation(offset) for _ in range(self.samples)])

    def attribute_batch(self, model, xs, ys, batch_size):
        n, players, samples = len(ys), self._players, self.samples
        rank = np.argsort(self._orders, axis=1)  # rank[s, f]: position of feature f in ordering s
        inner = players - 1  # removal counts 1 .. players-1; 0 and all are shared by every ordering

        def masks(copy):
            order, removed = copy // inner, copy % inner + 1
            present = (rank[order] >= removed[:, None]).astype(np.float32)
            return [present[:, ids] for ids in self._ids]

        full = model.outputs(xs, ys)
        empty = model.outputs([np.zeros_like(x) for x in xs], ys)
        middle = self.masked_outputs(model, xs, ys, masks, samples * inner, batch_size).reshape(n, samples, inner)
        curve = np.concatenate(
            [
                np.broadcast_to(full[:, None, None], (n, samples, 1)),
                middle,
                np.broadcast_to(empty[:, None, None], (n, samples, 1)),
            ],
            axis=2,
        )
        credit = curve[..., :-1] - curve[..., 1:]  # credit[i, s, k]: removing the k-th feature of ordering s
        values = np.take_along_axis(credit, np.broadcast_to(rank[None], (n, samples, players)), axis=2).mean(axis=1)
        result, offset = [], 0
        for grid in self._grids:
            size = int(np.prod(grid))
            result.append(values[:, offset:offset + size].reshape((n,) + grid).astype(np.float32))
            offset += size
        return result
