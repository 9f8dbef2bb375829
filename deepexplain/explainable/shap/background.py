"""Background data for SHAP: rows with weights, and a k-means summary of a large data set.
Rows are float64 (``tabular_input.as_rows``: the user's values exactly; DataFrames by column)."""
from typing import NamedTuple

import numpy as np

from ...validation import describe, positive_int
from ..tabular_input import as_rows


class Background(NamedTuple):
    """Background rows and their weights (summing to 1)."""

    data: np.ndarray
    weights: np.ndarray


def as_background(name, value):
    """``value`` (a 2-D array of rows, or a ``Background``) as a validated ``Background``."""
    if isinstance(value, Background):
        data, weights = value
    else:
        data, weights = value, None
    data = as_rows(name, data)
    if weights is None:
        weights = np.full(len(data), 1.0 / len(data))
    else:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(data),) or np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError(f"{name}: expected one non-negative weight per row, got {describe(weights)}")
        weights = weights / weights.sum()
    return Background(data, weights)


def summarize(data, k, random_state=0):
    """A weighted summary of ``data`` by k-means: ``k`` centroids, each coordinate snapped to the
    nearest value observed in that column (so discrete features keep valid values), weighted by
    the size of their cluster.

    Example::

        explainer = KernelShap(model, summarize(X_train, 20))
    """
    from sklearn.cluster import KMeans

    data = as_rows("data", data)
    k = positive_int("k", k)
    if k >= len(data):
        return as_background("data", data)
    kmeans = KMeans(n_clusters=k, random_state=random_state, n_init=10).fit(data)
    centers = kmeans.cluster_centers_
    for j in range(data.shape[1]):
        observed = np.unique(data[:, j])
        nearest = np.clip(np.searchsorted(observed, centers[:, j]), 1, max(len(observed) - 1, 1))
        below = observed[nearest - 1]
        above = observed[np.minimum(nearest, len(observed) - 1)]
        centers[:, j] = np.where(np.abs(centers[:, j] - below) <= np.abs(above - centers[:, j]), below, above)
    weights = np.bincount(kmeans.labels_, minlength=k).astype(np.float64)
    return Background(centers, weights / weights.sum())
