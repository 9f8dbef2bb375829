"""Parameter checks particular to CEM and Counterfactual (the generic ones live in deepexplain)."""
import numbers

import numpy as np

from deepexplain.validation import as_float_array, describe


def flag(name, value, allow_none=False):
    """``value`` as a bool (or None when allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        expected = "True, False or None" if allow_none else "True or False"
        raise TypeError(f"{name}: expected {expected}, got {describe(value)}")
    return bool(value)


def choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(repr(o) for o in options)}, got {describe(value)}")
    return value


def instance_shape(name, value):
    """``shape`` as a tuple of positive ints starting with the batch dimension."""
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: expected a tuple (batch, *features), got {describe(value)}") from None
    if len(shape) < 2 or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in shape):
        raise ValueError(f"{name}: expected a tuple of positive ints (batch, *features), e.g. (1, 4), got {value!r}")
    return tuple(int(s) for s in shape)


def pair(name, value):
    """``value`` as a 2-tuple (the entries are checked by the caller)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name}: expected a pair (first, second), got {describe(value)}")
    return tuple(value)


def increasing_pair(name, value):
    """``(low, high)`` as floats with ``low < high``."""
    low, high = pair(name, value)
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in (low, high)) or not low < high:
        raise ValueError(f"{name}: expected two numbers (low, high) with low < high, got {value!r}")
    return float(low), float(high)


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
        raise ValueError(f"{name}: expected min ≤ max for every feature, got min > max at {int(np.sum(low > high))} features")
    return low, high
