"""Attribution maps as matplotlib figures (never shown: the caller decides)."""

import matplotlib.pyplot as plt
import numpy as np


def symmetric_limit(attribution, percentile=99.5):
    """A colour limit symmetric around zero that ignores the most extreme values."""
    finite = np.abs(attribution[np.isfinite(attribution)])
    limit = float(np.percentile(finite, percentile)) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def heatmap(ax, attribution, image=None, title=None, cmap="RdBu_r", percentile=99.5):
    """Draw a 2-D attribution map (channels summed) on ``ax``, red positive, blue negative.

    ``image`` (optional, 2-D or HxWxC) is drawn underneath in grey.
    """
    attribution = np.asarray(attribution, dtype=float)
    if attribution.ndim == 3:
        attribution = attribution.sum(axis=-1)
    limit = symmetric_limit(attribution, percentile)
    if image is not None:
        image = np.asarray(image, dtype=float)
        ax.imshow(image.mean(axis=-1) if image.ndim == 3 else image, cmap="gray", alpha=0.35)
    mappable = ax.imshow(attribution, cmap=cmap, vmin=-limit, vmax=limit, alpha=0.85 if image is not None else 1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return mappable


def plot_attribution_grid(images, attributions, titles=None, row_labels=None):
    """A figure with one row per image and one column per method.

    ``attributions`` maps a method name to an array of maps, one per image.
    Returns the figure.
    """
    names = list(attributions)
    rows, cols = len(images), len(names) + 1
    figure, axes = plt.subplots(rows, cols, figsize=(1.7 * cols, 1.7 * rows), squeeze=False)
    for r, image in enumerate(images):
        axes[r, 0].imshow(np.squeeze(image), cmap="gray")
        axes[r, 0].set_xticks([])
        axes[r, 0].set_yticks([])
        if row_labels is not None:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=9)
        for c, name in enumerate(names, start=1):
            title = (titles or {}).get(name, name) if r == 0 else None
            heatmap(axes[r, c], np.squeeze(attributions[name][r]), title=title)
    axes[0, 0].set_title("input", fontsize=9)
    figure.tight_layout()
    return figure
