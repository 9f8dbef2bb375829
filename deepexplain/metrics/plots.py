"""Figures of the metrics: sensitivity-n curves and deletion/insertion curves, per method."""
import numpy as np

DELETION, INSERTION = "Deletion (lower is better)", "Insertion (higher is better)"


def _plot_curves(ax, title, results):
    for name, result in results.items():
        ax.plot(result["fraction"], result["curves"].mean(axis=0), label=f"{name} (AUC {np.mean(result['auc']):.3g})")
    ax.set_xlabel("fraction of features")
    ax.set_ylabel("output")
    ax.set_title(title)
    ax.legend()


def plot_sensitivity_n(results, ax=None):
    """Mean sensitivity-n correlation against n, one line per method; ``results`` maps method
    names to :func:`~deepexplain.metrics.sensitivity_n` results. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5, 4))
    for name, result in results.items():
        ax.plot(result["n"], np.nanmean(result["correlation"], axis=0), marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("n (features removed)")
    ax.set_ylabel("Pearson correlation")
    ax.set_title("Sensitivity-n")
    ax.legend()
    return fig


def plot_deletion_insertion(deletions, insertions):
    """Mean deletion and insertion curves (two panels), one line per method, AUC in the legend."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    _plot_curves(axes[0], DELETION, deletions)
    _plot_curves(axes[1], INSERTION, insertions)
    fig.tight_layout()
    return fig


def plot_metrics(sensitivity, deletions, insertions):
    """One figure with the three panels (those with results)."""
    import matplotlib.pyplot as plt

    panels = [p for p in (sensitivity, deletions, insertions) if p]
    fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(5 * max(len(panels), 1), 4), squeeze=False)
    axes = list(axes[0])
    if sensitivity:
        plot_sensitivity_n(sensitivity, axes.pop(0))
    for title, results in [(DELETION, deletions), (INSERTION, insertions)]:
        if results:
            _plot_curves(axes.pop(0), title, results)
    fig.tight_layout()
    return fig
