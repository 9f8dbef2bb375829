"""LIME for tabular data (Ribeiro et al., KDD 2016), sampled as lime's LimeTabularExplainer.

With ``discretize_continuous`` (the default) every continuous feature is cut at its training
quartiles (or deciles); a sample draws, for every feature, a bin (a category for categorical
features) from its training frequencies, and a value inside a drawn bin from the normal of that
bin's training mean and std truncated to the bin. Both draws take one uniform number u through
the feature's inverse CDF, tabulated at fit time on 1,024 intervals of u and interpolated
linearly. The interpretable representation is binary (1 where the sample falls in the
instance's bin or category); distances are Euclidean on it.
Without discretisation, continuous features are drawn from N(mean, std) of the training data
(around the instance with ``sample_around_instance``) and are represented standardised.
All samples go through the model in one streamed evaluation.
"""
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import ndtr, ndtri

from ...batching import check_memory
from ...explanation import Explanation
from ...models import Predictor
from ...validation import describe, positive_float, random_generator
from ..tabular_input import as_rows, column_names, row_dtype
from .lime_surrogate import (
    check_class_names,
    check_feature_selection,
    check_sampling,
    explained_label,
    exponential_kernel,
    fit_surrogate,
    label_name,
    plot_weights,
)

DISCRETIZERS = {"quartile": (25, 50, 75), "decile": (10, 20, 30, 40, 50, 60, 70, 80, 90)}


QUANTILE_INTERVALS = 1024


def binned_quantiles(column, cuts, intervals=QUANTILE_INTERVALS):
    """The inverse CDF, at u = 0, 1/intervals, ..., 1, of lime's draw of a discretised feature:
    bin k with its training frequency p_k (u in [c_{k−1}, c_k), c the cumulative frequencies),
    then the value v = (u − c_{k−1}) / p_k of the way through the bin's normal (training mean
    and std of the bin) truncated to the bin [low_k, high_k]:
    mean + std·Φ⁻¹(Φ(a) + v·(Φ(b) − Φ(a))), a, b the standardised bounds (mirrored when a > 0,
    where Φ loses precision). Continuous and increasing, from the column's min to its max."""
    codes = np.searchsorted(cuts, column)
    probability = np.bincount(codes, minlength=len(cuts) + 1) / len(column)
    cumulative = np.cumsum(probability)
    u = np.linspace(0.0, 1.0, intervals + 1)
    occupied = np.flatnonzero(probability)
    code = occupied[np.minimum(np.searchsorted(cumulative[occupied], u, side="right"), len(occupied) - 1)]
    within = np.clip((u - (cumulative - probability)[code]) / probability[code], 0.0, 1.0)
    bins = range(len(cuts) + 1)
    means = np.array([column[codes == b].mean() if probability[b] else 0.0 for b in bins])[code]
    stds = np.array([column[codes == b].std() if probability[b] else 0.0 for b in bins])[code] + 1e-11
    lows = np.concatenate([[column.min()], cuts])[code]
    highs = np.concatenate([cuts, [column.max()]])[code]
    a, b = (lows - means) / stds, (highs - means) / stds
    flip = a > 0
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    z = ndtri(np.clip(ndtr(a) + within * (ndtr(b) - ndtr(a)), 1e-300, 1 - 1e-16))
    return np.clip(means + np.where(flip, -stds, stds) * z, lows, highs)


def interpolate(starts, slopes, uniform):
    """Row-wise linear interpolation of tables given as their ``starts`` and ``slopes`` per
    interval (columns × intervals) at ``uniform`` (samples × columns, overwritten: few
    temporaries, as these arrays are the bulk of the work)."""
    intervals = starts.shape[1]
    position = np.multiply(uniform, intervals, out=uniform)
    index = np.minimum(position.astype(np.intp), intervals - 1)
    fraction = np.subtract(position, index, out=position)
    index += np.arange(starts.shape[0]) * intervals
    fraction *= np.take(slopes, index)
    return np.add(fraction, np.take(starts, index), out=fraction)


class _Categories:
    """A categorical column's values and cumulative training frequencies (inverse CDF draws)."""

    def __init__(self, column):
        self.values, counts = np.unique(column, return_counts=True)
        self.thresholds = np.cumsum(counts)[:-1] / counts.sum()

    def draw(self, uniform):
        return self.values[np.searchsorted(self.thresholds, uniform, side="right")]


class LimeTabular:
    """Local surrogate explanations of one row of tabular data.

    Args:
        model: Keras 3 / tf_keras model, ``tf.Module``, scikit-learn estimator or callable on
            ``(n, features)`` arrays (see ``Predictor``).
        feature_names: one name per feature (default ``x0, x1, ...``).
        class_names: one name per model output (optional).
        categorical_features: indices of categorical columns (sampled from their training
            frequencies, never discretised).
        kernel_width: width of the proximity kernel RELATIVE to sqrt(n_features): the kernel
            width is ``kernel_width · sqrt(n_features)``, so the default 0.75 is lime's default.
        data: training data; same as calling ``fit(data)``. Without it, ``explain`` draws its
            perturbations around the sample (``sample_around``) and warns once.
        discretize_continuous, discretizer: cut continuous features at "quartile" or "decile"
            training percentiles (lime's defaults: True, "quartile").
        sample_around_instance: without discretisation, centre the normal draws on the instance.
        feature_selection: "auto" (lime: forward selection for ≤ 6 features, else highest
            weights), "forward_selection", "highest_weights" or "none".
        batch_size: most rows per model call; progress: show a progress bar.
        random_state: the explainer's default for ``explain``'s ``random_state`` (used when the
            call gives None): None (fresh draws), an int (the same draws on every call) or a
            ``numpy.random.Generator``.
        session: for a tf_keras model in TF1 session-style code, its ``tf.compat.v1.Session``
            (default: the default session when eager execution is disabled).

    ``explain`` returns an ``Explanation`` (a dict with attribute access and ``meta``):
    ``prediction`` (model output for the sample), ``label`` and
    ``class_name`` (the explained output), ``feature_names``, ``feature_indices``,
    ``feature_rules`` (e.g. ``"mean radius <= 13.37"``), ``feature_weights`` and
    ``feature_values`` (the sample's values) of the selected features by decreasing |weight|,
    the surrogate's ``intercept``, ``score`` (weighted R²) and ``local_prediction``.

    Example::

        explainer = LimeTabular(model, feature_names, ["malignant", "benign"], data=X_train)
        explanation = explainer.explain(X_test[0], num_features=5, random_state=0)
        figure = explainer.plot_explanation(explanation)
    """

    def __init__(self, model, feature_names=None, class_names=None, categorical_features=None, kernel_width=0.75,
                 data=None, discretize_continuous=True, discretizer="quartile", sample_around_instance=False,
                 feature_selection="auto", batch_size=None, progress=True, session=None, random_state=None):
        self.predictor = Predictor(model, batch_size, session)
        random_generator("random_state", random_state)
        self.random_state = random_state
        self.row_dtype = row_dtype(model)
        self.feature_names = None if feature_names is None else [str(name) for name in feature_names]
        self.class_names = check_class_names(class_names)
        if categorical_features is None:
            categorical_features = []
        try:
            self.categorical_features = sorted({int(i) for i in categorical_features})
        except (TypeError, ValueError):
            raise TypeError(f"categorical_features: expected a list of column indices, "
                            f"got {describe(categorical_features)}") from None
        self.kernel_width = positive_float("kernel_width", kernel_width)
        if discretizer not in DISCRETIZERS:
            raise ValueError(f"discretizer: expected one of {tuple(DISCRETIZERS)}, got {describe(discretizer)}")
        self.discretize_continuous = bool(discretize_continuous)
        self.discretizer = discretizer
        self.sample_around_instance = bool(sample_around_instance)
        self.feature_selection = check_feature_selection(feature_selection)
        self.progress = progress
        self.fitted_ = False
        self.columns_ = None
        if data is not None:
            self._fit(data, "data")

    def fit(self, X_train):
        """Learn the training statistics: means, stds, bins with their per-bin statistics and
        the frequencies of bins and categories. Returns self."""
        return self._fit(X_train, "X_train")

    def _fit(self, X_train, name):
        self.columns_ = column_names(X_train)
        X = as_rows(name, X_train, min_rows=2)
        n_features = X.shape[1]
        self.predictor.check_row_shape(name, (n_features,))
        if self.feature_names is None:
            self.feature_names = self.columns_ or [f"x{i}" for i in range(n_features)]
        if len(self.feature_names) != n_features:
            raise ValueError(f"feature_names: expected {n_features} names (one per column of X_train), "
                             f"got {len(self.feature_names)}")
        bad = [i for i in self.categorical_features if not 0 <= i < n_features]
        if bad:
            raise ValueError(f"categorical_features: expected indices in [0, {n_features}), got {bad}")
        self.n_features_ = n_features
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.std_ = np.where(std > 0, std, 1.0)
        self.continuous_ = [i for i in range(n_features) if i not in self.categorical_features]
        self.categories_ = {j: _Categories(X[:, j]) for j in self.categorical_features}
        self.cuts_ = {}
        if self.discretize_continuous:
            percentiles = DISCRETIZERS[self.discretizer]
            self.cuts_ = {j: np.unique(np.percentile(X[:, j], percentiles)) for j in self.continuous_}
            quantiles = np.array([binned_quantiles(X[:, j], self.cuts_[j]) for j in self.continuous_])
            self.quantiles_ = quantiles.reshape(len(self.continuous_), QUANTILE_INTERVALS + 1)
            self._starts = self.quantiles_[:, :-1].astype(self.row_dtype)
            self._slopes = np.diff(self.quantiles_, axis=1).astype(self.row_dtype)
        self.fitted_ = True
        return self

    def _in_instance_bins(self, values, x):
        """Whether each continuous value falls in the instance's bin (lime's bins: (c_{k−1}, c_k])."""
        edges = [np.concatenate([[-np.inf], self.cuts_[j], [np.inf]]) for j in self.continuous_]
        bins = [np.searchsorted(self.cuts_[j], x[j]) for j in self.continuous_]
        lower = np.array([edge[b] for edge, b in zip(edges, bins)])
        upper = np.array([edge[b + 1] for edge, b in zip(edges, bins)])
        return (values > lower) & (values <= upper)

    def sample(self, x, num_samples, rng):
        """``(interpretable, rows)``: the binary/standardised representation and the model-space
        rows of ``num_samples`` perturbations of ``x`` (row 0 is ``x`` itself)."""
        continuous = self.continuous_
        if self.discretize_continuous and not self.categories_:  # every column binned: no scatter
            uniform = rng.random((num_samples, self.n_features_), dtype=self.row_dtype)
            rows = interpolate(self._starts, self._slopes, uniform)
            interpretable = self._in_instance_bins(rows, x).astype(np.float64)
        else:
            rows = np.empty((num_samples, self.n_features_), dtype=self.row_dtype)
            interpretable = np.empty((num_samples, self.n_features_))
            if self.discretize_continuous and continuous:
                uniform = rng.random((num_samples, len(continuous)), dtype=self.row_dtype)
                rows[:, continuous] = interpolate(self._starts, self._slopes, uniform)
                interpretable[:, continuous] = self._in_instance_bins(rows[:, continuous], x)
            elif not self.discretize_continuous:
                centre = x if self.sample_around_instance else self.mean_
                noise = rng.standard_normal((num_samples, len(continuous)))
                rows[:, continuous] = noise * self.std_[continuous] + centre[continuous]
                interpretable[:, continuous] = (rows[:, continuous] - self.mean_[continuous]) / self.std_[continuous]
                interpretable[0, continuous] = (x[continuous] - self.mean_[continuous]) / self.std_[continuous]
            for j, categories in self.categories_.items():
                rows[:, j] = categories.draw(rng.random(num_samples))
                interpretable[:, j] = rows[:, j] == x[j]
        rows[0] = x
        if self.discretize_continuous:
            interpretable[0] = 1.0
        else:
            interpretable[0, self.categorical_features] = 1.0
        return interpretable, rows

    def _rule(self, name, j, value):
        if j in getattr(self, "cuts_", {}):
            cuts = self.cuts_[j]
            b = int(np.searchsorted(cuts, value))
            if b == 0:
                return f"{name} <= {cuts[0]:.2f}"
            if b == len(cuts):
                return f"{name} > {cuts[-1]:.2f}"
            return f"{cuts[b - 1]:.2f} < {name} <= {cuts[b]:.2f}"
        return f"{name} = {value:g}"

    def _check_without_data(self, x):
        """The feature names for a sample ``x`` explained without training data (checked), and
        the warning, once per explainer, that says how to get lime's discretised sampling."""
        n_features = x.shape[0]
        names = self.feature_names or [f"x{i}" for i in range(n_features)]
        if len(names) != n_features:
            raise ValueError(f"sample: expected {len(names)} features (one per feature name), got shape {x.shape}")
        bad = [i for i in self.categorical_features if not 0 <= i < n_features]
        if bad:
            raise ValueError(f"categorical_features: expected indices in [0, {n_features}), got {bad}")
        if not getattr(self, "_warned_without_data", False):
            warnings.warn("LimeTabular: no training data, so each continuous feature is drawn from N(x_j, x_j²) "
                          "around the sample and each categorical one kept or set to 0; pass data=X_train (or call "
                          "fit(X_train)) for lime's discretised sampling from the training distribution", UserWarning,
                          stacklevel=3)
            self._warned_without_data = True
        return names

    def sample_around(self, x, num_samples, rng):
        """``(interpretable, rows)`` without training data: continuous feature ``j`` drawn from
        ``N(x_j, s_j²)`` with ``s_j = |x_j|`` (1 where ``x_j = 0``), represented as ``(z_j − x_j) / s_j``;
        a categorical feature keeps ``x_j`` or, with probability ½, takes the code 0 (1 where
        ``x_j = 0``), represented by 1 where kept. Row 0 is ``x`` itself."""
        categorical = self.categorical_features
        continuous = [j for j in range(x.shape[0]) if j not in categorical]
        scale = np.where(x != 0, np.abs(x), 1.0)
        rows = np.repeat(x[None], num_samples, axis=0).astype(self.row_dtype)
        interpretable = np.ones((num_samples, x.shape[0]))
        noise = rng.standard_normal((num_samples, len(continuous)))
        noise[0] = 0.0
        rows[:, continuous] = x[continuous] + noise * scale[continuous]
        interpretable[:, continuous] = noise
        kept = rng.random((num_samples, len(categorical))) < 0.5
        kept[0] = True
        rows[:, categorical] = np.where(kept, x[categorical], np.where(x[categorical] != 0, 0.0, 1.0))
        interpretable[:, categorical] = kept
        return interpretable, rows

    def explain(self, sample, num_features=10, num_samples=5000, label=None, random_state=None):
        """Explain the model's output ``label`` (default: the largest output) at ``sample``.

        Without training data (no ``data=``, no ``fit``) the perturbations are those of
        :meth:`sample_around` (a warning says so once). Returns an ``Explanation`` with the
        entries listed in the class docstring."""
        x = as_rows("sample", sample, columns=self.columns_, reference="X_train", single_row=True)
        if len(x) != 1:
            raise ValueError(f"sample: expected one sample, got {len(x)} rows")
        x = x[0]
        if self.fitted_ and x.shape[0] != self.n_features_:
            raise ValueError(f"sample: expected {self.n_features_} features (as X_train), got shape "
                             f"{np.shape(sample)}")
        names = self.feature_names if self.fitted_ else self._check_without_data(x)
        random_state = self.random_state if random_state is None else random_state
        num_features, num_samples, rng = check_sampling(num_features, num_samples, random_state, "the sample")
        check_memory("num_samples", num_samples, num_samples * (32 * len(x) + 64), "perturbed samples")
        sample_rows = self.sample if self.fitted_ else self.sample_around
        interpretable, rows = sample_rows(x, num_samples, rng)
        outputs = self.predictor(rows, progress=self.progress, desc="LimeTabular", name="sample")
        label = explained_label(label, outputs[0])
        width = self.kernel_width * np.sqrt(x.shape[0])
        if self.fitted_ and self.discretize_continuous:  # binary rows, row 0 all ones: |z − z₀|² counts the zeros
            distances = np.sqrt(np.maximum(x.shape[0] - interpretable.sum(axis=1), 0.0))
        else:
            distances = np.linalg.norm(interpretable - interpretable[0], axis=1)
        surrogate = fit_surrogate(interpretable, outputs[:, label], exponential_kernel(distances, width),
                                  num_features, self.feature_selection)
        features = surrogate["features"]
        params = {"num_features": num_features, "num_samples": num_samples, "label": label,
                  "random_state": random_state, "kernel_width": self.kernel_width,
                  "sampling": ("discretised" if self.discretize_continuous else "training normal") if self.fitted_
                  else "around the sample"}
        return Explanation({
            "prediction": outputs[0],
            "label": label,
            "class_name": label_name(self.class_names, label),
            "feature_names": [names[j] for j in features],
            "feature_indices": features,
            "feature_rules": [self._rule(names[j], j, x[j]) for j in features],
            "feature_weights": surrogate["weights"],
            "feature_values": x[features],
            "intercept": surrogate["intercept"],
            "score": surrogate["score"],
            "local_prediction": surrogate["local_prediction"],
        }, "LimeTabular", params=params, model=self.predictor.model, feature_names=names, output_names=self.class_names)

    def plot_explanation(self, explanation, figsize=None):
        """Bars of the surrogate weights, labelled with the features' rules. Returns the figure."""
        names = explanation["feature_rules"]
        figure, ax = plt.subplots(figsize=figsize or (7, 0.35 * len(names) + 1.5))
        plot_weights(ax, names, explanation["feature_weights"],
                     f"LIME for {explanation['class_name']} (surrogate R² = {explanation['score']:.2f})")
        figure.tight_layout()
        return figure
