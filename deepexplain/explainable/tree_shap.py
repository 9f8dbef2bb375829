"""Tree SHAP: exact Shapley values of tree ensembles (Lundberg et al., "From local explanations
to global understanding with explainable AI for trees", Nature Machine Intelligence 2020).

The value of a coalition ``S`` for a sample ``x`` is the model's expected output when the
features in ``S`` are fixed to ``x``'s values:

* ``"interventional"``: ``v(S) = (1/N) Σ_b f(x_S, b_¬S)`` over the background rows ``b``;
* ``"tree_path_dependent"``: each tree's ``E[f | x_S]`` from its training cover: at a split on a
  feature outside ``S`` both children are followed, weighted by the share of training samples
  that went each way.

Both modes are computed here, vectorised in NumPy from per-leaf tables (``leaf_tables``; the
tables of ``interventional_tree_shap`` and ``path_dependent_tree_shap``, on the leaf paths of
``tree_paths``): exact in float64 and faster than shap's C++ on trees of moderate depth. Trees
with more than ``MAX_SLOTS`` distinct features on one path (deep, unpruned trees, whose tables
would need ``2^slots`` rows per leaf) go to shap's C++ TreeExplainer.
"""
import numpy as np

from ..validation import as_float_array, describe
from .interventional_tree_shap import InterventionalShap
from .leaf_tables import MAX_SLOTS
from .path_dependent_tree_shap import PathDependentShap
from .shap_plots import ShapPlots
from .tree_paths import read_sklearn

MODES = ("interventional", "tree_path_dependent")

SUPPORTED = (
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
)


def _check_model(model):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if type(model).__name__ not in SUPPORTED or not type(model).__module__.startswith("sklearn."):
        raise TypeError(f"model: expected a fitted scikit-learn tree model ({', '.join(SUPPORTED)}), got {describe(model)}")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ValueError(f"model: expected a fitted model, got an unfitted {type(model).__name__}") from None
    return model


def _multiclass_boosting(model):
    """A multiclass GradientBoostingClassifier as shap's dict model (shap reads only binary ones):
    class ``k``'s trees write to output ``k``, scaled by the learning rate, on top of the initial
    raw prediction, recovered from ``decision_function`` at one row."""
    n_classes = model.estimators_.shape[1]
    trees = []
    for row in model.estimators_:
        for k, estimator in enumerate(row):
            tree = estimator.tree_
            values = np.zeros((tree.node_count, n_classes))
            values[:, k] = tree.value[:, 0, 0] * model.learning_rate
            trees.append({
                "children_left": tree.children_left, "children_right": tree.children_right,
                "children_default": tree.children_left, "features": tree.feature,
                "thresholds": tree.threshold.astype(np.float64), "values": values,
                "node_sample_weight": tree.weighted_n_node_samples.astype(np.float64),
            })
    row = np.zeros((1, model.n_features_in_), dtype=np.float32)
    leaves = sum(t["values"][model_leaf] for t, model_leaf in zip(trees, _leaves(model, row)))
    offset = model.decision_function(row)[0] - leaves
    return {"trees": trees, "base_offset": offset, "tree_output": "raw_value", "input_dtype": np.float32}


def _leaves(model, row):
    return [estimator.apply(row)[0] for estimators in model.estimators_ for estimator in estimators]


def _shap_model(model):
    if type(model).__name__ == "GradientBoostingClassifier" and model.estimators_.shape[1] > 1:
        return _multiclass_boosting(model)
    return model


class _ShapTreeExplainer:
    """shap's C++ TreeExplainer, for trees too deep for the tables (shap imported only then)."""

    def __init__(self, model, data, feature_perturbation):
        try:
            import shap
        except ImportError:
            raise ImportError(
                f"model: its trees have more than {MAX_SLOTS} distinct features on one path, which TreeShap "
                "computes with shap's TreeExplainer: pip install shap (or limit max_depth)"
            ) from None
        self.explainer = shap.TreeExplainer(_shap_model(model), data=data, feature_perturbation=feature_perturbation)
        self.expected_value = np.asarray(self.explainer.expected_value, dtype=np.float64).reshape(-1)

    def __call__(self, X):
        values = self.explainer.shap_values(X.astype(np.float64), check_additivity=False)
        return np.asarray(values, dtype=np.float64)


class TreeShap(ShapPlots):
    """Exact SHAP values of scikit-learn trees, forests and gradient boosting.

    Args:
        model: a fitted DecisionTree / ExtraTree / RandomForest / ExtraTrees / GradientBoosting /
            HistGradientBoosting classifier or regressor.
        data: background rows ``(N, M)``; needed for ``"interventional"`` (cost grows linearly
            with ``N``: about 100 rows is usual), ignored by ``"tree_path_dependent"``.
        feature_perturbation: ``"interventional"`` or ``"tree_path_dependent"`` (see the module).

    The output explained is the model's raw output: class probabilities for trees and forests
    (one output per class), the decision function (log-odds, one output per class when there
    are more than two) for gradient boosting, the prediction for regressors.

    Example::

        explainer = TreeShap(forest, data=X_train[:100], feature_perturbation="interventional")
        shap_values = explainer.explain(X_test)
        figure = explainer.plot(shap_values, feature_names=names)
    """

    def __init__(self, model, data=None, feature_perturbation="interventional"):
        self.model = _check_model(model)
        if feature_perturbation not in MODES:
            raise ValueError(f"feature_perturbation: expected one of {MODES}, got {feature_perturbation!r}")
        self.feature_perturbation = feature_perturbation
        self.n_features = model.n_features_in_
        if feature_perturbation == "interventional":
            if data is None:
                raise ValueError("data: expected background rows for feature_perturbation='interventional', got None "
                                 "(pass data=X_train[:100], or use feature_perturbation='tree_path_dependent')")
            data = self._rows("data", data)
        else:
            data = None
        self.data = data
        self.paths = read_sklearn(model)
        if self.paths.slot_feature.shape[1] > MAX_SLOTS:
            self._shap = _ShapTreeExplainer(model, data, feature_perturbation)
        elif data is None:
            self._shap = PathDependentShap(self.paths)
        else:
            self._shap = InterventionalShap(self.paths, data)
        self.expected_value = self._shap.expected_value

    def _rows(self, name, value):
        rows = as_float_array(name, value)
        rows = rows[None, :] if rows.ndim == 1 else rows
        if rows.ndim != 2 or rows.shape[1] != self.n_features or len(rows) == 0:
            raise ValueError(f"{name}: expected rows of the model's {self.n_features} features, got shape {rows.shape}")
        return rows

    def explain(self, X):
        """SHAP values of the rows ``X``: ``{"values": (n, M) or (n, M, outputs), "expected_value":
        scalar or (outputs,), "data": X}``; ``values.sum(1) + expected_value`` is the raw output."""
        X = self._rows("X", X)
        values = self._shap(X)
        single = len(self.expected_value) == 1
        return {
            "values": values[..., 0] if single and values.ndim == 3 else values,
            "expected_value": self.expected_value[0] if single else self.expected_value.copy(),
            "data": X,
        }
