"""Uncertainty of CXPlain explanations by bootstrap ensembling (Schwab & Karlen, NeurIPS 2019).

Each of ``M`` explanation models is trained on a bootstrap resample of the
training samples; the point estimate is the median of the ``M`` attributions and
the interval at confidence ``c`` is their ``(1 − c)/2`` and ``(1 + c)/2``
percentiles.
"""
import numpy as np

from deepexplain.validation import is_number


def check_confidence_level(value):
    if not is_number(value) or not 0 < value < 1:
        raise ValueError(f"confidence_level: expected a number strictly between 0 and 1, got {value!r}")
    return float(value)


def training_sets(n, num_models, validation_fraction, rng):
    """``(validation, [train_0, …])`` index arrays: one shared validation split and a
    bootstrap resample of the remaining samples per model (the samples themselves for one model)."""
    order = rng.permutation(n)
    n_val = min(max(1, round(validation_fraction * n)), n - 1)
    validation, train = order[:n_val], order[n_val:]
    if num_models == 1:
        return validation, [train]
    return validation, [rng.choice(train, size=len(train), replace=True) for _ in range(num_models)]


def median_and_interval(attributions, confidence_level):
    """Median over the first axis (the models) and the percentile interval, stacked last as (lower, upper)."""
    tail = 100 * (1 - confidence_level) / 2
    lower, upper = np.percentile(attributions, [tail, 100 - tail], axis=0)
    return np.median(attributions, axis=0), np.stack([lower, upper], axis=-1)
