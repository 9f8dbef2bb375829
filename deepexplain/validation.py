"""Checks at the public boundary, with messages that name the parameter,
what was expected and what was given."""
import numbers

import numpy as np


def describe(value):
    """A short description of a value for error messages."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def as_float_array(name, value, finite=True):
    """``value`` as a float32 array; raises if it is not numeric (or, with ``finite``, has NaN/inf)."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except NotImplementedError:
        raise TypeError(f"{name}: expected a numeric array, got the symbolic {describe(value)}; pass its values (NumPy)") from None
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a numeric array, got {describe(value)} (rows of different lengths?)") from None
    if array.dtype.kind not in "iuf":
        kinds = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects"}
        what = kinds.get(array.dtype.kind, f"dtype {array.dtype}")
        raise TypeError(f"{name}: expected a real-valued numeric array (int or float), got {what}: {describe(value)}")
    array = array.astype(np.float32, copy=False)
    if finite and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name}: expected finite values, got {bad} NaN or infinite entries")
    return array


def as_array_list(name, value, finite=True):
    """``(arrays, was_list)``: one array, or each entry of a list/tuple, as float32 arrays."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"{name}: expected an array or a non-empty list of arrays, got an empty {type(value).__name__}")
        return [as_float_array(f"{name}[{i}]", v, finite) for i, v in enumerate(value)], True
    return [as_float_array(name, value, finite)], False


def check_batch(name, arrays, min_rank=1):
    """The common number of samples (leading dimension) of ``arrays``."""
    for i, a in enumerate(arrays):
        if a.ndim < min_rank:
            label = name if len(arrays) == 1 else f"{name}[{i}]"
            raise ValueError(f"{label}: expected an array with a leading batch dimension, got shape {a.shape}")
    sizes = {a.shape[0] for a in arrays}
    if len(sizes) > 1:
        raise ValueError(f"{name}: expected every input to have the same number of samples, got {[a.shape[0] for a in arrays]}")
    return sizes.pop()


def positive_int(name, value, allow_none=False):
    """``value`` as an int ≥ 1 (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name}: expected {expected}, got {describe(value)}")
    return int(value)


def positive_float(name, value):
    """``value`` as a float > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number > 0, got {describe(value)}")
    return float(value)


def non_negative_float(name, value):
    """``value`` as a finite float ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < np.inf:
        raise ValueError(f"{name}: expected a finite number >= 0, got {describe(value)}")
    return float(value)


def random_generator(name, value):
    """A NumPy ``Generator`` from ``value``: None (fresh entropy), an int ≥ 0 or a Generator."""
    if value is None or isinstance(value, np.random.Generator):
        return np.random.default_rng(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name}: expected None, a non-negative integer or a numpy Generator, got {describe(value)}")
    return np.random.default_rng(int(value))
