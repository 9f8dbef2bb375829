"""CXPlain attributions as matplotlib figures (returned, never shown)."""
import matplotlib.pyplot as plt
import numpy as np

from deepexplain.plotting import heatmap


def plot_image_attribution(image, attribution, interval=None, title=None):
    """Image, attribution heatmap and, given an ``interval`` (``(..., 2)``), its width ``upper − lower``
    as an uncertainty panel. Returns the figure."""
    panels = 2 if interval is None else 3
    figure, axes = plt.subplots(1, panels, figsize=(2.6 * panels, 2.8))
    image = np.squeeze(np.asarray(image, dtype=float))
    axes[0].imshow(image, cmap="gray" if image.ndim == 2 else None)
    axes[0].set_title("input", fontsize=9)
    axes[0].set_axis_off()
    figure.colorbar(heatmap(axes[1], np.squeeze(attribution), title=title or "attribution"), ax=axes[1], shrink=0.8)
    if interval is not None:
        interval = np.asarray(interval)
        width = np.squeeze(interval[..., 1] - interval[..., 0])
        mappable = axes[2].imshow(width, cmap="viridis")
        axes[2].set_title("uncertainty (interval width)", fontsize=9)
        axes[2].set_axis_off()
        figure.colorbar(mappable, ax=axes[2], shrink=0.8)
    figure.tight_layout()
    return figure


def interval_offsets(attribution, interval):
    """The ``yerr`` matplotlib expects: distances ``(attribution − lower, upper − attribution)``, shape (2, p)."""
    attribution, interval = np.asarray(attribution), np.asarray(interval)
    return np.stack([attribution - interval[..., 0], interval[..., 1] - attribution])


def plot_feature_attribution(attribution, interval=None, feature_names=None, title=None):
    """Bars of one sample's feature attributions with their interval as error bars. Returns the figure."""
    attribution = np.asarray(attribution, dtype=float).ravel()
    names = list(feature_names) if feature_names is not None else [str(i) for i in range(attribution.size)]
    figure, ax = plt.subplots(figsize=(max(4.0, 0.35 * attribution.size), 3.2))
    yerr = None if interval is None else interval_offsets(attribution, np.asarray(interval).reshape(-1, 2))
    ax.bar(np.arange(attribution.size), attribution, yerr=yerr, capsize=2, color="tab:red")
    ax.set_xticks(np.arange(attribution.size))
    ax.set_xticklabels(names, rotation=90, fontsize=8)
    ax.set_ylabel("attribution")
    if title:
        ax.set_title(title, fontsize=10)
    figure.tight_layout()
    return figure


def plot_text_attribution(tokens, attribution, title=None):
    """Tokens highlighted in red by attribution (darker is more important). Returns the figure."""
    attribution = np.asarray(attribution, dtype=float).ravel()[: len(tokens)]
    scale = attribution.max() if attribution.size and attribution.max() > 0 else 1.0
    figure, ax = plt.subplots(figsize=(max(4.0, 0.7 * len(tokens)), 0.9))
    ax.set_axis_off()
    x = 0.0
    for token, weight in zip(tokens, attribution):
        ax.text(x, 0.5, str(token), fontsize=11, va="center", transform=ax.transAxes,
                       bbox={"facecolor": plt.cm.Reds(weight / scale), "edgecolor": "none", "pad": 2})
        x += (len(str(token)) + 1.5) / (len("".join(map(str, tokens))) + 1.5 * len(tokens))
    if title:
        ax.set_title(title, fontsize=10)
    return figure
