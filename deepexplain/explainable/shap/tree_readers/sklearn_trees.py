"""scikit-learn's trees, forests, gradient boosting and histogram gradient boosting as ``LeafPaths``.

Their raw output (``predict_proba`` for trees and forests, ``decision_function`` for boosting
classifiers, ``predict`` for regressors) is ``offset + Σ value_l [x reaches l]``. Trees compare
``x <= threshold`` in float32 (``DecisionTree``, forests, ``GradientBoosting``) or float64
(``HistGradientBoosting``); a missing value goes the way each node recorded at fit time.
"""
import numpy as np

from ....validation import describe
from ..tree_paths import TreeArrays, assemble, fit_offset

SUPPORTED = (
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
)


def is_sklearn_tree_model(model):
    return type(model).__name__ in SUPPORTED and type(model).__module__.startswith("sklearn.")


def check_fitted(model):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ValueError(f"model: expected a fitted model, got an unfitted {type(model).__name__}") from None


def _tree(estimator, values):
    tree = estimator.tree_
    missing = getattr(tree, "missing_go_to_left", None)
    return TreeArrays(tree.children_left, tree.children_right, tree.feature, tree.threshold, values,
                      tree.weighted_n_node_samples, None if missing is None else missing.astype(bool))


def _raw_output(model):
    if hasattr(model, "decision_function"):
        return model.decision_function
    if hasattr(model, "predict_proba"):
        return model.predict_proba
    return model.predict


def category_encoding(model):
    """``(columns, categories)`` of histogram gradient boosting fitted with categorical features
    (its preprocessor puts their ordinal codes first, in the order of ``columns``), else None."""
    preprocessor = getattr(model, "_preprocessor", None)
    if preprocessor is None:
        return None
    is_categorical = np.asarray(model.is_categorical_, dtype=bool)
    encoder = preprocessor.named_transformers_["encoder"]
    return np.flatnonzero(is_categorical), list(encoder.categories_)


def encoder_of(model):
    """The map from rows to the codes histogram boosting splits on: each categorical column's
    value becomes its index among the fitted categories (unknown values: NaN, i.e. missing);
    columns given as codes already (pandas categorical columns with text categories) are kept."""
    encoding = category_encoding(model)
    if encoding is None:
        return None
    columns, categories = encoding

    def encode(rows):
        rows = rows.copy()
        for column, known in zip(columns, categories):
            if known.dtype.kind not in "iuf":
                continue
            values = rows[:, column]
            index = np.clip(np.searchsorted(known, values), 0, len(known) - 1)
            rows[:, column] = np.where(known[index] == values, index, np.nan)
        return rows
    return encode


def _histogram_trees(model):
    """Trees of histogram gradient boosting; a categorical split's set is its bitset of category
    codes. With a preprocessor the trees see the categorical columns first: mapped back here."""
    encoding = category_encoding(model)
    n_features = model.n_features_in_
    original = np.arange(n_features)
    if encoding is not None:
        original = np.concatenate([encoding[0], np.setdiff1d(np.arange(n_features), encoding[0])])
    trees, sets = [], []
    n_outputs = len(model._predictors[0])
    for iteration in model._predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            values = np.zeros((len(nodes), n_outputs))
            values[:, k] = nodes["value"]
            leaf = nodes["is_leaf"].astype(bool)
            category = np.full(len(nodes), -1, dtype=np.intp)
            for node in np.flatnonzero(nodes["is_categorical"].astype(bool) & ~leaf):
                bits = np.unpackbits(predictor.raw_left_cat_bitsets[nodes["bitset_idx"][node]].view(np.uint8),
                                     bitorder="little")
                category[node] = len(sets)
                sets.append(np.flatnonzero(bits))
            trees.append(TreeArrays(np.where(leaf, 0, nodes["left"]), np.where(leaf, 0, nodes["right"]),
                                    original[nodes["feature_idx"]], nodes["num_threshold"], values,
                                    nodes["count"].astype(np.float64), nodes["missing_go_to_left"].astype(bool),
                                    category))
    return trees, sets


def read_sklearn(model):
    """``LeafPaths`` of a fitted scikit-learn tree model."""
    name = type(model).__name__
    sets = ()
    if name.startswith("HistGradientBoosting"):
        trees, sets = _histogram_trees(model)
        dtype = np.float64
    elif name.startswith("GradientBoosting"):
        stages, n_outputs = model.estimators_.shape
        trees = []
        for stage in model.estimators_:
            for k, estimator in enumerate(stage):
                values = np.zeros((estimator.tree_.node_count, n_outputs))
                values[:, k] = estimator.tree_.value[:, 0, 0] * model.learning_rate
                trees.append(_tree(estimator, values))
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
            trees.append(_tree(estimator, values / len(members)))
        dtype = np.float32
    paths = assemble(trees, dtype, 0.0, sets)
    if name.startswith("HistGradientBoosting"):   # raw output = baseline + the trees' sum
        return paths._replace(offset=np.asarray(model._baseline_prediction, np.float64).reshape(-1))
    row = np.zeros((1, model.n_features_in_))
    return fit_offset(paths, row, _raw_output(model)(row))
