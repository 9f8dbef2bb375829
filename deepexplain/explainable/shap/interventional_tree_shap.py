"""Interventional Tree SHAP, vectorised over leaves, samples and background rows.

For one leaf ``l`` and one background row ``r`` the interventional game is
``g(S) = value_l · Π_k [k ∈ S ? x passes k : r passes k]`` over the leaf's path features ``k``.
With ``A`` the features only ``x`` passes and ``B`` those only ``r`` passes (the leaf is out of
reach when some feature is passed by neither), its Shapley values are
``value_l · w(|A| − 1, |B|)`` for ``j ∈ A`` and ``−value_l · w(|A|, |B| − 1)`` for ``j ∈ B``,
with ``w(a, b) = a! b! / (a + b + 1)!`` (Lundberg et al., Nature Machine Intelligence 2020).

As bit patterns over the leaf's slots (``X`` for the sample, ``R`` for ``r``): ``B = ¬X``, the
pair counts only when ``R ⊇ ¬X``, and then ``A = ¬R``. Grouping the background by ``|R|``
and summing over supersets (a zeta transform) gives, for every possible ``X`` of the leaf, the
total over the background at once. These tables (``2^slots`` patterns per leaf) are built
once from the background; a sample then costs one table row per leaf.
"""
import math

import numpy as np

from .leaf_tables import MAX_SLOTS, chunk_size, leaf_chunks, shap_from_tables, slot_groups, table_entries


def _shapley_weights(slots):
    w = np.zeros((slots + 1, slots + 1))
    for a in range(slots + 1):
        for b in range(slots + 1 - a):
            w[a, b] = math.factorial(a) * math.factorial(b) / math.factorial(a + b + 1)
    return w


def interventional_tables(background_patterns, weights, slots):
    """``T (L, 2^slots, slots)``: the background-weighted Shapley value of slot ``j`` of leaf
    ``l`` (per unit leaf value) for a sample whose pattern on that leaf is ``X``."""
    n_leaves = background_patterns.shape[1]
    P = 2**slots
    popcount = np.array([bin(p).count("1") for p in range(P)])
    flat = (np.arange(n_leaves) * P)[None, :] + background_patterns
    counts = np.bincount(flat.ravel(), weights=np.repeat(weights, n_leaves), minlength=n_leaves * P)
    H = np.zeros((n_leaves, P, slots + 1))
    H[:, np.arange(P), popcount] = counts.reshape(n_leaves, P)
    for bit in range(slots):  # H[l, C, m] = Σ_{R ⊇ C, |R| = m} h[l, R]
        view = H.reshape(n_leaves, P >> (bit + 1), 2, 1 << bit, slots + 1)
        view[:, :, 0] += view[:, :, 1]
    w = _shapley_weights(slots)
    outside, b = slots - np.arange(slots + 1), np.arange(slots + 1)   # |¬R| for |R| = m; |B|
    in_b = H @ w[outside[:, None], b[None, :]]                         # Σ_m H[C, m] w(|¬R|, b)
    in_a = H @ np.where(outside[:, None] >= 1, w[np.maximum(outside - 1, 0)[:, None], b[None, :]], 0)
    X = np.arange(P)
    C = (P - 1) ^ X                 # R ⊇ ¬X for the pair to count
    missing = popcount[C]           # |B| = |¬X|
    only_b = np.where(missing >= 1, -in_b[:, C, np.maximum(missing - 1, 0)], 0)
    with_all = in_a[:, C, missing]
    tables = np.empty((n_leaves, P, slots))
    for j in range(slots):          # j in X: only the background rows without j (j in A) count
        tables[:, :, j] = np.where((X >> j) & 1, with_all - in_a[:, C | (1 << j), missing], only_b)
    return tables


CACHED_BYTES = 2**28
"""Largest size of the tables kept between calls (built at the first call); TreeShap sends
larger ensembles to shap's TreeExplainer."""


def interventional_tables_fit(paths):
    """Whether the tables of ``paths`` (leaves grouped by their number of slots) fit in
    ``CACHED_BYTES`` (and have at most ``MAX_SLOTS`` slots)."""
    return paths.slot_feature.shape[1] <= MAX_SLOTS and table_entries(slot_groups(paths)) * 8 <= CACHED_BYTES


class InterventionalShap:
    """SHAP values ``(n, M, K)`` of the ensemble ``paths`` for rows ``X`` against ``background``
    rows (uniformly weighted): ``InterventionalShap(paths, background)(X)``, for ensembles whose
    tables fit (``interventional_tables_fit``)."""

    def __init__(self, paths, background):
        self.paths = paths
        self.groups = slot_groups(paths)
        self.background = background
        self.weights = np.full(len(background), 1.0 / len(background))
        self.tables = None
        self.expected_value = paths.offset.copy()   # the mean raw output over the background
        for _, part in leaf_chunks(paths, chunk_size(paths, len(background))):
            self.expected_value += (self.weights @ np.all(part.passes(background), axis=-1)) @ part.value

    def _tables(self, group):
        slots = group.slot_feature.shape[1]
        tables = np.empty((len(group.value), 2**slots, slots))
        for leaves, part in leaf_chunks(group, chunk_size(group, len(self.background))):
            patterns = part.patterns(self.background)
            tables[leaves[0]:leaves[-1] + 1] = interventional_tables(patterns, self.weights, slots)
        return tables

    def __call__(self, X):
        if self.tables is None:   # built at the first call, kept for the following ones
            self.tables = [self._tables(group) for group in self.groups]
        return sum(shap_from_tables(group, X, lambda leaves, part, tables=tables: tables[leaves[0]:leaves[-1] + 1])
                   for group, tables in zip(self.groups, self.tables))
