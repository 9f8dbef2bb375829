"""Tabular data at the boundary of the toolbox: checked, then kept in float64 so that
scikit-learn, XGBoost, LightGBM and NumPy models see exactly the values the user gave (float32
values are exact in float64). Rows built for a TensorFlow model are float32 from the start,
the precision its compiled function is fed anyway.

pandas DataFrames are read by column name: ``columns`` (the names the model or the background
data was given) puts a frame's columns in that order, and a missing or unexpected column is a
``ValueError`` naming it. Categorical columns become their category codes (NaN for missing
values), taken from the categories given for that column when there are some (those the model
was fitted with), else from the column's own.
"""
import numpy as np

from ..keras_models import is_tensorflow_model
from ..validation import as_float_array


def row_dtype(model):
    """The dtype to build model rows in: float32 for TensorFlow models, else float64."""
    return np.float32 if is_tensorflow_model(model) else np.float64


def column_names(value):
    """The column names of a pandas DataFrame, as strings; None for anything else."""
    columns = getattr(value, "columns", None)
    if columns is None or not hasattr(value, "iloc"):
        return None
    return [str(column) for column in columns]


def fitted_columns(model):
    """The column names a scikit-learn style model was fitted on (``feature_names_in_``), else None."""
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _ordered(name, frame, columns, reference):
    given = column_names(frame)
    if len(set(given)) != len(given):
        raise ValueError(f"{name}: expected distinct column names, got {given}")
    missing = [column for column in columns if column not in given]
    unexpected = [column for column in given if column not in columns]
    if missing or unexpected:
        raise ValueError(f"{name}: expected the columns of {reference} {list(columns)}, got missing columns {missing} "
                         f"and unexpected columns {unexpected}")
    return frame.iloc[:, [given.index(column) for column in columns]]


def _frame_values(frame, categories):
    import pandas as pd

    values = np.empty(frame.shape, dtype=np.float64)
    for j, column in enumerate(frame.columns):
        series = frame.iloc[:, j]
        if isinstance(series.dtype, pd.CategoricalDtype):
            known = categories.get(str(column))
            codes = (series.cat.codes if known is None else pd.Categorical(series, categories=known).codes)
            values[:, j] = np.where(np.asarray(codes) < 0, np.nan, codes)
        else:
            values[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def as_rows(name, value, min_rows=1, finite=True, columns=None, reference="the training data", categories=None,
            single_row=False):
    """``value`` as a float64 ``(samples, features)`` array with at least ``min_rows`` rows.

    Parameters
    ----------
    single_row : whether one row (a 1-D array or a pandas Series) is taken as ``(1, features)``.
    finite : whether NaN and infinite values are refused (trees route missing values).
    columns : names a DataFrame's columns are matched to (None: taken in their order).
    reference : what ``columns`` are the names of, for the error message.
    categories : ``{column: categories}`` giving the codes of pandas categorical columns.
    """
    if single_row and np.ndim(value) == 1:
        value = value.to_frame().T.infer_objects() if hasattr(value, "to_frame") else np.asarray(value)[None]
    if column_names(value) is not None:
        frame = value if columns is None else _ordered(name, value, columns, reference)
        try:
            value = _frame_values(frame, categories or {})
        except (TypeError, ValueError):
            raise TypeError(f"{name}: expected numeric or categorical columns, got dtypes "
                            f"{dict(zip(column_names(frame), map(str, frame.dtypes)))}") from None
    as_float_array(name, value, finite)
    rows = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    if rows.ndim != 2 or len(rows) < min_rows:
        raise ValueError(f"{name}: expected a non-empty 2-D array (samples, features) with at least {min_rows} "
                         f"row(s), got shape {rows.shape}")
    return rows
