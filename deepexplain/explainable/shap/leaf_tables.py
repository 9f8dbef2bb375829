"""SHAP values of a tree ensemble from per-leaf tables.

Both Tree SHAP modes decompose over leaves: a leaf's contribution to the Shapley value of its
path's slot ``j`` depends on the sample only through the bit pattern ``X`` of the slots whose
splits the sample passes (``LeafPaths.patterns``). A mode supplies, for a chunk of leaves, the
table ``T (leaves, 2^slots, slots)`` of those contributions per unit leaf value; the sample's
values are then one gathered table row per leaf and one sparse product that maps slots to
features and scales them by the leaf values.
"""
import numpy as np
import scipy.sparse

MAX_SLOTS = 12
"""Most distinct features on one path for the tables (``2^slots`` entries per leaf and slot)."""


def slot_to_output(paths, leaves, n_features):
    """Sparse ``(leaves·slots, (M + 1)·K)`` map from a slot's table entry to its feature's
    values for each output, scaled by the leaf value (unused slots go to feature ``M``)."""
    slots, K = paths.slot_feature.shape[1], paths.value.shape[1]
    feature = np.where(paths.slot_feature[leaves] < 0, n_features, paths.slot_feature[leaves])
    columns = np.repeat(np.arange(len(leaves) * slots), K)
    rows = (feature.reshape(-1, 1) * K + np.arange(K)).ravel()
    data = np.repeat(paths.value[leaves], slots, axis=0).ravel()
    return scipy.sparse.csr_matrix((data, (columns, rows)), shape=(len(leaves) * slots, (n_features + 1) * K))


PER_LEAF = ("feature", "threshold", "left", "slot", "slot_feature", "share", "value", "missing_left", "category")


def leaves_of(paths, leaves):
    """The ``LeafPaths`` of some of the leaves (indices ``leaves``)."""
    return paths._replace(**{field: getattr(paths, field)[leaves] for field in PER_LEAF})


def leaf_chunks(paths, size):
    """``(leaves, paths of those leaves)`` in chunks of ``size`` leaves."""
    for start in range(0, len(paths.value), size):
        leaves = np.arange(start, min(start + size, len(paths.value)))
        yield leaves, leaves_of(paths, leaves)


def slot_groups(paths):
    """The leaves grouped by their number of slots ``s``, each group's ``LeafPaths`` trimmed to
    ``s`` slots: a leaf's tables then have ``2^s`` rows, not ``2^(most slots of any leaf)``."""
    used = np.maximum((paths.slot_feature >= 0).sum(axis=1), 1)
    groups = []
    for slots in np.unique(used):
        part = leaves_of(paths, np.flatnonzero(used == slots))
        groups.append(part._replace(slot_feature=part.slot_feature[:, :slots]))
    return groups


def table_entries(groups):
    """Entries of the tables ``(leaves, 2^s, s)`` of all the groups."""
    return sum(len(group.value) * 2**group.slot_feature.shape[1] * group.slot_feature.shape[1] for group in groups)


def chunk_size(paths, n_rows):
    slots, depth = paths.slot_feature.shape[1], paths.feature.shape[1]
    return max(1, 2**21 // (2**slots * slots + n_rows * depth))


def shap_from_tables(paths, X, tables_of):
    """SHAP values ``(n, M, K)`` of the rows ``X``; ``tables_of(leaves, part)`` gives the tables
    of a chunk of leaves (``leaves``: their indices, ``part``: their ``LeafPaths``)."""
    n, M = X.shape
    slots, P = paths.slot_feature.shape[1], 2**paths.slot_feature.shape[1]
    values = np.zeros((n, (M + 1) * paths.value.shape[1]))
    for leaves, part in leaf_chunks(paths, chunk_size(paths, n)):
        rows = part.patterns(X) + np.arange(len(leaves)) * P
        gathered = np.take(tables_of(leaves, part).reshape(-1, slots), rows, axis=0)   # (n, leaves, slots)
        values += gathered.reshape(n, -1) @ slot_to_output(paths, leaves, M)
    return values.reshape(n, M + 1, -1)[:, :M]
