"""Tree ensembles as their leaves' root-to-leaf paths.

A tree ensemble's raw output is ``offset + Σ_leaves value_l · [x reaches l]``: every leaf is
reached when each split on its path goes the path's way. ``LeafPaths`` holds every leaf of
every tree, padded to the deepest path: the splits (feature, threshold, direction, where a
missing value goes, the category set of a categorical split) and, for each split, the slot of
its feature among the distinct features of that path (a leaf with ``d`` distinct features has
``d`` slots). ``assemble`` builds it from trees given as node arrays (``TreeArrays``), as the
readers of each library (``tree_readers``) produce them.

A numeric split sends ``x`` left when ``x <= threshold`` in the precision ``dtype`` the model
compares in (a strict ``x < t`` is the same split with the threshold one step below ``t``); a
categorical split sends ``x`` left when ``x`` is a category code of its set; a missing value
(NaN) goes the split's ``missing_left`` way.
"""
from typing import NamedTuple

import numpy as np


class TreeArrays(NamedTuple):
    """One tree as node arrays (node 0 the root; a leaf has ``left == right``)."""

    left: np.ndarray                            # (nodes,) left child
    right: np.ndarray                           # (nodes,) right child
    feature: np.ndarray                         # (nodes,) feature of the split
    threshold: np.ndarray                       # (nodes,) go left when x <= threshold
    value: np.ndarray                           # (nodes, K) leaf value for each output, as the model sums it
    cover: np.ndarray                           # (nodes,) training cover (sample count or hessian sum)
    missing_left: np.ndarray | None = None   # (nodes,) where NaN goes (default: right, as NaN <= t is false)
    category: np.ndarray | None = None       # (nodes,) index of the split's category set, -1 if numeric


class Splits(NamedTuple):
    """Splits (of nodes, or of paths at one depth), and where each sends a row."""

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    category: np.ndarray
    category_table: np.ndarray | None

    def goes_left(self, rows, has_nan):
        """``(n, splits)``: whether each row (compared values, float64) goes left at each split."""
        x = rows[:, self.feature]
        goes_left = x <= self.threshold
        if self.category_table is not None:
            split = self.category >= 0
            if split.any():
                codes = x[:, split]
                known = (codes > -1) & (codes < self.category_table.shape[1])
                code = np.where(known, codes, 0).astype(np.intp)
                goes_left[:, split] = known & self.category_table[self.category[split], code]
        if has_nan:
            goes_left = np.where(np.isnan(x), self.missing_left, goes_left)
        return goes_left


class EnsembleNodes(NamedTuple):
    """Every node of the ensemble in one numbering (for algorithms that walk the trees)."""

    splits: Splits          # the split of each node (leaves: unused)
    left: np.ndarray        # (nodes,) left child (leaves: themselves)
    right: np.ndarray       # (nodes,) right child
    parent: np.ndarray      # (nodes,) parent (-1 for roots)
    went_left: np.ndarray   # (nodes,) whether the node is its parent's left child
    is_leaf: np.ndarray     # (nodes,)
    cover: np.ndarray       # (nodes,)
    value: np.ndarray       # (nodes, K) leaf values
    roots: np.ndarray       # (trees,) root of each tree


class LeafPaths(NamedTuple):
    feature: np.ndarray     # (L, D) feature of each split (0 for padding)
    threshold: np.ndarray   # (L, D) go left when x <= threshold (+inf for padding: always passes)
    left: np.ndarray        # (L, D) whether the path goes left
    slot: np.ndarray        # (L, D) slot of the split's feature among the path's distinct features
    slot_feature: np.ndarray  # (L, S) feature of each slot (-1 for unused slots)
    share: np.ndarray       # (L, D) share of the split's training cover that goes the path's way (1 for padding)
    value: np.ndarray       # (L, K) leaf value for each output, scaled as the model sums it
    dtype: type             # precision the model compares features in
    offset: np.ndarray      # (K,) constant added to the leaves' sum
    missing_left: np.ndarray  # (L, D) whether a missing value goes left at each split
    category: np.ndarray    # (L, D) row of category_table for categorical splits, -1 for numeric ones
    category_table: np.ndarray | None = None  # (sets, codes) whether each category code goes left
    nodes: EnsembleNodes | None = None      # the trees' nodes

    def as_compared(self, rows):
        """``rows`` as the model compares them (rounded to ``dtype``), in float64."""
        return self._as_compared(rows)

    def _as_compared(self, rows):
        return np.asarray(rows).astype(self.dtype).astype(np.float64)

    def _passes_at(self, rows, depth, has_nan):
        """``(n, L)``: whether each row passes each path's split at ``depth``."""
        splits = Splits(self.feature[:, depth], self.threshold[:, depth], self.missing_left[:, depth],
                        self.category[:, depth], self.category_table)
        return splits.goes_left(rows, has_nan) == self.left[:, depth]

    def passes(self, rows):
        """``(n, L, D)``: whether each row passes each split of each path (padding passes)."""
        rows = self._as_compared(rows)
        has_nan = bool(np.isnan(rows).any())
        return np.stack([self._passes_at(rows, depth, has_nan) for depth in range(self.feature.shape[1])], axis=-1)

    def patterns(self, rows):
        """``(n, L)`` bit patterns: bit ``s`` set when the row passes every split on slot ``s``'s
        feature (unused slots are set)."""
        rows = self._as_compared(rows)
        has_nan = bool(np.isnan(rows).any())
        failed = np.zeros((len(rows), len(self.value)), dtype=np.int32)
        for depth in range(self.feature.shape[1]):
            failed |= np.left_shift(~self._passes_at(rows, depth, has_nan), self.slot[:, depth], dtype=np.int32)
        return ~failed & (2 ** self.slot_feature.shape[1] - 1)


def _ensemble_nodes(trees):
    """The trees' nodes in one numbering: ``(parent, went_left, is_leaf, offsets, left, right)``."""
    sizes = np.array([len(tree.left) for tree in trees])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    left = np.concatenate([np.asarray(tree.left, np.intp) + start for tree, start in zip(trees, offsets)])
    right = np.concatenate([np.asarray(tree.right, np.intp) + start for tree, start in zip(trees, offsets)])
    is_leaf = left == right
    parent = np.full(offsets[-1], -1, dtype=np.intp)
    went_left = np.zeros(offsets[-1], dtype=bool)
    inner = np.flatnonzero(~is_leaf)
    parent[left[inner]], parent[right[inner]] = inner, inner
    went_left[left[inner]] = True
    return parent, went_left, is_leaf, offsets, left, right


def _node_field(trees, field, default):
    return np.concatenate([default(len(tree.left)) if getattr(tree, field) is None else np.asarray(getattr(tree, field))
                           for tree in trees])


def _slots(feature, real):
    """``(slot (L, D), slot_feature (L, S))``: each split's rank among its path's distinct features."""
    L, D = feature.shape
    keyed = np.where(real, feature, np.iinfo(np.intp).max)
    order = np.argsort(keyed, axis=1, kind="stable")
    ordered = np.take_along_axis(keyed, order, axis=1)
    new = np.ones((L, D), dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    new &= np.take_along_axis(real, order, axis=1)
    rank = np.cumsum(new, axis=1) - 1
    slot = np.zeros((L, D), dtype=np.int32)
    np.put_along_axis(slot, order, np.maximum(rank, 0).astype(np.int32), axis=1)
    slot = np.where(real, slot, 0)
    slots = max(1, int(new.sum(axis=1).max(initial=0)))
    slot_feature = np.full((L, slots), -1, dtype=np.intp)
    rows, columns = np.nonzero(new)
    slot_feature[rows, rank[rows, columns]] = ordered[rows, columns]
    return slot, slot_feature


def assemble(trees, dtype, offset, category_sets=()):
    """``LeafPaths`` of an ensemble of ``TreeArrays`` (whose raw output adds ``offset``);
    ``category_sets``: the category codes that go left at each categorical split's set index."""
    parent, went_left, is_leaf, offsets, left_of, right_of = _ensemble_nodes(trees)
    feature_of = _node_field(trees, "feature", lambda n: np.zeros(n, np.intp)).astype(np.intp)
    threshold_of = _node_field(trees, "threshold", lambda n: np.full(n, np.inf)).astype(np.float64)
    cover = _node_field(trees, "cover", np.ones).astype(np.float64)
    missing_of = _node_field(trees, "missing_left", lambda n: np.zeros(n, bool)).astype(bool)
    category_of = _node_field(trees, "category", lambda n: np.full(n, -1, np.intp)).astype(np.intp)
    value_of = np.concatenate([np.asarray(tree.value, np.float64).reshape(len(tree.left), -1) for tree in trees])
    leaves = np.flatnonzero(is_leaf)
    # walk up from every leaf at once; column d holds the split d levels above the leaf
    columns, node = [], leaves
    while True:
        above = parent[node]
        if not np.any(above >= 0):
            break
        columns.append((np.maximum(above, 0), went_left[node], above >= 0, node))
        node = np.where(above >= 0, above, node)
    depth = max(1, len(columns))
    L = len(leaves)
    splits = np.zeros((L, depth), dtype=np.intp)
    left = np.ones((L, depth), dtype=bool)
    real = np.zeros((L, depth), dtype=bool)
    child = np.zeros((L, depth), dtype=np.intp)
    for d, (split, goes_left, active, below) in enumerate(columns):
        splits[:, d], left[:, d], real[:, d], child[:, d] = split, goes_left | ~active, active, below
    feature = np.where(real, feature_of[splits], 0)
    threshold = np.where(real, threshold_of[splits], np.inf)
    missing_left = np.where(real, missing_of[splits], True)
    category = np.where(real, category_of[splits], -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(real, cover[child] / cover[splits], 1.0)
    share = np.nan_to_num(share, nan=0.0)
    slot, slot_feature = _slots(feature, real)
    table = None
    if len(category_sets):
        width = 1 + max((int(np.max(codes)) for codes in category_sets if len(codes)), default=0)
        table = np.zeros((len(category_sets), width), dtype=bool)
        for index, codes in enumerate(category_sets):
            table[index, np.asarray(codes, dtype=np.intp)] = True
    nodes = EnsembleNodes(Splits(feature_of, threshold_of, missing_of, category_of, table), left_of, right_of, parent,
                          went_left, is_leaf, cover, value_of, offsets[:-1])
    return LeafPaths(feature, threshold, left, slot, slot_feature, share, value_of[leaves], dtype,
                     np.asarray(offset, np.float64), missing_left, category, table, nodes)


def fit_offset(paths, row, raw):
    """``paths`` with the offset that makes the ensemble's output at ``row`` equal ``raw``
    (the model's raw output there): the constant part (initial prediction, base score)."""
    reached = np.all(paths.passes(row), axis=-1)[0]
    raw = np.asarray(raw, dtype=np.float64).reshape(-1)
    if raw.shape != paths.value.shape[1:]:
        raise TypeError(f"model: expected {paths.value.shape[1]} raw outputs, got shape {raw.shape}")
    return paths._replace(offset=raw - reached @ paths.value)
