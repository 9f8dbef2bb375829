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

The orderings are drawn and credited in groups of about ``DEFAULT_ROWS`` masked copies,
each group's orderings from a generator derived from ``seed`` and the group's index
(:class:`~.base.StreamedDraws`): memory does not grow with ``samples``, and results do
not depend on ``batch_size``.
"""
import numpy as np

from ..batching import DEFAULT_ROWS
from ..validation import describe, is_integer, positive_int
from .base import PerturbationMethod, StreamedDraws


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
        self._ranks = StreamedDraws(seed)

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
        self._group = max(1, DEFAULT_ROWS // offset)  # orderings per group
        self._ranks.start(self.samples, self._group, self._draw)

    def _draw(self, generator, size):
        """``size`` random orderings as ranks: ``rank[s, f]`` is the position of feature ``f`` in ordering ``s``."""
        orders = generator.permuted(np.broadcast_to(np.arange(self._players), (size, self._players)), axis=1)
        return [np.argsort(orders, axis=1)]

    def attribute_batch(self, model, xs, ys, batch_size):
        n, players = len(ys), self._players
        full = model.outputs(xs, ys)
        empty = model.outputs([np.zeros_like(x) for x in xs], ys)
        inner = players - 1  # removal counts 1 .. players-1; 0 and all are shared by every ordering
        if inner:
            totals = np.zeros((n, players))
            for copies, middle in self.masked_output_groups(
                model, xs, ys, self._masks, self.samples * inner, self._group * inner, batch_size
            ):
                totals += self._credits(full, middle, empty, slice(copies.start // inner, copies.stop // inner))
            values = totals / self.samples
        else:  # one player: every ordering credits it with the whole change
            values = (full - empty)[:, None]
        result, offset = [], 0
        for grid in self._grids:
            size = int(np.prod(grid))
            result.append(values[:, offset:offset + size].reshape((n,) + grid).astype(np.float32))
            offset += size
        return result

    def _masks(self, copy):
        """The masks of the copies ``copy``: copy ``c`` has the first ``c % (players − 1) + 1`` features
        of ordering ``c // (players − 1)`` removed."""
        inner = self._players - 1
        order, removed = copy // inner, copy % inner + 1
        first = order.min()
        (rank,) = self._ranks[slice(first, order.max() + 1)]
        present = (rank[order - first] >= removed[:, None]).astype(np.float32)
        return [present[:, ids] for ids in self._ids]

    def _credits(self, full, middle, empty, orders):
        """Each feature's credits summed over the orderings ``orders`` (a slice), from the
        ``(n, orderings · (players − 1))`` outputs ``middle`` of their masked copies."""
        (rank,) = self._ranks[orders]
        n, count = len(full), orders.stop - orders.start
        curve = np.concatenate(
            [
                np.broadcast_to(full[:, None, None], (n, count, 1)),
                middle.reshape(n, count, -1),
                np.broadcast_to(empty[:, None, None], (n, count, 1)),
            ],
            axis=2,
        )
        credit = curve[..., :-1] - curve[..., 1:]  # credit[i, s, k]: removing the k-th feature of ordering s
        return np.take_along_axis(credit, np.broadcast_to(rank[None], credit.shape), axis=2).sum(axis=1, dtype=float)
