"""LightGBM boosters (``LGBMRegressor``, ``LGBMClassifier``, ``lightgbm.Booster``) as ``LeafPaths``.

Read from the booster's own dump (``dump_model()``): a numeric split (``decision_type``
``"<="``) sends ``x`` left when ``x <= threshold`` in float64; with ``missing_type`` ``"NaN"``
a missing value goes the ``default_left`` way, with ``"None"`` it is compared as 0 (models
trained with ``zero_as_missing`` are refused). A categorical split (``"=="``, threshold
``"a||b||c"``) sends the listed category codes left, and anything else (other codes, NaN,
negative values) right. The cover is ``internal_count`` / ``leaf_count``; the initial score
is already in the leaves, and the raw output is ``predict(raw_score=True)``; random-forest
boosters (``average_output``) average their iterations.
"""
import numpy as np

from ..tree_paths import TreeArrays, assemble, fit_offset


def _flatten(root):
    """Node dicts of one tree in depth-first order, with children as indices."""
    nodes, children = [], []
    stack = [(root, None, False)]
    while stack:
        node, parent, is_left = stack.pop()
        index = len(nodes)
        nodes.append(node)
        children.append([index, index])
        if parent is not None:
            children[parent][0 if is_left else 1] = index
        if "split_feature" in node:
            stack.append((node["right_child"], index, False))
            stack.append((node["left_child"], index, True))
    return nodes, np.array(children, dtype=np.intp).reshape(-1, 2)


def _tree(root, outputs, k, scale, sets):
    nodes, children = _flatten(root)
    n = len(nodes)
    feature, threshold = np.zeros(n, np.intp), np.full(n, np.inf)
    cover, missing_left = np.ones(n), np.zeros(n, bool)
    category = np.full(n, -1, np.intp)
    values = np.zeros((n, outputs))
    for i, node in enumerate(nodes):
        if "split_feature" not in node:
            values[i, k] = node["leaf_value"] * scale
            cover[i] = node.get("leaf_count", 1)
            continue
        feature[i], cover[i] = node["split_feature"], node["internal_count"]
        missing = node["missing_type"]
        if missing == "Zero":
            raise TypeError("model: LightGBM models trained with zero_as_missing=True are not supported")
        if node["decision_type"] == "==":
            category[i] = len(sets)
            sets.append(np.array([int(code) for code in str(node["threshold"]).split("||")]))
        else:
            threshold[i] = node["threshold"]
            missing_left[i] = node["default_left"] if missing == "NaN" else 0.0 <= node["threshold"]
    return TreeArrays(children[:, 0], children[:, 1], feature, threshold, values, cover, missing_left, category)


def read_lightgbm(booster):
    """``(LeafPaths, n_features, feature_names, pandas_categorical)`` of a LightGBM booster."""
    dump = booster.dump_model()
    outputs = dump["num_tree_per_iteration"]
    infos = dump["tree_info"]
    if not infos:
        raise ValueError("model: expected a fitted LightGBM model, got one without trees")
    if booster.params.get("linear_tree"):
        raise TypeError("model: LightGBM linear trees (linear_tree=True) are not supported")
    scale = outputs / len(infos) if dump.get("average_output") else 1.0
    sets = []
    trees = [_tree(info["tree_structure"], outputs, info["tree_index"] % outputs, scale, sets) for info in infos]
    paths = assemble(trees, np.float64, 0.0, sets)
    n_features = dump["max_feature_idx"] + 1
    row = np.zeros((1, n_features))
    raw = booster.predict(row, raw_score=True)
    return fit_offset(paths, row, raw), n_features, dump["feature_names"], dump.get("pandas_categorical")
