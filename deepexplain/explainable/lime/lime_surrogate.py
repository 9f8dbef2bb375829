"""What the three LIME explainers share: the proximity kernel, the weighted linear surrogate
with its feature selection, the choice of the explained output, and the bar plot.

LIME (Ribeiro, Singh & Guestrin, "Why should I trust you?", KDD 2016) fits, around one
instance, g(z) = b + Σ_j β_j z_j to the model's output on perturbed samples z, weighting each
sample by π(z) = sqrt(exp(−d(z, z₀)² / w²)). As in lime, ``feature_selection`` first keeps
``num_features`` features, then a ridge regression (α = 1, unpenalised intercept) is fitted on
them; ``score`` is its weighted R² on the samples and ``local_prediction`` its value at the
instance (row 0 of every sample matrix).
"""
import numpy as np

from ...validation import describe, is_integer, positive_int, random_generator

FEATURE_SELECTIONS = ("auto", "forward_selection", "highest_weights", "none")


def exponential_kernel(distances, width):
    """lime's proximity weights ``sqrt(exp(−d² / width²))``."""
    return np.sqrt(np.exp(-(distances ** 2) / width ** 2))


def cosine_distances_to_all_on(binary):
    """Cosine distance of each binary row to the all-ones row (the unperturbed instance)."""
    on = binary.sum(axis=1)
    return 1.0 - np.sqrt(on / binary.shape[1])


def check_feature_selection(value):
    if value not in FEATURE_SELECTIONS:
        raise ValueError(f"feature_selection: expected one of {FEATURE_SELECTIONS}, got {describe(value)}")
    return value


def check_class_names(class_names):
    if class_names is None:
        return None
    if isinstance(class_names, str) or not hasattr(class_names, "__len__"):
        raise TypeError(f"class_names: expected a list of names or None, got {describe(class_names)}")
    return [str(name) for name in class_names]


def check_sampling(num_features, num_samples, random_state, what):
    """``(num_features, num_samples, rng)`` checked; ``what`` names the unperturbed row."""
    num_features = positive_int("num_features", num_features)
    num_samples = positive_int("num_samples", num_samples)
    if num_samples < 2:
        raise ValueError(f"num_samples: expected at least 2 ({what} and one perturbation), got {num_samples}")
    return num_features, num_samples, random_generator("random_state", random_state)


def explained_label(label, prediction):
    """The output column to explain: ``label``, or the largest output (the only one for a regressor)."""
    n_outputs = prediction.shape[0]
    if label is None:
        return int(np.argmax(prediction))
    if not is_integer(label) or not 0 <= label < n_outputs:
        raise ValueError(f"label: expected None or an output index in [0, {n_outputs}), got {describe(label)}")
    return int(label)


def label_name(class_names, label):
    if class_names is None:
        return str(label)
    if label >= len(class_names):
        raise ValueError(f"class_names: {len(class_names)} names given, but the model has output {label}")
    return class_names[label]


class _WeightedMoments:
    """Weighted, centred second moments of (X, y): every ridge fit on a subset of columns is then
    a small solve (Gram-matrix form of ``sklearn.linear_model.Ridge`` with ``sample_weight``)."""

    def __init__(self, X, y, weights):
        total = weights.sum()
        self.x_mean = weights @ X / total
        self.y_mean = weights @ y / total
        root = np.sqrt(weights)
        scaled_x = X - self.x_mean
        scaled_x *= root[:, None]
        scaled_y = (y - self.y_mean) * root
        self.gram = scaled_x.T @ scaled_x
        self.cross = scaled_x.T @ scaled_y
        self.total_ss = float(scaled_y @ scaled_y)

    def fit(self, columns, alpha):
        """``(coefficients, intercept, weighted R²)`` of the ridge on ``columns``."""
        gram = self.gram[np.ix_(columns, columns)]
        cross = self.cross[columns]
        system = gram + alpha * np.eye(len(columns))
        try:
            coef = np.linalg.solve(system, cross)
        except np.linalg.LinAlgError:
            coef = np.linalg.lstsq(system, cross, rcond=None)[0]
        residual_ss = self.total_ss - 2 * coef @ cross + coef @ gram @ coef
        score = 1.0 - residual_ss / self.total_ss if self.total_ss > 0 else 1.0
        return coef, float(self.y_mean - self.x_mean[columns] @ coef), float(score)


def _forward_selection(moments, num_features):
    """Greedy: add the feature that most raises the R² of an unregularised fit (lime)."""
    chosen = []
    remaining = list(range(moments.gram.shape[0]))
    for _ in range(num_features):
        scores = [moments.fit(chosen + [j], 0.0)[2] for j in remaining]
        chosen.append(remaining.pop(int(np.argmax(scores))))
    return chosen


def _highest_weights(moments, instance, num_features):
    """The features with the largest |β_j z₀_j| in a ridge (α = 0.01) on all features (lime)."""
    coef = moments.fit(list(range(moments.gram.shape[0])), 0.01)[0]
    return list(np.argsort(-np.abs(coef * instance), kind="stable")[:num_features])


def fit_surrogate(data, targets, weights, num_features, feature_selection="auto", alpha=1.0):
    """Fit the local surrogate on ``data`` (samples × interpretable features, row 0 the instance).

    Returns a dict: ``features`` (selected columns, by decreasing |weight|), ``weights`` (their
    coefficients), ``intercept``, ``score`` (weighted R²) and ``local_prediction`` (g at row 0).
    """
    num_features = min(positive_int("num_features", num_features), data.shape[1])
    moments = _WeightedMoments(data, targets, weights)
    if feature_selection == "none" or num_features == data.shape[1]:
        chosen = list(range(data.shape[1]))
    elif feature_selection == "forward_selection" or (feature_selection == "auto" and num_features <= 6):
        chosen = _forward_selection(moments, num_features)
    else:
        chosen = _highest_weights(moments, data[0], num_features)
    coef, intercept, score = moments.fit(chosen, alpha)
    order = np.argsort(-np.abs(coef), kind="stable")
    chosen = np.asarray(chosen)[order]
    coef = coef[order]
    return {
        "features": chosen,
        "weights": coef,
        "intercept": intercept,
        "score": score,
        "local_prediction": float(intercept + data[0, chosen] @ coef),
    }


def plot_weights(ax, names, weights, title):
    """Horizontal bars of surrogate weights, largest |weight| on top, green positive, red negative."""
    weights = np.asarray(weights, dtype=float)
    positions = np.arange(len(weights))[::-1]
    ax.barh(positions, weights, color=np.where(weights > 0, "tab:green", "tab:red"))
    ax.set_yticks(positions)
    ax.set_yticklabels(names, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("weight in the local surrogate")
    ax.set_title(title, fontsize=10)
