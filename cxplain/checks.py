"""CXPlain's checks at the public boundary: parameters, samples and labels.

Every check raises a ``ValueError`` or ``TypeError`` that names the parameter,
what was expected and what was given, before TensorFlow, Keras or NumPy see
the value. Strings, booleans and complex numbers are never taken for numbers.
"""
import numbers

import numpy as np

from deepexplain.validation import as_float_array, check_batch, describe

from .style import keras_for_current_style


def is_number(value):
    """Whether ``value`` is a real number (not a bool, not a string)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def non_negative_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name}: expected an integer >= 0, got {describe(value)}")
    return int(value)


def boolean(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {describe(value)}")
    return bool(value)


def dropout_rate(name, value):
    if not is_number(value) or not 0 <= value < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), got {describe(value)}")
    return float(value)


def open_unit_interval(name, value):
    if not is_number(value) or not 0 < value < 1:
        raise ValueError(f"{name}: expected a number strictly between 0 and 1, got {describe(value)}")
    return float(value)


def activation(name, value):
    """A Keras activation name known to the Keras of the current style, or a callable."""
    if callable(value):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a Keras activation name (e.g. 'relu') or a callable, got {describe(value)}")
    try:
        keras_for_current_style().activations.get(value)
    except ValueError:
        raise ValueError(f"{name}: expected a Keras activation name (e.g. 'relu', 'tanh'), got unknown name {value!r}") from None
    return value


def samples(X, min_samples=0, why=""):
    """``X`` with a batch dimension: an integer array as int32 token ids, anything else as finite float32
    (strings, booleans and complex numbers are refused, not converted)."""
    if hasattr(X, "numpy"):
        X = X.numpy()
    if isinstance(X, np.ndarray) and X.dtype.kind in "iu":
        info = np.iinfo(np.int32)
        if X.size and (X.min() < info.min or X.max() > info.max):
            raise ValueError(f"X: expected integer token ids within int32, got values from {X.min()} to {X.max()}")
        array = X.astype(np.int32)
    else:
        array = as_float_array("X", X)
    check_batch("X", [array], min_rank=2)
    if len(array) < min_samples:
        reason = f" ({why})" if why else ""
        raise ValueError(f"X: expected at least {min_samples} samples{reason}, got {describe(array)}")
    return array


def labels(y, n, classes=None):
    """``y`` checked against ``n`` samples: a numeric array of ``n`` rows. Labels found in
    ``classes`` (a scikit-learn classifier's ``classes_``) become their class indices."""
    if y is None:
        raise ValueError(f"y: expected {n} labels (one per sample of X), got None")
    try:
        array = np.asarray(y)
    except ValueError:
        raise TypeError(f"y: expected an array of labels, got {describe(y)} (rows of different lengths?)") from None
    if array.ndim == 0:
        raise ValueError(f"y: expected {n} labels (one per sample of X), got the scalar {describe(y)}")
    if len(array) != n:
        raise ValueError(f"y: expected {n} labels (one per sample of X), got {describe(array)}")
    if classes is not None and array.ndim == 1 and n:
        classes = np.asarray(classes)
        if classes.ndim == 1 and np.all(classes[:-1] < classes[1:]) and np.all(np.isin(array, classes)):
            return np.searchsorted(classes, array)
    return as_float_array("y", array)
