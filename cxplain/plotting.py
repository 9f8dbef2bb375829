"""CXPlain attributions as matplotlib figures (returned, never shown).

CXPlain's attributions are non-negative (a distribution over positions), so maps
use a sequential colour map from 0 (white) to the largest value, and highlighted
tokens switch to white text on dark backgrounds to stay legible.
"""
import matplotlib.pyplot as plt
import numpy as np

SEQUENTIAL_CMAP = "Reds"
"""The colour map of non-negative attributions: white at 0, dark red at the largest value."""


def plot_image_attribution(image, attribution, interval=None, title=None):
    """Image, attribution map (sequential, from 0) and, given an ``interval`` (``(..., 2)``), its width
    ``upper − lower`` as an uncertainty panel. Returns the figure."""
    panels = 2 if interval is None else 3
    figure, axes = plt.subplots(1, panels, figsize=(2.6 * panels, 2.8))
    image = np.squeeze(np.asarray(image, dtype=float))
    axes[0].imshow(image, cmap="gray" if image.ndim == 2 else None)
    axes[0].set_title("input", fontsize=9)
    axes[0].set_axis_off()
    attribution = np.squeeze(np.asarray(attribution, dtype=float))
    mappable = axes[1].imshow(attribution, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=max(float(attribution.max()), 1e-12))
    axes[1].set_title(title or "attribution", fontsize=9)
    axes[1].set_axis_off()
    figure.colorbar(mappable, ax=axes[1], shrink=0.8)
    _outline(axes[1], image)
    if interval is not None:
        interval = np.asarray(interval)
        width = np.squeeze(interval[..., 1] - interval[..., 0])
        mappable = axes[2].imshow(width, cmap="viridis")
        axes[2].set_title("uncertainty (interval width)", fontsize=9)
        axes[2].set_axis_off()
        figure.colorbar(mappable, ax=axes[2], shrink=0.8)
        _outline(axes[2], image, colour="white")
    figure.tight_layout()
    return figure


def _outline(ax, image, colour="black"):
    """The outline of a grey image (its half-maximum contour) drawn over a map, to locate the map."""
    if image.ndim == 2 and np.ptp(image) > 0:
        ax.contour(image, levels=[image.min() + np.ptp(image) / 2], colors=colour, linewidths=0.8)


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


def relative_luminance(rgb):
    """WCAG 2 relative luminance of an sRGB colour with channels in [0, 1]."""
    channels = np.asarray(rgb, dtype=float)[:3]
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast_ratio(a, b):
    """WCAG 2 contrast ratio of two colours (1 to 21; body text needs at least 4.5)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def legible_text_colour(background):
    """Black or white, whichever contrasts more with ``background``."""
    return "black" if contrast_ratio(background, (0, 0, 0)) >= contrast_ratio(background, (1, 1, 1)) else "white"


def plot_text_attribution(tokens, attribution, title=None, line_length=60):
    """Tokens highlighted by attribution (white to dark red, from 0 to the largest value), in lines of
    about ``line_length`` characters; text is black or white, whichever reads better. Returns the figure."""
    tokens = [str(token) for token in tokens]
    attribution = np.asarray(attribution, dtype=float).ravel()[: len(tokens)]
    scale = attribution.max() if attribution.size and attribution.max() > 0 else 1.0
    lines, width = [[]], 0
    for i, token in enumerate(tokens):
        if lines[-1] and width + len(token) > line_length:
            lines.append([])
            width = 0
        lines[-1].append(i)
        width += len(token) + 1
    figure, ax = plt.subplots(figsize=(min(10.0, max(4.0, 0.11 * line_length)), 0.45 * len(lines) + 0.5))
    ax.set_axis_off()
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    for row, line in enumerate(lines):
        previous = None
        for i in line:
            background = cmap(attribution[i] / scale)
            style = {"fontsize": 11, "va": "center", "color": legible_text_colour(background),
                     "bbox": {"facecolor": background, "edgecolor": "none", "pad": 2}}
            if previous is None:
                previous = ax.annotate(tokens[i], (0, 1 - (row + 0.5) / len(lines)), xycoords="axes fraction", **style)
            else:  # placed after the previous token's box, whatever the font's widths
                previous = ax.annotate(tokens[i], (1, 0.5), xycoords=previous, xytext=(6, 0),
                                       textcoords="offset points", **style)
    if title:
        ax.set_title(title, fontsize=10)
    return figure
