"""Reference rows shared by the methods that compare inputs with a background set."""
import numpy as np

from ..validation import as_array_list, as_float_array


def check_background(background, xs, max_rows=None, rng=None):
    """The background rows of each input, ``(m,) + sample shape``; at most ``max_rows`` of
    them, a random subset drawn with ``rng`` when there are more."""
    if background is None:
        raise ValueError("background: expected an array of reference rows shaped like xs (batch first), got None")
    if len(xs) == 1 and isinstance(background, (list, tuple)):
        background = as_float_array("background", background)  # rows given as a list
    arrays, listed = as_array_list("background", background)
    if len(arrays) != len(xs):
        raise ValueError(f"background: expected a list of {len(xs)} arrays (one per input), got {len(arrays)}")
    for i, (b, x) in enumerate(zip(arrays, xs)):
        if b.ndim != x.ndim or b.shape[1:] != x.shape[1:] or len(b) == 0:
            raise ValueError(
                f"{f'background[{i}]' if listed else 'background'}: expected at least one row of samples shaped "
                f"{x.shape[1:]} (shape (rows,) + {x.shape[1:]}), got shape {b.shape}"
            )
    rows = {len(b) for b in arrays}
    if len(rows) > 1:
        raise ValueError(
            f"background: expected the same number of rows for every input, got {[len(b) for b in arrays]}"
        )
    if max_rows is not None:
        keep = subset(rows.pop(), max_rows, rng)
        arrays = [b[keep] for b in arrays]
    return arrays


def subset(rows, max_rows, rng):
    """The indices of ``max_rows`` of ``rows`` rows drawn with ``rng``, in order; all of them when there are no more."""
    if rows <= max_rows:
        return slice(None)
    return np.sort(rng.choice(rows, max_rows, replace=False))
