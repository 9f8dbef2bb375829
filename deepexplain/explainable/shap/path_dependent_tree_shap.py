"""Path-dependent Tree SHAP from per-leaf tables (Lundberg et al., Nature Machine Intelligence 2020).

A tree's ``E[f | x_S]`` follows ``x`` at splits on features in ``S`` and otherwise goes both
ways, weighted by the share of the training cover each way. For one leaf this is the game
``g(S) = value · Π_k (k ∈ S ? a_k : z_k)`` over the path's features ``k``, with ``a_k ∈ {0, 1}``
whether ``x`` passes every split on ``k`` and ``z_k`` the product of the path's cover shares on
``k``. Its Shapley values, with ``ω(s) = s!(d − s − 1)!/d!`` over ``d`` slots and ``X`` the
features ``x`` passes, are

    φ_j = value · (a_j − z_j) · Π_{k ∉ X, k ≠ j} z_k · Σ_{S ⊆ X∖{j}} ω(|S|) Π_{k ∈ X∖{j}∖S} z_k,

where the last sum is ``Σ_s ω(s) e_s`` over the coefficients ``e_s`` of ``Π_{k ∈ X∖{j}} (z_k + t)``.
These polynomials and products are built for every pattern by doubling (one slot at a time).
Unused slots have ``z = a = 1``: dummy players, who change nothing.
"""
import math

import numpy as np

from .leaf_tables import MAX_SLOTS, shap_from_tables, slot_groups, table_entries
from .path_dependent_traversal import PathDependentTraversal


def _slot_shares(part):
    """``z (leaves, slots)``: the product of the path's cover shares of the splits on each slot."""
    z = np.ones(part.slot_feature.shape)
    rows = np.arange(len(z))
    for depth in range(part.slot.shape[1]):
        z[rows, part.slot[:, depth]] *= part.share[:, depth]
    return z


def path_dependent_tables(part):
    """``T (leaves, 2^slots, slots)``: slot ``j``'s Shapley value per unit leaf value for pattern ``X``
    (computed with the leaves on the last, contiguous axis)."""
    n_leaves, slots = part.slot_feature.shape
    P = 2**slots
    z = _slot_shares(part).T.copy()                     # (slots, leaves)
    coefficients = np.zeros((P, slots + 1, n_leaves))   # of Π_{k ∈ Y} (z_k + t), for every pattern Y
    coefficients[0, 0] = 1
    products = np.ones((P, n_leaves))                   # Π_{k ∈ C} z_k, for every pattern C
    for bit in range(slots):
        low, high = slice(0, 1 << bit), slice(1 << bit, 2 << bit)
        coefficients[high] = z[bit] * coefficients[low]
        coefficients[high, 1:] += coefficients[low, :-1]
        products[high] = products[low] * z[bit]
    omega = np.array([math.factorial(s) * math.factorial(slots - s - 1) / math.factorial(slots)
                      for s in range(slots)] + [0.0])
    inner = np.einsum("psl,s->pl", coefficients, omega)
    X = np.arange(P)
    tables = np.empty((n_leaves, P, slots))
    for j in range(slots):
        others = ~(1 << j)
        passes = ((X >> j) & 1)[:, None]
        tables[:, :, j] = ((passes - z[j]) * products[((P - 1) ^ X) & others] * inner[X & others]).T
    return tables


CACHED_BYTES = 2**28
"""Largest size of all the ensemble's tables (kept between calls: they do not depend on the rows);
larger ensembles (deep trees) go to ``path_dependent_traversal``."""



class PathDependentShap:
    """SHAP values ``(n, M, K)`` of the ensemble ``paths`` for rows ``X``:
    ``PathDependentShap(paths, n_features)(X)``.

    Each call takes the cheaper of two exact ways: the tables (built at the first call that needs
    them, then kept; only when they fit in ``CACHED_BYTES``; leaves grouped by their number of
    slots), or walking the trees (``PathDependentTraversal``, whose cost grows with the rows:
    chosen for few rows, or when the tables do not fit)."""

    def __init__(self, paths, n_features):
        self.paths = paths
        self.n_features = n_features
        self.groups = slot_groups(paths)
        self.entries = table_entries(self.groups)
        self.tables = None
        self.walk = None
        self.fits = paths.slot_feature.shape[1] <= MAX_SLOTS and self.entries * 8 <= CACHED_BYTES
        self.expected_value = paths.offset + np.prod(paths.share, axis=1) @ paths.value   # E[f] under the cover

    def _walking_is_cheaper(self, n_rows):
        slots = self.paths.slot_feature.shape[1]
        walking = n_rows * 2 * len(self.paths.value) * math.ceil(slots / 2) * 14
        return walking < self.entries * 4

    def __call__(self, X):
        if self.tables is None and (not self.fits or self._walking_is_cheaper(len(X))):
            if self.walk is None:
                self.walk = PathDependentTraversal(self.paths, self.n_features)
            return self.walk(X)
        if self.tables is None:
            self.tables = [path_dependent_tables(group) for group in self.groups]
        return sum(shap_from_tables(group, X, lambda leaves, part, tables=tables: tables[leaves[0]:leaves[-1] + 1])
                   for group, tables in zip(self.groups, self.tables))
