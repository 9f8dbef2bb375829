"""Path-dependent Tree SHAP by one pass down and one pass up the trees, for deep trees.

For a leaf ``l`` with value ``v`` and, on each feature ``k`` of its path, ``a_k`` (whether the
row passes every split on ``k``) and ``z_k`` (the product of the path's cover shares on ``k``),
the path-dependent game ``v Π_k (k ∈ S ? a_k : z_k)`` has the Shapley values
(``path_dependent_tree_shap``; Lundberg et al., Nature Machine Intelligence 2020)

    φ_j = v (a_j − z_j) Σ_s ω(s) e_s  =  v (a_j − z_j) ∫_0^1 Π_{k ≠ j} F_k(t) dt,

with ``F_k(t) = z_k (1 − t) + a_k t``, since ``ω(s) = s!(d − s − 1)!/d! = ∫ t^s (1 − t)^{d−1−s} dt``.
The integrand is a polynomial of degree below the number of path features ``d``, so Gauss–Legendre
quadrature with ``⌈d/2⌉`` nodes is exact. Writing ``g(a, z) = (a − z) / F(a, z)`` and
``P_l = Π_k F_k``, ``φ_j = ∫ v P_l g(a_j, z_j)``, and ``g`` of the path's final ``(a_j, z_j)``
telescopes over the path's splits on ``j``: each split ``e`` adds ``Δg_e = g(a_e, z_e) −
g(a_before, z_before)`` (0 once the row has failed ``j``). So

    φ_j = Σ_q w_q Σ_{splits e on j} Δg_e(t_q) S_e(t_q),   S_e = Σ_{leaves l below e} v_l P_l(t_q):

``P`` is carried down the tree (each split multiplies it by the new ``F`` over the old ``F`` of its
feature), ``S`` summed up, and every split adds its term to its feature. The cost is linear in
the number of nodes (times rows and quadrature nodes), whatever the depth, and memory is
bounded by chunks of rows and trees.
"""
import math

import numpy as np
import scipy.sparse

CHUNK_ELEMENTS = 2**22
"""Most ``rows × nodes × quadrature nodes × outputs`` held at once."""


def _previous_same_feature(nodes):
    """For each node, the nearest ancestor whose incoming split is on the same feature as the
    node's incoming split (-1: none)."""
    parent = nodes.parent
    has_parent = parent >= 0
    feature = np.where(has_parent, nodes.splits.feature[np.maximum(parent, 0)], -1)
    previous = np.full(len(parent), -1, dtype=np.intp)
    candidate = np.where(has_parent, parent, -1)
    open_ = has_parent.copy()
    while open_.any():
        at = np.maximum(candidate, 0)
        match = open_ & (candidate >= 0) & (feature[at] == feature) & (parent[at] >= 0)
        previous[match] = candidate[match]
        open_ &= ~match & (candidate >= 0) & (parent[at] >= 0)
        candidate = np.where(open_, parent[at], -1)
    return previous


def _levels(nodes, roots):
    """The nodes of some trees level by level, children of one parent side by side."""
    levels, current = [], roots
    while len(current):
        levels.append(current)
        inner = current[~nodes.is_leaf[current]]
        current = np.stack([nodes.left[inner], nodes.right[inner]], axis=1).ravel()
    return levels


class _Level:
    """What one level of a chunk of trees needs: its nodes' splits and the quadrature factors
    (arrays ``(Q, nodes)``: quadrature node first, tree node last, as the ``(Q, rows, nodes)`` products)."""

    def __init__(self, nodes, level, local, previous, share, Z, t, w, outputs, n_features):
        self.count = len(level)
        self.local = local[level]
        is_leaf = nodes.is_leaf[level]
        self.leaves, self.inner = np.flatnonzero(is_leaf), np.flatnonzero(~is_leaf)
        self.value = nodes.value[level[self.leaves]][:, outputs].T.copy()      # (K, leaves)
        parents = nodes.parent[level]
        self.root = parents[0] < 0 if len(level) else True
        if self.root:
            return
        self.parents = parents[::2]
        self.previous = np.where(previous[level] >= 0, local[np.maximum(previous[level], 0)], -1)
        t, w = t[:, None], w[:, None]
        z_now = Z[level][None, :]
        z_before = np.where(previous[level] >= 0, Z[np.maximum(previous[level], 0)], 1.0)[None, :]
        failed_before = z_before * (1 - t) + t                      # F(1, z_before) (> 0)
        ratios = np.stack([np.broadcast_to(share[level][None, :], failed_before.shape),   # a was already 0
                           z_now * (1 - t) / failed_before,                             # a: 1 -> 0 here
                           (z_now * (1 - t) + t) / failed_before], axis=2)              # a stays 1
        self.ratios = ratios.reshape(len(t), -1)   # (Q, 3 nodes): node c's case i at 3c + i
        g_before = (1 - z_before) / failed_before
        self.delta_fails = w * (-1 / (1 - t) - g_before)
        self.delta_passes = w * ((1 - z_now) / (z_now * (1 - t) + t) - g_before)
        edge_feature = np.repeat(nodes.splits.feature[self.parents], 2)
        self.to_features = scipy.sparse.csr_matrix(
            (np.ones(self.count), (edge_feature, np.arange(self.count))), shape=(n_features, self.count))


class PathDependentTraversal:
    """SHAP values ``(n, M, K)`` of the ensemble ``paths`` for rows ``X``, walking its trees:
    ``PathDependentTraversal(paths, n_features)(X)``."""

    def __init__(self, paths, n_features):
        self.paths = paths
        self.n_features = n_features
        nodes = paths.nodes
        self.expected_value = paths.offset + np.prod(paths.share, axis=1) @ paths.value
        n_slots = max(1, paths.slot_feature.shape[1])
        x, weights = np.polynomial.legendre.leggauss(max(1, math.ceil(n_slots / 2)))
        t, w = (x + 1) / 2, weights / 2
        previous = _previous_same_feature(nodes)
        share, Z = self._cumulative_shares(nodes, previous)
        self.chunks = []
        for outputs, roots in self._groups(nodes):
            for chunk_roots in self._tree_chunks(nodes, roots, len(t) * len(outputs)):
                levels = _levels(nodes, chunk_roots)
                local = np.full(len(nodes.parent), -1, dtype=np.intp)
                order = np.concatenate(levels)
                local[order] = np.arange(len(order))
                self.chunks.append((outputs, len(order), [
                    _Level(nodes, level, local, previous, share, Z, t, w, outputs, n_features) for level in levels]))
        self.n_quadrature = len(t)

    @staticmethod
    def _cumulative_shares(nodes, previous):
        """``(share, Z)``: for each node, the cover share of its incoming split, and the product of
        the shares of the splits on that split's feature from the root down to it."""
        parent = nodes.parent
        share = np.ones(len(parent))
        inner = parent >= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            share[inner] = np.nan_to_num(nodes.cover[inner] / nodes.cover[parent[inner]], nan=0.0)
        Z = share.copy()
        for level in _levels(nodes, nodes.roots)[1:]:
            before = previous[level]
            Z[level] = share[level] * np.where(before >= 0, Z[np.maximum(before, 0)], 1.0)
        return share, Z

    @staticmethod
    def _groups(nodes):
        """Trees grouped by the outputs their leaves write to (boosting: one output per tree)."""
        K = nodes.value.shape[1]
        tree_of = np.searchsorted(nodes.roots, np.arange(len(nodes.parent)), side="right") - 1
        written = np.zeros((len(nodes.roots), K), dtype=bool)
        np.logical_or.at(written, tree_of[nodes.is_leaf], nodes.value[nodes.is_leaf] != 0)
        single = written.sum(axis=1) <= 1
        groups = [(np.array([k]), nodes.roots[single & written[:, k]]) for k in range(K)]
        groups.append((np.arange(K), nodes.roots[~single]))
        return [(outputs, roots) for outputs, roots in groups if len(roots)]

    @staticmethod
    def _tree_chunks(nodes, roots, per_node):
        sizes = np.diff(np.append(nodes.roots, len(nodes.parent)))[np.searchsorted(nodes.roots, roots)]
        chunk, total = [], 0
        for root, size in zip(roots, sizes):
            if chunk and (total + size) * per_node > CHUNK_ELEMENTS // 16:
                yield np.array(chunk)
                chunk, total = [], 0
            chunk.append(root)
            total += size
        if chunk:
            yield np.array(chunk)

    def __call__(self, X):
        X = self.paths.as_compared(X)
        values = np.zeros((len(X), self.n_features, self.paths.value.shape[1]))
        has_nan = bool(np.isnan(X).any())
        splits = self.paths.nodes.splits
        for outputs, n_nodes, levels in self.chunks:
            rows_per_chunk = max(1, CHUNK_ELEMENTS // (n_nodes * self.n_quadrature * len(outputs)))
            for start in range(0, len(X), rows_per_chunk):
                rows = X[start:start + rows_per_chunk]
                values[start:start + len(rows), :, outputs] += self._chunk(rows, n_nodes, levels, splits, has_nan)
        return values

    def _chunk(self, rows, n_nodes, levels, splits, has_nan):
        n, Q = len(rows), self.n_quadrature
        passed = np.ones((n, n_nodes + 1), dtype=bool)   # a of each node's feature so far; last: no split
        products, cases = [np.ones((Q, n, levels[0].count))], [None]
        for above, level in zip(levels, levels[1:]):
            goes_left = _goes_left(splits, rows, level.parents, has_nan)
            passes = np.stack([goes_left, ~goes_left], axis=2).reshape(n, -1)
            before = passed[:, level.previous]
            now = before & passes
            passed[:, level.local] = now
            case = before.astype(np.intp) + now           # 0: failed before, 1: fails here, 2: passes
            ratio = np.take(level.ratios, 3 * np.arange(level.count) + case, axis=1)
            parent = products[-1][:, :, above.inner]
            products.append((ratio.reshape(Q, n, -1, 2) * parent[..., None]).reshape(Q, n, -1))
            cases.append((before & ~passes, now))
        K = levels[0].value.shape[0]
        result = np.zeros((n, self.n_features, K))
        for k in range(K):
            below = None
            for index in range(len(levels) - 1, -1, -1):
                level, P = levels[index], products[index]
                S = np.empty((Q, n, level.count))
                S[:, :, level.leaves] = P[:, :, level.leaves] * level.value[k]
                if below is not None:
                    S[:, :, level.inner] = below[:, :, 0::2] + below[:, :, 1::2]
                if not level.root:
                    fails, passes = cases[index]
                    term = (np.where(fails, np.einsum("qnc,qc->nc", S, level.delta_fails), 0.0)
                            + np.where(passes, np.einsum("qnc,qc->nc", S, level.delta_passes), 0.0))
                    result[:, :, k] += (level.to_features @ term.T).T
                below = S
        return result


def _goes_left(splits, rows, nodes, has_nan):
    """``(n, nodes)``: whether each row goes left at each of ``nodes``' splits."""
    at = splits._replace(feature=splits.feature[nodes], threshold=splits.threshold[nodes],
                         missing_left=splits.missing_left[nodes], category=splits.category[nodes])
    return at.goes_left(rows, has_nan)
