"""LIME for tabular data (Ribeiro et al., KDD 2016), sampled as lime's LimeTabularExplainer.

With ``discretize_continuous`` (the default) every continuous feature is cut at its training
quartiles (or deciles); a sample draws, for every feature, a bin (a category for categorical
features) from its training frequencies, and a value inside a drawn bin from the normal of that
bin's training mean and std truncated to the bin. The interpretable representation is binary
(1 where the sample falls in the instance's bin or category); distances are Euclidean on it.
Without discretisation, continuous features are drawn from N(mean, std) of the training data
(around the instance with ``sample_around_instance``) and are represented standardised.
All samples go through the model in one streamed evaluation.
"""
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import ndtr, ndtri

from ..validation import as_float_array, describe, positive_float
from .lime_surrogate import (check_class_names, check_feature_selection, check_sampling, explained_label,
                             exponential_kernel, fit_surrogate, label_name, plot_weights)
from .prediction import Predictor
from .tabular_input import as_rows

DISCRETIZERS = {"quartile": (25, 50, 75), "decile": (10, 20, 30, 40, 50, 60, 70, 80, 90)}


class _ColumnDraws:
    """The drawn columns (categorical ones, and discretised continuous ones) in padded tables, so
    that ONE uniform number u per entry draws both the category or bin k (inverse CDF of the
    training frequencies: cum[k−1] <= u < cum[k]) and, for a bin, the value inside it: with
    v = (u − cum[k−1]) / p[k] uniform on [0, 1), the inverse CDF of the bin's normal truncated
    to [low, high], mean + std·Φ⁻¹(Φ(a) + v·(Φ(b) − Φ(a))), a and b the standardised bounds
    (mirrored when a > 0, where Φ loses precision). A category is a bin of zero spread."""

    def __init__(self, columns):
        """``columns``: per drawn column, ``(keys, counts, bins)`` with ``bins`` None for a
        categorical column, else ``(means, stds, lows, highs)`` indexed by the keys (bin codes)."""
        width = max(len(keys) for keys, _, _ in columns)
        shape = (len(columns), width)
        self.thresholds = np.full((len(columns), max(width - 1, 1)), 2.0)
        self.alpha, self.beta = np.full(shape, 0.5), np.zeros(shape)
        self.mean, self.signed_std = np.zeros(shape), np.zeros(shape)
        self.keys = []
        for c, (keys, counts, bins) in enumerate(columns):
            size = len(keys)
            probability = counts / counts.sum()
            cumulative = np.cumsum(probability)
            self.thresholds[c, :size - 1] = cumulative[:-1]
            self.keys.append(keys)
            if bins is None:
                self.mean[c, :size] = keys
                continue
            means, stds, lows, highs = (stat[keys.astype(np.intp)] for stat in bins)
            a, b = (lows - means) / stds, (highs - means) / stds
            flip = a > 0
            a, b = np.where(flip, -b, a), np.where(flip, -a, b)
            span = (ndtr(b) - ndtr(a)) / probability
            self.alpha[c, :size] = ndtr(a) - (cumulative - probability) * span
            self.beta[c, :size] = span
            self.mean[c, :size] = means
            self.signed_std[c, :size] = np.where(flip, -stds, stds)
        self.offsets = np.arange(len(columns)) * width
        self.alpha, self.beta, self.mean, self.signed_std = (
            table.ravel() for table in (self.alpha, self.beta, self.mean, self.signed_std))

    def draw(self, uniform):
        """``(codes, values)`` of ``uniform`` (samples × drawn columns): positions in ``keys``
        and the sampled values (a category, or a value inside the drawn bin)."""
        codes = np.zeros(uniform.shape, dtype=np.intp)
        for threshold in self.thresholds.T:
            codes += uniform >= threshold
        flat = codes + self.offsets
        quantile = np.clip(self.alpha[flat] + self.beta[flat] * uniform, 1e-300, 1 - 1e-16)
        return codes, self.mean[flat] + self.signed_std[flat] * ndtri(quantile)

    def code_of(self, c, key):
        """The position of ``key`` in column ``c``'s keys, −1 when training never had it."""
        found = np.flatnonzero(self.keys[c] == key)
        return int(found[0]) if found.size else -1


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
        data: training data; same as calling ``fit(data)``.
        discretize_continuous, discretizer: cut continuous features at "quartile" or "decile"
            training percentiles (lime's defaults: True, "quartile").
        sample_around_instance: without discretisation, centre the normal draws on the instance.
        feature_selection: "auto" (lime: forward selection for ≤ 6 features, else highest
            weights), "forward_selection", "highest_weights" or "none".
        batch_size: most rows per model call; progress: show a progress bar.

    ``explain`` returns a dict: ``prediction`` (model output for the sample), ``label`` and
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
                 feature_selection="auto", batch_size=None, progress=True):
        self.predictor = Predictor(model, batch_size)
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
        if data is not None:
            self.fit(data)

    def fit(self, X_train):
        """Learn the training statistics: means, stds, bins with their per-bin statistics and
        the frequencies of bins and categories. Returns self."""
        X = as_rows("X_train", X_train, min_rows=2)
        n_features = X.shape[1]
        if self.feature_names is None:
            self.feature_names = [f"x{i}" for i in range(n_features)]
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
        self.cuts_, columns = {}, {}
        for j in self.categorical_features:
            keys, counts = np.unique(X[:, j], return_counts=True)
            columns[j] = (keys, counts, None)
        if self.discretize_continuous:
            for j in self.continuous_:
                cuts = np.unique(np.percentile(X[:, j], DISCRETIZERS[self.discretizer]))
                codes = np.searchsorted(cuts, X[:, j])
                keys, counts = np.unique(codes, return_counts=True)
                means = np.array([X[codes == b, j].mean() if np.any(codes == b) else 0.0 for b in range(len(cuts) + 1)])
                stds = np.array([X[codes == b, j].std() if np.any(codes == b) else 0.0 for b in range(len(cuts) + 1)])
                lows = np.concatenate([[X[:, j].min()], cuts])
                highs = np.concatenate([cuts, [X[:, j].max()]])
                self.cuts_[j] = cuts
                columns[j] = (keys.astype(np.float64), counts, (means, stds + 1e-11, lows, highs))
        self.drawn_ = sorted(columns)
        self.draws_ = _ColumnDraws([columns[j] for j in self.drawn_]) if columns else None
        self.fitted_ = True
        return self

    def _instance_codes(self, x):
        """The position of the instance's bin or category in each drawn column (−1 if unseen)."""
        keys = [np.searchsorted(self.cuts_[j], x[j]) if j in self.cuts_ else x[j] for j in self.drawn_]
        return np.array([self.draws_.code_of(c, key) for c, key in enumerate(keys)])

    def sample(self, x, num_samples, rng):
        """``(interpretable, rows)``: the binary/standardised representation and the model-space
        rows of ``num_samples`` perturbations of ``x`` (row 0 is ``x`` itself)."""
        if self.draws_ is not None and len(self.drawn_) == self.n_features_:  # every column drawn: no scatter
            codes, rows = self.draws_.draw(rng.random((num_samples, self.n_features_)))
            interpretable = (codes == self._instance_codes(x)).astype(np.float64)
            rows[0] = x
            interpretable[0] = 1.0
            return interpretable, rows
        rows = np.empty((num_samples, self.n_features_))
        interpretable = np.empty_like(rows)
        if not self.discretize_continuous:
            continuous = self.continuous_
            centre = x if self.sample_around_instance else self.mean_
            noise = rng.standard_normal((num_samples, len(continuous)))
            rows[:, continuous] = noise * self.std_[continuous] + centre[continuous]
            interpretable[:, continuous] = (rows[:, continuous] - self.mean_[continuous]) / self.std_[continuous]
        if self.draws_ is not None:
            codes, values = self.draws_.draw(rng.random((num_samples, len(self.drawn_))))
            interpretable[:, self.drawn_] = codes == self._instance_codes(x)
            rows[:, self.drawn_] = values
        rows[0] = x
        interpretable[0] = 1.0
        if not self.discretize_continuous:
            interpretable[0, self.continuous_] = (x[self.continuous_] - self.mean_[self.continuous_]) \
                / self.std_[self.continuous_]
        return interpretable, rows

    def _rule(self, j, value):
        name = self.feature_names[j]
        if j in self.cuts_:
            cuts = self.cuts_[j]
            b = int(np.searchsorted(cuts, value))
            if b == 0:
                return f"{name} <= {cuts[0]:.2f}"
            if b == len(cuts):
                return f"{name} > {cuts[-1]:.2f}"
            return f"{cuts[b - 1]:.2f} < {name} <= {cuts[b]:.2f}"
        return f"{name} = {value:g}"

    def explain(self, sample, num_features=10, num_samples=5000, label=None, random_state=None):
        """Explain the model's output ``label`` (default: the largest output) at ``sample``."""
        if not self.fitted_:
            raise ValueError("LimeTabular: call fit(X_train) or pass data=X_train before explain()")
        as_float_array("sample", sample)
        x = np.asarray(sample, dtype=np.float64).reshape(-1)
        if x.shape[0] != self.n_features_:
            raise ValueError(f"sample: expected {self.n_features_} features (as X_train), got shape "
                             f"{np.shape(sample)}")
        num_features, num_samples, rng = check_sampling(num_features, num_samples, random_state, "the sample")
        interpretable, rows = self.sample(x, num_samples, rng)
        outputs = self.predictor(rows, progress=self.progress, desc="LimeTabular")
        label = explained_label(label, outputs[0])
        width = self.kernel_width * np.sqrt(self.n_features_)
        distances = np.linalg.norm(interpretable - interpretable[0], axis=1)
        surrogate = fit_surrogate(interpretable, outputs[:, label], exponential_kernel(distances, width),
                                  num_features, self.feature_selection)
        features = surrogate["features"]
        return {
            "prediction": outputs[0],
            "label": label,
            "class_name": label_name(self.class_names, label),
            "feature_names": [self.feature_names[j] for j in features],
            "feature_indices": features,
            "feature_rules": [self._rule(j, x[j]) for j in features],
            "feature_weights": surrogate["weights"],
            "feature_values": x[features],
            "intercept": surrogate["intercept"],
            "score": surrogate["score"],
            "local_prediction": surrogate["local_prediction"],
        }

    def plot_explanation(self, explanation, figsize=None):
        """Bars of the surrogate weights, labelled with the features' rules. Returns the figure."""
        names = explanation["feature_rules"]
        figure, ax = plt.subplots(figsize=figsize or (7, 0.35 * len(names) + 1.5))
        plot_weights(ax, names, explanation["feature_weights"],
                     f"LIME for {explanation['class_name']} (surrogate R² = {explanation['score']:.2f})")
        figure.tight_layout()
        return figure
