"""Reference rows shared by the methods that compare inputs with a background set."""
import numpy as np

from ..validation import as_float_array


def check_background(background, xs, max_rows=None, rng=None):
    """The background rows of each input, ``(m,) + sample shape``; at most ``max_rows`` of
    them, a random subset drawn with ``rng`` when there are more."""
    listed = isinstance(background, (list, tuple)) and len(xs) > 1
    if background is None:
        raise ValueError("background: expected an array of reference rows shaped like xs (batch first), got None")
    arrays = list(background) if listed else [background]
    if len(arrays) != len(xs):
        raise ValueError(f"background: expected a list of {len(xs)} arrays (one per input), got {len(arrays)}")
    checked = []
    for i, (b, x) in enumerate(zip(arrays, xs)):
        label = f"background[{i}]" if listed else "background"
        b = as_float_array(label, b)
        if b.ndim != x.ndim or b.shape[1:] != x.shape[1:] or len(b) == 0:
            raise ValueError(
                f"{label}: expected at least one row of samples shaped {x.shape[1:]} "
                f"(shape (rows,) + {x.shape[1:]}), got shape {b.shape}"
            )
        checked.append(b)
    rows = {len(b) for b in checked}
    if len(rows) > 1:
        raise ValueError(f"background: expected the same number of rows for every input, got {[len(b) for b in checked]}")
    m = rows.pop()
    if max_rows is not None and m > max_rows:
        keep = np.sort(rng.choice(m, max_rows, replace=False))
        checked = [b[keep] for b in checked]
    return checked
