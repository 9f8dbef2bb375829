"""Streaming work through a model in bounded chunks of rows."""
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
