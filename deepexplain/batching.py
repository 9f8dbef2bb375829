"""Streaming work through a model in bounded chunks of rows."""
import os

import numpy as np
from tqdm.auto import tqdm

DEFAULT_ROWS = 1024
"""Rows per model call when a method expands samples into many rows and no batch_size is given."""


def rows_per_call(batch_size, n_samples):
    """The number of rows a method may pass to the model at once."""
    return batch_size if batch_size else max(n_samples, DEFAULT_ROWS)


def row_slices(n_rows, batch_size, progress=False, desc=None):
    """Consecutive ``slice`` objects of at most ``batch_size`` rows covering ``range(n_rows)``."""
    starts = range(0, n_rows, batch_size)
    if progress:
        starts = tqdm(starts, desc=desc, unit="batch", leave=False)
    for start in starts:
        yield slice(start, min(start + batch_size, n_rows))


def pad_rows(array, rows):
    """``array`` with zero rows appended up to ``rows`` (for inputs of a fixed batch size)."""
    return np.concatenate([array, np.zeros((rows - len(array),) + array.shape[1:], array.dtype)])


def in_fixed_calls(run, arrays, max_rows):
    """``run(*arrays)``, a list of arrays with one row per input row; with ``max_rows`` (inputs of
    a fixed batch size), in calls of exactly ``max_rows`` rows, the last padded at the end with
    zero rows, whose results are dropped."""
    if max_rows is None:
        return run(*arrays)
    parts = []
    for rows in list(row_slices(len(arrays[0]), max_rows)) or [slice(0, 0)]:
        results = run(*[pad_rows(a[rows], max_rows) for a in arrays])
        parts.append([np.asarray(r)[: rows.stop - rows.start] for r in results])
    return parts[0] if len(parts) == 1 else [np.concatenate(p) for p in zip(*parts)]


def fit_fixed_batch(batch_size, fixed_rows):
    """The rows per call when the model takes exactly ``fixed_rows`` rows per call (a
    placeholder of fixed batch size): ``batch_size`` if smaller, else ``fixed_rows``."""
    if fixed_rows is None:
        return batch_size
    return min(batch_size, fixed_rows) if batch_size else fixed_rows


def memory_limit():
    """Bytes a computation may hold at once: half of this machine's physical memory (None: unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(name, value, nbytes, what):
    """Refuses a count that cannot be honoured: a ValueError naming the parameter ``name`` (given
    ``value``) when ``nbytes``, the memory ``what`` needs at once, exceeds :func:`memory_limit`."""
    limit = memory_limit()
    if limit is not None and nbytes > limit:
        raise ValueError(
            f"{name}: expected a count whose {what} fit in memory, got {value}, which needs "
            f"{nbytes / 2**30:.1f} GiB at once (more than half of this machine's {2 * limit / 2**30:.1f} GiB)"
        )
