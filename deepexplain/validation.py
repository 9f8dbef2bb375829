"""Checks at the public boundary, with messages that name the parameter,
what was expected and what was given."""
import numbers
import warnings

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
        raise TypeError(
            f"{name}: expected a numeric array, got the symbolic {describe(value)}; pass its values (NumPy)"
        ) from None
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: expected a numeric array, got {describe(value)} (rows of different lengths?)"
        ) from None
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
            raise ValueError(
                f"{name}: expected an array or a non-empty list of arrays, got an empty {type(value).__name__}"
            )
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
        counts = [a.shape[0] for a in arrays]
        raise ValueError(f"{name}: expected every input to have the same number of samples, got {counts}")
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


def is_number(value):
    """Whether ``value`` is a real number (not a bool, not a string)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def is_integer(value):
    """Whether ``value`` is an integer (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def boolean(name, value, allow_none=False):
    """``value`` as a bool (or None when allowed); 0 and 1 are not taken for booleans."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        expected = "True, False or None" if allow_none else "True or False"
        raise TypeError(f"{name}: expected {expected}, got {describe(value)}")
    return bool(value)


def non_negative_int(name, value):
    """``value`` as an int ≥ 0."""
    if not is_integer(value) or value < 0:
        raise ValueError(f"{name}: expected an integer >= 0, got {describe(value)}")
    return int(value)


def index(name, value, size, negative=False):
    """``value`` as an int index into ``size`` entries: ``0 <= value < size`` (with ``negative``,
    also ``-size <= value``)."""
    low = -size if negative else 0
    if not is_integer(value) or not low <= value < size:
        raise ValueError(f"{name}: expected an integer in [{low}, {size}), got {describe(value)}")
    return int(value)


def choice(name, value, options):
    """``value``, one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(repr(o) for o in options)}, got {describe(value)}")
    return value


def dropout_rate(name, value):
    """``value`` as a float in [0, 1)."""
    if not is_number(value) or not 0 <= value < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), got {describe(value)}")
    return float(value)


def open_unit_interval(name, value):
    """``value`` as a float in (0, 1)."""
    if not is_number(value) or not 0 < value < 1:
        raise ValueError(f"{name}: expected a number strictly between 0 and 1, got {describe(value)}")
    return float(value)


def pair(name, value):
    """``value`` as a 2-tuple (the entries are checked by the caller)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name}: expected a pair (first, second), got {describe(value)}")
    return tuple(value)


def increasing_pair(name, value):
    """``(low, high)`` as floats with ``low < high``."""
    low, high = pair(name, value)
    if not (is_number(low) and is_number(high)) or not low < high:
        raise ValueError(f"{name}: expected two numbers (low, high) with low < high, got {value!r}")
    return float(low), float(high)


def instance_shape(name, value):
    """``value`` as a tuple of positive ints starting with the batch dimension."""
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: expected a tuple (batch, *features), got {describe(value)}") from None
    if len(shape) < 2 or not all(is_integer(s) and s >= 1 for s in shape):
        raise ValueError(f"{name}: expected a tuple of positive ints (batch, *features), e.g. (1, 4), got {value!r}")
    return tuple(int(s) for s in shape)


def per_feature(name, value, feature_shape):
    """``value`` (a number or an array) broadcast to ``(1, *feature_shape)``."""
    array = as_float_array(name, value)
    target = (1,) + tuple(feature_shape)
    try:
        if array.ndim > len(target):
            raise ValueError
        return np.broadcast_to(array, target).astype(np.float32)
    except ValueError:
        raise ValueError(
            f"{name}: expected a number or an array broadcastable to {target} (one value per feature), "
            f"got shape {array.shape}"
        ) from None


def feature_bounds(name, value, feature_shape):
    """``(low, high)`` arrays of shape ``(1, *feature_shape)`` with ``low ≤ high``."""
    low, high = (per_feature(f"{name}[{i}]", v, feature_shape) for i, v in enumerate(pair(name, value)))
    if np.any(low > high):
        bad = int(np.sum(low > high))
        raise ValueError(f"{name}: expected min ≤ max for every feature, got min > max at {bad} features")
    return low, high


def samples(X, min_samples=0, why="", name="X"):
    """``X`` with a batch dimension: an integer array as int32 token ids, anything else as finite
    float32 (strings, booleans and complex numbers are refused, not converted)."""
    if hasattr(X, "numpy"):
        X = X.numpy()
    if isinstance(X, np.ndarray) and X.dtype.kind in "iu":
        info = np.iinfo(np.int32)
        if X.size and (X.min() < info.min or X.max() > info.max):
            raise ValueError(f"{name}: expected integer token ids within int32, got values from {X.min()} to {X.max()}")
        array = X.astype(np.int32)
    else:
        array = as_float_array(name, X)
    check_batch(name, [array], min_rank=2)
    if len(array) < min_samples:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name}: expected at least {min_samples} samples{reason}, got {describe(array)}")
    return array


def labels(y, n, classes=None, name="y"):
    """``y`` checked against ``n`` samples: a numeric array of ``n`` rows. Labels found in
    ``classes`` (a scikit-learn classifier's ``classes_``) become their class indices."""
    if y is None:
        raise ValueError(f"{name}: expected {n} labels (one per sample of X), got None")
    try:
        array = np.asarray(y)
    except ValueError:
        raise TypeError(
            f"{name}: expected an array of labels, got {describe(y)} (rows of different lengths?)"
        ) from None
    if array.ndim == 0:
        raise ValueError(f"{name}: expected {n} labels (one per sample of X), got the scalar {describe(y)}")
    if len(array) != n:
        raise ValueError(f"{name}: expected {n} labels (one per sample of X), got {describe(array)}")
    if classes is not None and array.ndim == 1 and n:
        classes = np.asarray(classes)
        if classes.ndim == 1 and np.all(classes[:-1] < classes[1:]) and np.all(np.isin(array, classes)):
            return np.searchsorted(classes, array)
    return as_float_array(name, array)


def random_generator(name, value):
    """A NumPy ``Generator`` from ``value``: None (fresh entropy), an int ≥ 0 or a Generator."""
    if value is None or isinstance(value, np.random.Generator):
        return np.random.default_rng(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name}: expected None, a non-negative integer or a numpy Generator, got {describe(value)}")
    return np.random.default_rng(int(value))


def aliased(name, value, old_name, old_value):
    """``value`` of the parameter ``name``, or of its old name ``old_name`` (same meaning; a
    ``DeprecationWarning``). ``None`` means "not given"; giving both raises a ``TypeError``."""
    if old_value is None:
        return value
    if value is not None:
        raise TypeError(f"{name}: got both {name}={describe(value)} and its old name {old_name}={describe(old_value)}; "
                        f"pass {name} only")
    warnings.warn(f"{old_name} is deprecated: pass {name}={old_value!r} (the same values)", DeprecationWarning,
                  stacklevel=3)
    return old_value
