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
``tree_paths``): exact in float64 and faster than shap's C++ on trees of moderate depth.
Path-dependent values of ensembles whose tables would not fit (deep trees: ``2^slots`` rows per
leaf) come from one pass down and up the trees (``path_dependent_traversal``), exact too.
Interventional values of trees whose tables would not fit (more than ``MAX_SLOTS`` distinct
features on one path, or over ``CACHED_BYTES`` in all) go to
shap's C++ TreeExplainer. The models are read by ``tree_readers`` (scikit-learn, XGBoost,
LightGBM, CatBoost), each with its own split semantics.
"""
import numpy as np

from ...explanation import check_output
from ..tabular_input import as_rows, column_names
from .interventional_tree_shap import InterventionalShap, interventional_tables_fit
from .path_dependent_tree_shap import PathDependentShap
from .shap_plots import ShapPlots
from .shap_result import shap_result
from .tree_readers import read_tree_model

MODES = ("interventional", "tree_path_dependent")


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
    """shap's C++ TreeExplainer, for interventional values of trees too deep for the tables (more
    than ``MAX_SLOTS`` features on a path, or tables over ``CACHED_BYTES``; shap imported only then)."""

    def __init__(self, model, data, feature_perturbation):
        try:
            import shap
        except ImportError:
            raise ImportError(
                "model: its interventional tables would not fit in memory (deep trees), which TreeShap "
                "computes with shap's TreeExplainer: pip install shap (or limit max_depth)"
            ) from None
        self.explainer = shap.TreeExplainer(_shap_model(model), data=data, feature_perturbation=feature_perturbation)
        self.expected_value = np.asarray(self.explainer.expected_value, dtype=np.float64).reshape(-1)

    def __call__(self, X):
        values = self.explainer.shap_values(X.astype(np.float64), check_additivity=False)
        return np.asarray(values, dtype=np.float64)


class TreeShap(ShapPlots):
    """Exact SHAP values of tree models: scikit-learn, XGBoost, LightGBM and CatBoost.

    Args:
        model: a fitted scikit-learn DecisionTree / ExtraTree / RandomForest / ExtraTrees /
            GradientBoosting / HistGradientBoosting classifier or regressor, an XGBoost or
            LightGBM model (scikit-learn wrapper or ``Booster``) or a CatBoost model.
        data: background rows ``(N, M)`` (array or DataFrame); needed for ``"interventional"``
            (cost grows linearly with ``N``: about 100 rows is usual), ignored by
            ``"tree_path_dependent"``.
        feature_perturbation: ``"interventional"`` or ``"tree_path_dependent"`` (see the module).

    The output explained is the model's raw output: class probabilities for scikit-learn trees
    and forests (one output per class), the decision function (log-odds, one output per class
    when there are more than two) for scikit-learn boosting, the margin for XGBoost
    (``output_margin=True``), LightGBM (``raw_score=True``) and CatBoost (``RawFormulaVal``),
    the prediction for regressors. Rows are compared at the precision the model compares in
    (float64 is kept); missing values (NaN) go each split's default way where the model
    routes them. DataFrame columns are matched by name to the model's feature names (or the
    background's columns), which become ``feature_names``.

    Example::

        explainer = TreeShap(forest, data=X_train[:100], feature_perturbation="interventional")
        shap_values = explainer.explain(X_test)
        figure = explainer.plot(shap_values, feature_names=names)
    """

    def __init__(self, model, data=None, feature_perturbation="interventional"):
        if feature_perturbation not in MODES:
            raise ValueError(f"feature_perturbation: expected one of {MODES}, got {feature_perturbation!r}")
        tree_model = read_tree_model(model)
        self.model = model
        self.feature_perturbation = feature_perturbation
        self.n_features = tree_model.n_features
        self.allow_nan = tree_model.allow_nan
        self.feature_names = tree_model.feature_names or (column_names(data) if data is not None else None)
        self._categories = tree_model.categories
        self._encode = tree_model.encode or (lambda rows: rows)
        if feature_perturbation == "interventional":
            if data is None:
                raise ValueError("data: expected background rows for feature_perturbation='interventional', got None "
                                 "(pass data=X_train[:100], or use feature_perturbation='tree_path_dependent')")
            data = self._rows("data", data)
        else:
            data = None
        self.data = data
        self.paths = tree_model.paths
        if data is None:
            self._shap = PathDependentShap(self.paths, self.n_features)
        elif not interventional_tables_fit(self.paths):
            self._shap = _ShapTreeExplainer(model, data, feature_perturbation)
        else:
            self._shap = InterventionalShap(self.paths, self._encode(data))
        self.expected_value = self._shap.expected_value

    def _category_codes(self, value):
        """The fitted categories of each pandas categorical column, by column name."""
        if not self._categories or column_names(value) is None or isinstance(self._categories, dict):
            return self._categories if isinstance(self._categories, dict) else None
        names = self.feature_names or column_names(value)
        frame = value[names] if set(names) <= set(column_names(value)) else value
        categorical = [column for column, dtype in zip(column_names(frame), frame.dtypes) if dtype.name == "category"]
        return dict(zip(categorical, self._categories))

    def _rows(self, name, value):
        value = value[None, :] if getattr(value, "ndim", 2) == 1 else value
        rows = as_rows(name, value, finite=not self.allow_nan, columns=self.feature_names,
                       reference="the model" if self.feature_names else "data", categories=self._category_codes(value))
        if rows.shape[1] != self.n_features:
            raise ValueError(f"{name}: expected rows of the model's {self.n_features} features, got shape {rows.shape}")
        if np.isinf(rows).any():
            raise ValueError(f"{name}: expected finite values or NaN (missing), got infinite entries")
        return rows

    def explain(self, X, output=None):
        """SHAP values of the rows ``X``: an ``Explanation`` ``{"values": (n, M) or (n, M, outputs),
        "expected_value": scalar or (outputs,), "data": X}`` (``X`` as float64 rows, DataFrames put
        in the order of ``feature_names``); ``values.sum(1) + expected_value`` is the raw output.
        ``output``: None (every output) or the index of the one output to explain (values
        ``(n, M)``; see ``shap_result``)."""
        X = self._rows("X", X)
        check_output(output, len(self.expected_value))
        values = self._shap(X if isinstance(self._shap, _ShapTreeExplainer) else self._encode(X))
        classes = getattr(self.model, "classes_", None)
        if classes is not None:
            classes = [str(c) for c in classes] if len(classes) == len(self.expected_value) else None
        return shap_result("TreeShap", values, self.expected_value, X, output, model=self.model,
                           params={"feature_perturbation": self.feature_perturbation, "output": output},
                           feature_names=self.feature_names, output_names=classes)
