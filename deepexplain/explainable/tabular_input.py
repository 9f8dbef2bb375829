"""Tabular data at the boundary of the toolbox: checked, then kept in float64 so that
scikit-learn models see exactly the values the user gave. Rows built for a TensorFlow model
are float32 from the start, the precision its compiled function is fed anyway."""
import numpy as np

from ..targets import is_tensorflow_model
from ..validation import as_float_array


def row_dtype(model):
    """The dtype to build model rows in: float32 for TensorFlow models, else float64."""
    return np.float32 if is_tensorflow_model(model) else np.float64


def as_rows(name, value, min_rows=1):
    """``value`` as a float64 ``(samples, features)`` array with at least ``min_rows`` rows."""
    as_float_array(name, value)
    rows = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    if rows.ndim != 2 or len(rows) < min_rows:
        raise ValueError(f"{name}: expected a 2-D array (samples, features) with at least {min_rows} row(s), "
                         f"got shape {rows.shape}")
    return rows
