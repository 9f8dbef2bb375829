"""Which reader a fitted tree model goes to, and what TreeShap needs to know about it."""
from typing import NamedTuple

from ....validation import describe
from ...tabular_input import fitted_columns
from ..tree_paths import LeafPaths
from .sklearn_trees import SUPPORTED, category_encoding, check_fitted, encoder_of, is_sklearn_tree_model, read_sklearn

EXTRA = 'pip install "deepexplain[trees]"'


class TreeModel(NamedTuple):
    """A tree model as TreeShap uses it."""

    paths: LeafPaths
    n_features: int
    feature_names: list | None          # the names the model was fitted with, if any
    allow_nan: bool                     # whether the model routes missing values
    categories: dict | list | None      # categories whose codes pandas categorical columns become: LightGBM's
                                        # list (one per categorical column, in order), or {column: categories}
    encode: object = None               # rows -> the values the trees split on, if they differ


def _library(model):
    """``"xgboost"``, ``"lightgbm"`` or ``"catboost"`` from the model's class, else None."""
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("xgboost", "lightgbm", "catboost"):
            return root
    return None


def _import(library):
    try:
        return __import__(library)
    except ImportError:
        raise ImportError(f"model: reading a {library} model needs {library}: {EXTRA}") from None


def _feature_names(names, n_features):
    if names is None or list(names) == [f"Column_{j}" for j in range(n_features)]:
        return None
    return [str(name) for name in names]


def read_tree_model(model):
    """``TreeModel`` of a fitted scikit-learn, XGBoost, LightGBM or CatBoost tree model."""
    if is_sklearn_tree_model(model):
        check_fitted(model)
        names = fitted_columns(model)
        encoding = category_encoding(model)
        categories = None
        if encoding is not None and names is not None:
            categories = {names[column]: list(known) for column, known in zip(*encoding)}
        return TreeModel(read_sklearn(model), model.n_features_in_, names,
                         model.__sklearn_tags__().input_tags.allow_nan, categories, encoder_of(model))
    library = _library(model)
    if library == "xgboost":
        from .xgboost_trees import read_xgboost

        xgboost = _import(library)
        booster = _fitted(model, xgboost.XGBModel, lambda: model.get_booster(), library)
        paths, n_features, names = read_xgboost(booster)
        return TreeModel(paths, n_features, _feature_names(names, n_features), True, None)
    if library == "lightgbm":
        from .lightgbm_trees import read_lightgbm

        lightgbm = _import(library)
        booster = _fitted(model, lightgbm.LGBMModel, lambda: model.booster_, library)
        paths, n_features, names, categorical = read_lightgbm(booster)
        return TreeModel(paths, n_features, _feature_names(names, n_features), True, categorical)
    if library == "catboost":
        from .catboost_trees import read_catboost

        catboost = _import(library)
        _fitted(model, catboost.CatBoost, lambda: model.tree_count_, library)
        paths, n_features, names = read_catboost(model)
        return TreeModel(paths, n_features, _feature_names(names, n_features), True, None)
    raise TypeError(f"model: expected a fitted tree model: scikit-learn ({', '.join(SUPPORTED)}), XGBoost, LightGBM or "
                    f"CatBoost ({EXTRA}), got {describe(model)}")


def _fitted(model, wrapper, get, library):
    """``get()`` (the fitted booster) for a scikit-learn style wrapper, else the model itself."""
    if not isinstance(model, wrapper):
        return model
    try:
        fitted = get()
    except Exception:
        fitted = None
    if fitted is None:
        raise ValueError(f"model: expected a fitted {library} model, got an unfitted {type(model).__name__}")
    return fitted
