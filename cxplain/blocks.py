"""Which input positions CXPlain removes together: features, pixels or blocks of them.

A sample of shape ``(p,)`` has ``p`` features; any other sample shape is
``(*spatial, channels)`` and a position is a whole pixel (or time step) across
all channels. ``downsample_factors`` groups positions into blocks of
``factors`` positions, numbered in row-major order over the coarse grid of
shape ``ceil(spatial / factors)``.
"""
import math

import numpy as np

from deepexplain.validation import is_integer


def spatial_shape(sample_shape):
    """The shape of the positions of a sample: ``(p,)`` or the sample shape without channels."""
    return tuple(sample_shape) if len(sample_shape) == 1 else tuple(sample_shape[:-1])


def check_downsample_factors(value, spatial_rank=None):
    """``value`` (an int, or a tuple of one int or one int per spatial axis) as a tuple per axis
    (with ``spatial_rank`` None, only the ints are checked)."""
    factors = (value,) if is_integer(value) else value
    try:
        factors = tuple(factors) if not isinstance(factors, (str, bytes)) else None
    except TypeError:
        factors = None
    valid = factors and all(is_integer(f) and f >= 1
                            for f in factors)
    if not valid or (spatial_rank is not None and len(factors) not in (1, spatial_rank)):
        counts = "1 or one per spatial axis" if spatial_rank is None else f"1 or {spatial_rank}"
        raise ValueError(
            f"downsample_factors: expected a positive int or a tuple of {counts} positive ints "
            f"(one per spatial axis of the samples), got {value!r}"
        )
    if spatial_rank is None:
        return tuple(int(f) for f in factors)
    return tuple(int(f) for f in factors) * (spatial_rank if len(factors) == 1 else 1)


def coarse_shape(spatial, factors):
    """The grid of blocks: ``ceil(size / factor)`` per axis."""
    return tuple(math.ceil(s / f) for s, f in zip(spatial, factors))


def block_ids(spatial, factors):
    """An int array of shape ``spatial`` giving the block each position belongs to."""
    grid = coarse_shape(spatial, factors)
    axes = [np.arange(s) // f for s, f in zip(spatial, factors)]
    return np.ravel_multi_index(np.meshgrid(*axes, indexing="ij"), grid)


def upsample(weights, ids):
    """Block weights ``(n, blocks)`` spread evenly over their positions: ``(n, *ids.shape)``.

    Each block's weight is divided by its number of positions (edge blocks may be
    smaller), so a distribution over blocks stays a distribution over positions.
    """
    sizes = np.bincount(ids.ravel(), minlength=weights.shape[1]).astype(weights.dtype)
    return weights[:, ids] / sizes[ids]
