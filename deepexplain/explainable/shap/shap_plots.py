"""Plots of SHAP values (any explainer's ``values`` and the ``data`` they explain)."""
import matplotlib.pyplot as plt
import numpy as np

from ...validation import describe


def _one_output(values, output):
    """``values (n, M)`` for one output of ``(n, M, outputs)`` values (default: the last output)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 3:
        index = values.shape[2] - 1 if output is None else output
        if not isinstance(index, (int, np.integer)) or not -values.shape[2] <= index < values.shape[2]:
            raise ValueError(f"output: expected an output index below {values.shape[2]}, got {describe(output)}")
        return values[:, :, index]
    if values.ndim != 2:
        raise ValueError(f"values: expected SHAP values of shape (n, features[, outputs]), got shape {values.shape}")
    return values


def _names(feature_names, n_features):
    if feature_names is None:
        return [f"feature {j}" for j in range(n_features)]
    if len(feature_names) != n_features:
        raise ValueError(f"feature_names: expected {n_features} names, got {len(feature_names)}")
    return [str(name) for name in feature_names]


def _swarm_offsets(x, width=0.4, bins=60):
    """Vertical offsets that spread points of similar ``x`` apart (a beeswarm row)."""
    if len(x) < 2 or np.ptp(x) == 0:
        return np.zeros(len(x))
    bin_of = np.minimum(((x - x.min()) / np.ptp(x) * bins).astype(int), bins - 1)
    order = np.lexsort((np.arange(len(x)), bin_of))
    rank = np.empty(len(x), dtype=int)
    starts = np.searchsorted(bin_of[order], bin_of[order])
    rank[order] = np.arange(len(x)) - starts
    counts = np.bincount(bin_of, minlength=bins)
    step = width / max(counts.max(), 1)
    return np.where(rank % 2 == 0, 1, -1) * ((rank + 1) // 2) * step


def _scaled_colours(column):
    """A feature's values scaled to [0, 1] between its 5th and 95th percentiles."""
    low, high = np.percentile(column, [5, 95])
    return np.clip((column - low) / (high - low), 0, 1) if high > low else np.full(len(column), 0.5)


def summary_plot(values, data=None, feature_names=None, output=None, max_display=20):
    """Mean |SHAP value| per feature (bars) next to a beeswarm of every value, coloured by the
    feature's value (blue low, red high). Features sorted by importance. Returns the figure."""
    values = _one_output(values, output)
    names = _names(feature_names, values.shape[1])
    importance = np.abs(values).mean(axis=0)
    order = np.argsort(-importance, kind="stable")[:max_display]
    positions = np.arange(len(order))[::-1]
    figure, (bars, swarm) = plt.subplots(1, 2, figsize=(11, 1.5 + 0.35 * len(order)), sharey=True)
    bars.barh(positions, importance[order], color="#1f77b4")
    bars.set_yticks(positions, [names[j] for j in order])
    bars.set_xlabel("mean |SHAP value|")
    cmap = plt.get_cmap("coolwarm")
    for position, j in zip(positions, order):
        colours = cmap(_scaled_colours(np.asarray(data)[:, j])) if data is not None else "#1f77b4"
        swarm.scatter(values[:, j], position + _swarm_offsets(values[:, j]), c=colours, s=10, linewidths=0)
    swarm.axvline(0, color="grey", linewidth=0.8)
    swarm.set_xlabel("SHAP value (impact on the output)")
    if data is not None:
        colourbar = figure.colorbar(plt.cm.ScalarMappable(cmap=cmap), ax=swarm, ticks=[0, 1])
        colourbar.ax.set_yticklabels(["low", "high"])
        colourbar.set_label("feature value")
    figure.tight_layout()
    return figure


def dependence_plot(values, data, feature, feature_names=None, interaction=None, output=None):
    """SHAP value of ``feature`` against the feature's value, coloured by the value of the
    ``interaction`` feature when one is given. Returns the figure."""
    values = _one_output(values, output)
    data = np.asarray(data)
    names = _names(feature_names, values.shape[1])
    for label, index in (("feature", feature), ("interaction", interaction)):
        if index is not None and (not isinstance(index, (int, np.integer)) or not 0 <= index < values.shape[1]):
            raise ValueError(f"{label}: expected a feature index in [0, {values.shape[1]}), got {describe(index)}")
    figure, axes = plt.subplots(figsize=(6, 4.5))
    colours = None if interaction is None else data[:, interaction]
    points = axes.scatter(data[:, feature], values[:, feature], c=colours, cmap="coolwarm", s=12, linewidths=0)
    if interaction is not None:
        figure.colorbar(points, ax=axes).set_label(names[interaction])
    axes.axhline(0, color="grey", linewidth=0.8)
    axes.set_xlabel(names[feature])
    axes.set_ylabel(f"SHAP value of {names[feature]}")
    figure.tight_layout()
    return figure


class ShapPlots:
    """The plots of an explainer whose ``explain`` returns ``{"values", "expected_value", "data"}``."""

    @staticmethod
    def plot(shap_values, feature_names=None, output=None, max_display=20):
        """Summary figure of ``explain``'s result: mean |SHAP value| bars and a beeswarm
        (``output``: which output of multi-output values, default the last)."""
        return summary_plot(shap_values["values"], shap_values.get("data"), feature_names, output, max_display)

    @staticmethod
    def dependence_plot(shap_values, feature, feature_names=None, interaction=None, output=None):
        """SHAP value of ``feature`` against its value, coloured by ``interaction`` (a feature index)."""
        return dependence_plot(shap_values["values"], shap_values["data"], feature, feature_names, interaction, output)
