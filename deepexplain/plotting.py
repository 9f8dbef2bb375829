"""Attribution maps as matplotlib figures (never shown: the caller decides)."""

import matplotlib.pyplot as plt
import numpy as np


def symmetric_limit(attribution, percentile=99.5):
    """A colour limit symmetric around zero that ignores the most extreme values."""
    attribution = np.asarray(attribution, dtype=float)
    finite = np.abs(attribution[np.isfinite(attribution)])
    limit = float(np.percentile(finite, percentile)) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def _two_d(array):
    """A 2-D map from an HxW or HxWxC array (channels summed)."""
    array = np.squeeze(np.asarray(array, dtype=float))
    return array.sum(axis=-1) if array.ndim == 3 else array


def heatmap(ax, attribution, image=None, title=None, cmap="RdBu_r", percentile=99.5, limit=None, outline=None):
    """Draw a 2-D attribution map (channels summed) on ``ax``, red positive, blue negative.

    The colour scale runs from ``-limit`` to ``limit`` (by default the ``percentile`` of
    the map's absolute values). ``image`` (optional, 2-D or HxWxC) is drawn underneath in
    grey; ``outline`` (an image) is drawn over the map as a contour at half its maximum.
    Returns the mappable, for a colour bar.
    """
    attribution = _two_d(attribution)
    limit = symmetric_limit(attribution, percentile) if limit is None else limit
    if image is not None:
        image = np.asarray(image, dtype=float)
        ax.imshow(image.mean(axis=-1) if image.ndim == 3 else image, cmap="gray", alpha=0.35)
    mappable = ax.imshow(attribution, cmap=cmap, vmin=-limit, vmax=limit, alpha=0.85 if image is not None else 1.0)
    if outline is not None:
        shape = _two_d(outline)
        if np.ptp(shape) > 0:
            level = shape.min() + 0.5 * np.ptp(shape)
            ax.contour(shape, levels=[level], colors="black", linewidths=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return mappable


def plot_attribution_grid(images, attributions, titles=None, row_labels=None, percentile=99.5, outline=True):
    """A figure with one row per image and one column per method.

    ``attributions`` maps a method name to an array of maps, one per image. Each column
    has one colour scale, symmetric around zero and shared by all its rows (methods
    differ in scale by orders of magnitude, images of one method should compare), shown
    by a colour bar under the column. ``row_labels`` label the rows (e.g. true and
    predicted class); with ``outline`` each map carries the image's outline. Returns the
    figure.
    """
    names = list(attributions)
    rows, cols = len(images), len(names) + 1
    figure, axes = plt.subplots(
        rows, cols, figsize=(1.75 * cols, 1.7 * rows + 0.6), squeeze=False, layout="constrained"
    )
    for r, image in enumerate(images):
        axes[r, 0].imshow(np.squeeze(image), cmap="gray")
        axes[r, 0].set_xticks([])
        axes[r, 0].set_yticks([])
        if row_labels is not None:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=9)
    axes[0, 0].set_title("input", fontsize=9)
    axes[-1, 0].set_xlabel(" ", fontsize=9)  # room matching the colour bars
    for c, name in enumerate(names, start=1):
        maps = [_two_d(m) for m in attributions[name]]
        limit = symmetric_limit(np.stack(maps), percentile)
        for r, image in enumerate(images):
            title = (titles or {}).get(name, name) if r == 0 else None
            mappable = heatmap(axes[r, c], maps[r], title=title, limit=limit, outline=image if outline else None)
        bar = figure.colorbar(mappable, ax=axes[:, c], orientation="horizontal", shrink=0.9, aspect=12, pad=0.01)
        bar.ax.tick_params(labelsize=7)
        bar.ax.xaxis.get_offset_text().set_fontsize(7)
    return figure
