"""XGBoost boosters (``XGBRegressor``, ``XGBClassifier``, ``xgboost.Booster``) as ``LeafPaths``.

Read from the booster's own model JSON (``save_raw(raw_format="json")``): per tree the node
arrays ``split_indices``, ``split_conditions`` (the leaf value at leaves), ``default_left``
and ``sum_hessian`` (the cover), and ``tree_info`` (the output each tree adds to). XGBoost
sends ``x`` left when ``x < threshold`` in float32, which is ``x <= t⁻`` with ``t⁻`` the
float32 just below ``t``; a missing value goes the node's default way. DART boosters scale
each tree by its ``weight_drop``. The raw output is the margin (``output_margin=True``), whose
base score the offset recovers from one prediction.
"""
import json

import numpy as np

from ..tree_paths import TreeArrays, assemble, fit_offset


def _tree(tree, outputs, k, weight):
    left = np.asarray(tree["left_children"], dtype=np.intp)
    right = np.asarray(tree["right_children"], dtype=np.intp)
    leaf = left < 0
    if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
        raise TypeError("model: XGBoost multi-target trees (multi_strategy='multi_output_tree') are not supported")
    if np.any(np.asarray(tree["split_type"])[~leaf] != 0):
        raise TypeError("model: XGBoost categorical splits (enable_categorical=True) are not supported")
    conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
    values = np.zeros((len(left), outputs))
    values[:, k] = np.where(leaf, conditions.astype(np.float64) * weight, 0.0)
    threshold = np.nextafter(conditions, np.float32(-np.inf)).astype(np.float64)
    return TreeArrays(np.where(leaf, 0, left), np.where(leaf, 0, right), np.asarray(tree["split_indices"]),
                      threshold, values, np.asarray(tree["sum_hessian"], dtype=np.float64),
                      np.asarray(tree["default_left"], dtype=bool))


def read_xgboost(booster):
    """``(LeafPaths, n_features, feature_names)`` of an XGBoost booster."""
    import xgboost

    learner = json.loads(booster.save_raw(raw_format="json"))["learner"]
    gradient_booster = learner["gradient_booster"]
    if gradient_booster["name"] not in ("gbtree", "dart"):
        raise TypeError(f"model: expected an XGBoost tree booster, got booster={gradient_booster['name']!r}")
    forest = gradient_booster["model"] if gradient_booster["name"] == "gbtree" else gradient_booster["gbtree"]["model"]
    weights = gradient_booster.get("weight_drop") or [1.0] * len(forest["trees"])
    outputs = max(1, int(learner["learner_model_param"]["num_class"]))
    if not forest["trees"]:
        raise ValueError("model: expected a fitted XGBoost model, got one without trees")
    trees = [_tree(tree, outputs, k, weight) for tree, k, weight in zip(forest["trees"], forest["tree_info"], weights)]
    paths = assemble(trees, np.float32, 0.0)
    n_features = booster.num_features()
    row = np.zeros((1, n_features), dtype=np.float32)
    raw = booster.predict(xgboost.DMatrix(row, feature_names=booster.feature_names), output_margin=True)
    return fit_offset(paths, row, raw), n_features, booster.feature_names
