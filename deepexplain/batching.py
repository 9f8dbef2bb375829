"""Streaming work through a model in bounded chunks of rows."""
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


def fit_fixed_batch(batch_size, fixed_rows):
    """The rows per call when the model takes exactly ``fixed_rows`` rows per call (a
    placeholder of fixed batch size): ``batch_size`` if smaller, else ``fixed_rows``."""
    if fixed_rows is None:
        return batch_size
    return min(batch_size, fixed_rows) if batch_size else fixed_rows
