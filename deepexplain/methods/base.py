"""What every attribution method shares.

A method receives a :class:`~deepexplain.compiled_model.CompiledModel` and
validated float32 inputs (a list of arrays with a common batch size) and
returns one attribution array per input. Methods never branch on the runtime.
"""
from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

from ..batching import DEFAULT_ROWS, row_slices, rows_per_call
from ..validation import as_float_array, random_generator


class AttributionMethod:
    """Base class: ``name`` is the registry key, ``rule`` the nonlinearity gradient rule (None: plain)."""

    name = None
    rule = None
    needs_gradients = True

    def check(self, xs):
        """Validate method parameters against the data (shapes of baselines, windows, ...)."""

    def samples_per_chunk(self, batch_size, n_samples):
        """How many samples ``attribute_batch`` handles at once: ``batch_size``, or all."""
        return batch_size or n_samples

    def empty(self, xs):
        """The attributions of zero samples: arrays with no rows."""
        return [np.zeros(x.shape, np.float32) for x in xs]

    def attribute(self, model, xs, ys, batch_size):
        """Attributions for all samples, computed a chunk of samples at a time."""
        n = len(ys)
        if n == 0:
            return self.empty(xs)
        chunks = [
            self.attribute_batch(model, [x[rows] for x in xs], ys[rows], batch_size)
            for rows in row_slices(n, self.samples_per_chunk(batch_size, n))
        ]
        return [np.concatenate(parts) for parts in zip(*chunks)]

    def attribute_batch(self, model, xs, ys, batch_size):
        """Attributions for one chunk of samples: a list with one array per input."""
        raise NotImplementedError


class GradientMethod(AttributionMethod):
    """A method computed from (modified) gradients."""


class PerturbationMethod(AttributionMethod):
    """A method computed from the target on masked copies of the inputs."""

    needs_gradients = False

    def __init__(self, progress=True):
        self.progress = progress

    def samples_per_chunk(self, batch_size, n_samples):
        """Without ``batch_size``, at most ``DEFAULT_ROWS`` samples: their bookkeeping grows with the copies."""
        return batch_size or min(n_samples, DEFAULT_ROWS)

    def masked_outputs(self, model, xs, ys, masks, copies, batch_size):
        """``(n, copies)`` target values: entry ``(i, c)`` is ``T(xs[i] ⊙ masks(c))`` (one group of
        :meth:`masked_output_groups`)."""
        return next(self.masked_output_groups(model, xs, ys, masks, copies, copies, batch_size))[1]

    def masked_output_groups(self, model, xs, ys, masks, copies, group, batch_size):
        """The target values of the copies, by groups of ``group`` consecutive copies: yields
        ``(copies of the group as a slice, (n, len(slice)) values)``, entry ``(i, c)`` being
        ``T(xs[i] ⊙ masks(c))``.

        ``masks(c)`` maps an array of copy indices to one multiplicative mask per input, shaped
        ``(len(c),) + sample shape``. Rows, group-major then sample-major, are streamed through
        the model at most ``batch_size`` at a time across group boundaries; only the values of the
        group being filled are held, so memory does not grow with ``copies``.
        """
        n = len(ys)
        pending, held, start = [], 0, 0  # values not yet yielded, their count, the first copy of their group
        for rows in expanded_rows(n, copies, batch_size, self.progress, self.name):
            index = np.arange(rows.start, rows.stop)
            first = index // (n * group) * group  # the first copy of each row's group
            size = np.minimum(group, copies - first)
            within = index - first * n
            owner, copy = within // size, first + within % size
            masked = [x[owner] * m for x, m in zip(xs, masks(copy))]
            pending.append(model.outputs(masked, ys[owner]))
            held += len(index)
            if held < n * min(group, copies - start):
                continue
            values, offset = np.concatenate(pending), 0
            while start < copies and held - offset >= n * min(group, copies - start):
                size = min(group, copies - start)
                yield slice(start, start + size), values[offset:offset + n * size].reshape(n, size)
                offset, start = offset + n * size, start + size
            pending, held = [values[offset:]], held - offset


def check_baseline(baseline, xs):
    """The baseline of each input, shaped like one sample of it (zeros when None)."""
    shapes = [x.shape[1:] for x in xs]
    if baseline is None:
        return [np.zeros(s, np.float32) for s in shapes]
    listed = isinstance(baseline, (list, tuple)) and len(xs) > 1
    baselines = list(baseline) if listed else [baseline]
    if len(baselines) != len(xs):
        raise ValueError(f"baseline: expected a list of {len(xs)} arrays (one per input), got {len(baselines)}")
    arrays = []
    for i, (b, shape) in enumerate(zip(baselines, shapes)):
        label = f"baseline[{i}]" if listed else "baseline"
        b = as_float_array(label, b)
        if b.shape != shape:
            raise ValueError(f"{label}: expected the shape of one sample {shape} (no batch dimension), got {b.shape}")
        arrays.append(b)
    return arrays


DRAW_CHUNK_VALUES = 2**16
"""Random values per chunk of draws (see :class:`StreamedDraws` and :func:`chunk_copies`)."""


def chunk_copies(values_per_copy):
    """Copies per chunk of draws when each copy takes ``values_per_copy`` random values: a
    chunk holds about ``DRAW_CHUNK_VALUES`` values, and at least one copy."""
    return max(1, DRAW_CHUNK_VALUES // max(1, values_per_copy))


class StreamedDraws:
    """A method's random draws for the copies ``0 … count − 1`` of a run, made when asked for,
    in chunks of ``chunk`` copies.

    Chunk ``k`` is ``make(generator, size)`` (a list of arrays of ``size`` rows, one row per
    copy) with a generator derived from the run's seed and ``k`` alone (a ``SeedSequence``
    spawn key): the draws of a copy depend neither on ``batch_size`` nor on which block asks
    for them, and only the chunks of the latest request are held, so memory does not grow with
    ``count``. ``seed`` (None, an int or a NumPy Generator): an int gives the same draws on
    every run; None and a Generator, fresh draws on every run.
    """

    def __init__(self, seed):
        random_generator("seed", seed)
        self.seed = seed

    def start(self, count, chunk, make, key=()):
        """Begins a run's draws for ``count`` copies; ``key`` (a tuple of ints, e.g. a sample's index)
        gives independent draws for each key."""
        if isinstance(self.seed, np.random.Generator):
            self._root = np.random.SeedSequence(self.seed.integers(2**63, size=2))
        else:
            self._root = np.random.SeedSequence(self.seed)
        self._count, self._chunk, self._make, self._key, self._held = count, chunk, make, tuple(key), {}

    def __getitem__(self, copies):
        """The draws of the copies of the slice ``copies``: one array per kind of draw."""
        chunks = range(copies.start // self._chunk, (copies.stop - 1) // self._chunk + 1)
        self._held = {k: self._held[k] for k in chunks if k in self._held}  # the others are let go first
        for k in chunks:
            if k not in self._held:
                self._held[k] = self._draw(k)
        parts = [
            [kind[max(copies.start - k * self._chunk, 0):copies.stop - k * self._chunk] for kind in self._held[k]]
            for k in chunks
        ]
        return [np.concatenate(kind) for kind in zip(*parts)]  # new arrays: a block's draws keep no chunk alive

    def _draw(self, k):
        """Chunk ``k``: the draws of copies ``k·chunk …``."""
        root = self._root
        sequence = np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key + self._key + (k,))
        generator = np.random.default_rng(sequence)
        return self._make(generator, min(self._chunk, self._count - k * self._chunk))


def expanded_rows(n_samples, copies, batch_size, progress=False, desc=None):
    """Slices over ``n_samples * copies`` rows (sample-major), at most ``batch_size`` rows each."""
    return row_slices(n_samples * copies, rows_per_call(batch_size, n_samples), progress, desc)


class Block(NamedTuple):
    """A block of the grid of ``copies`` points per sample: the samples ``samples`` times the
    copies ``copies`` (two slices), its points folded sample-major into rows."""

    samples: slice
    copies: slice

    def weights(self, ys):
        """The target weights of the block's rows: each sample's ``ys`` row once per copy."""
        return np.repeat(ys[self.samples], self.copies.stop - self.copies.start, axis=0)

    def sums(self, values):
        """Per-sample sums over the copies of ``values``, one row per point of the block."""
        return values.reshape((self.samples.stop - self.samples.start, -1) + values.shape[1:]).sum(axis=1)


def copy_blocks(n_samples, copies, batch_size, progress=False, desc=None):
    """The grid of ``copies`` points per sample cut into :class:`Block`s of at most
    ``rows_per_call(batch_size, n_samples)`` points: whole samples when one call holds all
    copies of a sample, else runs of one sample's copies. The blocks are made one at a time
    (their number grows with ``copies``).

    A block's points are built by broadcasting a slice of the samples against a slice of
    per-copy arrays, ``(samples, copies, ...)``, with no gathers, and folded into rows."""
    rows = rows_per_call(batch_size, n_samples)
    if rows >= copies:
        per_call = rows // copies
        blocks = (
            Block(slice(i, min(i + per_call, n_samples)), slice(0, copies)) for i in range(0, n_samples, per_call)
        )
        total = -(-n_samples // per_call)
    else:
        blocks = (
            Block(slice(i, i + 1), slice(c, min(c + rows, copies)))
            for i in range(n_samples)
            for c in range(0, copies, rows)
        )
        total = n_samples * -(-copies // rows)
    return tqdm(blocks, total=total, desc=desc, unit="batch", leave=False) if progress else blocks


def fold(block):
    """A ``(samples, copies, ...)`` array of points as ``(samples · copies, ...)`` rows."""
    return block.reshape((-1,) + block.shape[2:])


def per_copy(values, ndim):
    """One value per copy, shaped to broadcast over a ``(samples, copies, ...)`` array of rank ``ndim``."""
    return values.reshape((1, -1) + (1,) * (ndim - 2))


def per_sample(values, ndim):
    """One value per sample, shaped to broadcast over a ``(samples, copies, ...)`` array of rank ``ndim``."""
    return values.reshape((-1, 1) + (1,) * (ndim - 2))
