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

from .leaf_tables import shap_from_tables


def _slot_shares(part):
    """``z (leaves, slots)``: the product of the path's cover shares of the splits on each slot."""
    z = np.ones(part.slot_feature.shape)
    rows = np.arange(len(z))
    for depth in range(part.slot.shape[1]):
        z[rows, part.slot[:, depth]] *= part.share[:, depth]
    return z


def path_dependent_tables(part):
    """``T (leaves, 2^slots, slots)``: slot ``j``'s Shapley value per unit leaf value for pattern ``X``."""
    n_leaves, slots = part.slot_feature.shape
    P = 2**slots
    z = _slot_shares(part)
    coefficients = np.zeros((n_leaves, P, slots + 1))   # of Π_{k ∈ Y} (z_k + t), for every pattern Y
    coefficients[:, 0, 0] = 1
    products = np.ones((n_leaves, P))                   # Π_{k ∈ C} z_k, for every pattern C
    for bit in range(slots):
        low, high = slice(0, 1 << bit), slice(1 << bit, 2 << bit)
        coefficients[:, high] = z[:, bit, None, None] * coefficients[:, low]
        coefficients[:, high, 1:] += coefficients[:, low, :-1]
        products[:, high] = products[:, low] * z[:, bit, None]
    omega = np.array([math.factorial(s) * math.factorial(slots - s - 1) / math.factorial(slots)
                      for s in range(slots)] + [0.0])
    inner = coefficients @ omega
    X = np.arange(P)
    tables = np.empty((n_leaves, P, slots))
    for j in range(slots):
        others = ~(1 << j)
        tables[:, :, j] = (((X >> j) & 1) - z[:, j, None]) * products[:, ((P - 1) ^ X) & others] * inner[:, X & others]
    return tables


CACHED_BYTES = 2**28
"""Largest size of all the ensemble's tables kept between calls (they do not depend on the rows)."""


class PathDependentShap:
    """SHAP values ``(n, M, K)`` of the ensemble ``paths`` for rows ``X``: ``PathDependentShap(paths)(X)``.
    The tables are built once when they fit in ``CACHED_BYTES``, else for every call."""

    def __init__(self, paths):
        self.paths = paths
        slots = paths.slot_feature.shape[1]
        self.tables = None
        if len(paths.value) * 2**slots * slots * 8 <= CACHED_BYTES:
            self.tables = path_dependent_tables(paths)
        self.expected_value = paths.offset + np.prod(paths.share, axis=1) @ paths.value   # E[f] under the cover

    def _tables_of(self, leaves, part):
        return path_dependent_tables(part) if self.tables is None else self.tables[leaves[0]:leaves[-1] + 1]

    def __call__(self, X):
        return shap_from_tables(self.paths, X, self._tables_of)
