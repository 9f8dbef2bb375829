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

from ..validation import as_float_array, describe, positive_float, positive_int, random_generator
from .lime_surrogate import (check_class_names, check_feature_selection, explained_label, exponential_kernel,
                             fit_surrogate, label_name, plot_weights)
from .prediction import Predictor
from .tabular_input import as_rows

DISCRETIZERS = {"quartile": (25, 50, 75), "decile": (10, 20, 30, 40, 50, 60, 70, 80, 90)}


def _truncated_normal(rng, mean, std, low, high):
    """Draws of N(mean, std) truncated to [low, high] (elementwise) by inverting the CDF; the
    upper tail is mirrored so that Φ stays accurate far from the mean."""
    a, b = (low - mean) / std, (high - mean) / std
    flip = a > 0
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    lower = ndtr(a)
    z = ndtri(lower + rng.random(mean.shape) * (ndtr(b) - lower))
    z = np.where(flip, -z, z)
    return np.clip(mean + std * np.nan_to_num(z), low, high)


class _Frequencies:
    """Values of one column and their training frequencies, drawn by inverse CDF."""

    def __init__(self, column):
        self.values, counts = np.unique(column, return_counts=True)
        self.cumulative = np.cumsum(counts) / counts.sum()
        self.cumulative[-1] = 1.0

    def draw_codes(self, uniform):
        return np.searchsorted(self.cumulative, uniform, side="right")


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
        self.cuts_, self.bin_stats_, sampled = {}, {}, {}
        for j in self.categorical_features:
            sampled[j] = X[:, j]
        if self.discretize_continuous:
            for j in self.continuous_:
                cuts = np.unique(np.percentile(X[:, j], DISCRETIZERS[self.discretizer]))
                codes = np.searchsorted(cuts, X[:, j])
                bins = range(len(cuts) + 1)
                means = np.array([X[codes == b, j].mean() if np.any(codes == b) else 0.0 for b in bins])
                stds = np.array([X[codes == b, j].std() if np.any(codes == b) else 0.0 for b in bins]) + 1e-11
                low = np.concatenate([[X[:, j].min()], cuts])
                high = np.concatenate([cuts, [X[:, j].max()]])
                self.cuts_[j] = cuts
                self.bin_stats_[j] = (means, stds, low, high)
                sampled[j] = codes
        self.frequencies_ = {j: _Frequencies(column) for j, column in sampled.items()}
        self.fitted_ = True
        return self

    def _instance_codes(self, x):
        """The instance's bin (continuous, discretised) or value (categorical) per drawn column."""
        return {j: (np.searchsorted(self.cuts_[j], x[j]) if j in self.cuts_ else x[j]) for j in self.frequencies_}

    def sample(self, x, num_samples, rng):
        """``(interpretable, rows)``: the binary/standardised representation and the model-space
        rows of ``num_samples`` perturbations of ``x`` (row 0 is ``x`` itself)."""
        rows = np.empty((num_samples, self.n_features_))
        interpretable = np.empty_like(rows)
        if not self.discretize_continuous:
            centre = x if self.sample_around_instance else self.mean_
            noise = rng.standard_normal((num_samples, len(self.continuous_)))
            rows[:, self.continuous_] = noise * self.std_[self.continuous_] + centre[self.continuous_]
            interpretable[:, self.continuous_] = (rows[:, self.continuous_] - self.mean_[self.continuous_]) \
                / self.std_[self.continuous_]
        uniform = rng.random((num_samples, len(self.frequencies_)))
        instance = self._instance_codes(x)
        for column, (j, frequencies) in enumerate(self.frequencies_.items()):
            drawn = frequencies.values[frequencies.draw_codes(uniform[:, column])]
            interpretable[:, j] = drawn == instance[j]
            if j in self.bin_stats_:
                codes = drawn.astype(np.intp)
                means, stds, low, high = (stat[codes] for stat in self.bin_stats_[j])
                rows[:, j] = _truncated_normal(rng, means, stds, low, high)
            else:
                rows[:, j] = drawn
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
        num_features = positive_int("num_features", num_features)
        num_samples = positive_int("num_samples", num_samples)
        if num_samples < 2:
            raise ValueError(f"num_samples: expected at least 2 (the sample and one perturbation), got {num_samples}")
        rng = random_generator("random_state", random_state)
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
