"""Tree ensembles as their leaves' root-to-leaf paths.

A tree ensemble's raw output is ``offset + Σ_leaves value_l · [x reaches l]``: every leaf is
reached when each split on its path goes the path's way. ``LeafPaths`` holds every leaf of
every tree, padded to the deepest path: the splits (feature, threshold, direction) and, for
each split, the slot of its feature among the distinct features of that path (a leaf with
``d`` distinct features has ``d`` slots). ``read_sklearn`` reads scikit-learn's trees,
forests, gradient boosting and histogram gradient boosting into that form.
"""
from typing import NamedTuple

import numpy as np

from ..validation import describe


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

    def passes(self, rows):
        """``(n, L, D)``: whether each row passes each split of each path (padding passes)."""
        rows = np.asarray(rows).astype(self.dtype).astype(np.float64)
        return (rows[:, self.feature] <= self.threshold) == self.left

    def patterns(self, rows):
        """``(n, L)`` bit patterns: bit ``s`` set when the row passes every split on slot ``s``'s
        feature (unused slots are set)."""
        rows = np.asarray(rows).astype(self.dtype).astype(np.float64)
        failed = np.zeros((len(rows), len(self.value)), dtype=np.int32)
        for depth in range(self.feature.shape[1]):
            passes = (rows[:, self.feature[:, depth]] <= self.threshold[:, depth]) == self.left[:, depth]
            failed |= np.left_shift(~passes, self.slot[:, depth], dtype=np.int32)
        return ~failed & (2 ** self.slot_feature.shape[1] - 1)


def _tree_paths(left, right, feature, threshold, values, cover):
    """``(features, thresholds, directions, shares, value)`` of each leaf of one tree, depth first."""
    paths, stack = [], [(0, [], [], [])]
    while stack:
        node, nodes, directions, shares = stack.pop()
        if left[node] == right[node]:  # a leaf (both children -1 in sklearn, 0 in histogram trees)
            nodes = np.array(nodes, dtype=int)
            paths.append((feature[nodes], threshold[nodes], np.array(directions, bool), np.array(shares), values[node]))
            continue
        for child, goes_left in ((right[node], False), (left[node], True)):
            stack.append((child, nodes + [node], directions + [goes_left], shares + [cover[child] / cover[node]]))
    return paths


def _assemble(trees, dtype, offset):
    leaves = [leaf for tree in trees for leaf in _tree_paths(*tree)]
    depth = max(1, max(len(leaf[0]) for leaf in leaves))
    slots = max(1, max(len(np.unique(leaf[0])) for leaf in leaves))
    L = len(leaves)
    feature = np.zeros((L, depth), dtype=np.intp)
    threshold = np.full((L, depth), np.inf)
    left = np.ones((L, depth), dtype=bool)
    slot = np.zeros((L, depth), dtype=np.int32)
    slot_feature = np.full((L, slots), -1, dtype=np.intp)
    share = np.ones((L, depth))
    for l, (features, thresholds, directions, shares, _) in enumerate(leaves):
        distinct, position = np.unique(features, return_inverse=True)
        n = len(features)
        feature[l, :n], threshold[l, :n], left[l, :n], slot[l, :n] = features, thresholds, directions, position
        share[l, :n] = shares
        slot_feature[l, :len(distinct)] = distinct
    value = np.array([leaf[-1] for leaf in leaves], dtype=np.float64)
    return LeafPaths(feature, threshold, left, slot, slot_feature, share, value, dtype, np.asarray(offset, np.float64))


def _sklearn_tree(estimator, values):
    tree = estimator.tree_
    return tree.children_left, tree.children_right, tree.feature, tree.threshold, values, tree.weighted_n_node_samples


def _raw_output(model):
    if hasattr(model, "decision_function"):
        return model.decision_function
    if hasattr(model, "predict_proba"):
        return model.predict_proba
    return model.predict


def read_sklearn(model):
    """``LeafPaths`` of a fitted scikit-learn tree model, whose raw output (``predict_proba`` for
    trees and forests, ``decision_function`` for boosting classifiers, ``predict`` for regressors)
    is ``offset + Σ value_l [x reaches l]``."""
    name = type(model).__name__
    if name.startswith("HistGradientBoosting"):
        trees = []
        n_outputs = len(model._predictors[0])
        for iteration in model._predictors:
            for k, predictor in enumerate(iteration):
                nodes = predictor.nodes
                if np.any(nodes["is_categorical"]):
                    raise TypeError("model: categorical splits of histogram gradient boosting are not supported")
                values = np.zeros((len(nodes), n_outputs))
                values[:, k] = nodes["value"]
                left = np.where(nodes["is_leaf"], 0, nodes["left"])
                right = np.where(nodes["is_leaf"], 0, nodes["right"])
                trees.append((left, right, nodes["feature_idx"], nodes["num_threshold"], values,
                              nodes["count"].astype(np.float64)))
        dtype = np.float64
    elif name.startswith("GradientBoosting"):
        stages, n_outputs = model.estimators_.shape
        trees = []
        for stage in model.estimators_:
            for k, estimator in enumerate(stage):
                values = np.zeros((estimator.tree_.node_count, n_outputs))
                values[:, k] = estimator.tree_.value[:, 0, 0] * model.learning_rate
                trees.append(_sklearn_tree(estimator, values))
        dtype = np.float32
    else:
        members = getattr(model, "estimators_", [model])
        if getattr(model, "n_outputs_", 1) != 1 and hasattr(model, "classes_"):
            raise TypeError(f"model: multi-output classifiers are not supported, got {describe(model)}")
        trees = []
        for estimator in members:
            values = estimator.tree_.value.reshape(estimator.tree_.node_count, -1)
            if hasattr(model, "classes_"):
                values = values / values.sum(axis=1, keepdims=True)
            trees.append(_sklearn_tree(estimator, values / len(members)))
        dtype = np.float32
    paths = _assemble(trees, dtype, 0.0)
    # the constant part (initial prediction of boosting; 0 for trees and forests), from one row
    row = np.zeros((1, model.n_features_in_))
    reached = np.all(paths.passes(row), axis=-1)[0]
    raw = np.asarray(_raw_output(model)(row), dtype=np.float64).reshape(-1)
    if raw.shape != paths.value.shape[1:]:  # binary classifiers' decision function: one column
        raise TypeError(f"model: expected {paths.value.shape[1]} raw outputs, got {raw.shape} from {name}")
    return paths._replace(offset=raw - reached @ paths.value)
