"""CatBoost models (``CatBoostRegressor``, ``CatBoostClassifier``, ``CatBoost``) as ``LeafPaths``.

Read from the model's own JSON export (``save_model(format="json")``). CatBoost's trees are
oblivious: level ``d`` of a tree splits on ``x[f_d] > border_d`` (float32) everywhere, and the
leaf index is ``Σ_d [x[f_d] > border_d] · 2^d``. Each is written out as a full binary tree
(left: ``x <= border``), the last split at the root as CatBoost orders its own cover
conditioning, whose node covers are the sums of ``leaf_weights`` below them. A missing
value goes right only for ``nan_value_treatment == "AsTrue"`` (``nan_mode="Max"``), else left.
The raw output (``prediction_type="RawFormulaVal"``) scales the leaves' sum by
``scale_and_bias``, whose bias the offset recovers from one prediction. Only float features
are read (categorical features and text features are refused).
"""
import json
import os
import tempfile

import numpy as np

from ..tree_paths import TreeArrays, assemble, fit_offset


def _export(model):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        model.save_model(path, format="json")
        with open(path) as file:
            return json.load(file)


def _tree(tree, flat_index, nan_right, outputs, scale):
    splits = tree["splits"]
    for split in splits:
        if split.get("split_type") != "FloatFeature":
            raise TypeError(f"model: CatBoost splits of type {split.get('split_type')!r} are not supported "
                            "(only float features)")
    depth = len(splits)
    n_inner, n_leaves = 2**depth - 1, 2**depth
    heap = np.arange(n_inner)
    level = np.floor(np.log2(heap + 1)).astype(int) if n_inner else np.zeros(0, int)
    features = np.array([flat_index[split["float_feature_index"]] for split in splits], dtype=np.intp)
    borders = np.array([split["border"] for split in splits], dtype=np.float64)
    missing = np.array([not nan_right[split["float_feature_index"]] for split in splits], dtype=bool)
    # level l of the binary tree splits as CatBoost's split depth - 1 - l (the last one at the root, as
    # CatBoost's own cover order), so the leaf at heap position n_inner + i has CatBoost's leaf index i
    split = depth - 1 - level
    leaf_values = np.asarray(tree["leaf_values"], dtype=np.float64).reshape(n_leaves, outputs) * scale
    cover = np.zeros(n_inner + n_leaves)
    cover[n_inner:] = np.asarray(tree["leaf_weights"], dtype=np.float64)
    for node in range(n_inner - 1, -1, -1):
        cover[node] = cover[2 * node + 1] + cover[2 * node + 2]
    values = np.zeros((n_inner + n_leaves, outputs))
    values[n_inner:] = leaf_values
    nodes = np.arange(n_inner + n_leaves)
    inner = nodes < n_inner
    left, right = np.where(inner, 2 * nodes + 1, 0), np.where(inner, 2 * nodes + 2, 0)
    feature = np.zeros(len(nodes), np.intp)
    threshold, missing_left = np.full(len(nodes), np.inf), np.ones(len(nodes), bool)
    feature[:n_inner], threshold[:n_inner], missing_left[:n_inner] = features[split], borders[split], missing[split]
    return TreeArrays(left, right, feature, threshold, values, cover, missing_left)


def read_catboost(model):
    """``(LeafPaths, n_features, feature_names)`` of a fitted CatBoost model."""
    exported = _export(model)
    float_features = exported["features_info"].get("float_features", [])
    if exported["features_info"].get("categorical_features") or exported["features_info"].get("text_features"):
        raise TypeError("model: CatBoost models with categorical or text features are not supported")
    if "oblivious_trees" not in exported:
        raise TypeError("model: only CatBoost's oblivious (symmetric) trees are supported, got grow_policy other "
                        "than 'SymmetricTree'")
    flat_index = {feature["feature_index"]: feature["flat_feature_index"] for feature in float_features}
    nan_right = {feature["feature_index"]: feature.get("nan_value_treatment") == "AsTrue" for feature in float_features}
    scale, bias = exported.get("scale_and_bias", [1.0, [0.0]])
    outputs = max(1, len(np.atleast_1d(bias)))
    trees = [_tree(tree, flat_index, nan_right, outputs, scale) for tree in exported["oblivious_trees"]]
    paths = assemble(trees, np.float32, 0.0)
    n_features = len(float_features)
    row = np.zeros((1, n_features))
    raw = model.predict(row, prediction_type="RawFormulaVal")
    names = list(model.feature_names_) if getattr(model, "feature_names_", None) else None
    if names == [str(j) for j in range(n_features)]:
        names = None
    return fit_offset(paths, row, raw), n_features, names
