"""GCE explanations as matplotlib figures (returned, never shown).

``plot_sweeps`` draws the decoded sweeps of ``GenerativeCausalExplainer.explain``: one block
per latent factor, a row per sample, a column per sweep value; each image is framed in the
colour of the class the classifier gives it, and its class probabilities are drawn under it as
a stacked bar. ``plot_information_flow`` and ``plot_aspect_removal`` are the bars of the paper's
fig. 5a-b.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.gridspec import GridSpec
from matplotlib.patches import Patch

CLASS_COLOURS = plt.get_cmap("tab10").colors
ALPHA_COLOUR, BETA_COLOUR = "tab:red", "tab:gray"


def latent_names(K, dims):
    """``α1..αK, β1..βL`` for the latent coordinates ``dims``."""
    return [f"α{d + 1}" if d < K else f"β{d - K + 1}" for d in dims]


def _as_picture(sample):
    sample = np.asarray(sample, dtype=float)
    if sample.ndim == 1:
        return sample[None, :]
    return sample[..., 0] if sample.ndim == 3 and sample.shape[-1] == 1 else sample


def plot_sweeps(images, probabilities, K, sweep=None, dims=None, class_names=None):
    """The sweep grid of ``explain``'s ``(images, probabilities)``; ``dims`` are the latent
    coordinates along their axis 1 (default 0, 1, …) and ``K`` the number of α's among them."""
    images, probabilities = np.asarray(images), np.asarray(probabilities)
    n, q, s, m = probabilities.shape
    if images.shape[:3] != (n, q, s):
        raise ValueError(f"images: expected a leading shape {(n, q, s)} like probabilities, got {images.shape}")
    dims = list(range(q)) if dims is None else list(dims)
    names = list(class_names) if class_names is not None else [str(c) for c in range(m)]
    colours = [CLASS_COLOURS[c % len(CLASS_COLOURS)] for c in range(m)]
    height = 1.3 * n * q + 0.8
    figure = plt.figure(figsize=(1.0 * s + 1.0, height))
    grid = GridSpec(q * n * 2, s + 1, figure=figure, width_ratios=[0.5] + [1] * s, top=1 - 0.75 / height,
                    bottom=0.02, height_ratios=[1, 0.22] * (q * n), hspace=0.15, wspace=0.08)
    vmin, vmax = float(images.min()), float(images.max())
    for block, name in enumerate(latent_names(K, dims)):
        label = figure.add_subplot(grid[2 * block * n:2 * (block + 1) * n, 0])
        label.set_axis_off()
        label.text(0.5, 0.5, name, fontsize=14, ha="center", va="center", rotation=90,
                   color=ALPHA_COLOUR if dims[block] < K else "black")
        for i in range(n):
            row = 2 * (block * n + i)
            for j in range(s):
                p = probabilities[i, block, j]
                winner = int(np.argmax(p))
                ax = figure.add_subplot(grid[row, j + 1])
                ax.imshow(_as_picture(images[i, block, j]), cmap="gray", vmin=vmin, vmax=vmax, aspect="auto")
                ax.set_xticks([]), ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_color(colours[winner]), spine.set_linewidth(3)
                if i == 0 and block == 0 and sweep is not None:
                    ax.set_title(f"{sweep[j]:+.1f}", fontsize=8)
                bar = figure.add_subplot(grid[row + 1, j + 1])
                bar.barh(0, p, left=np.concatenate([[0], np.cumsum(p)[:-1]]), color=colours, height=1)
                bar.text(0.5, 0, f"{p[winner]:.2f}", ha="center", va="center", fontsize=6, color="white")
                bar.set_xlim(0, 1), bar.set_axis_off()
    figure.legend(handles=[Patch(color=c, label=name) for c, name in zip(colours, names)], loc="upper center",
                  ncol=min(m, 6), fontsize=8, frameon=False, title="class (frame, bar)", title_fontsize=8)
    return figure


def _bars(values, names, colours, ylabel, title):
    figure, ax = plt.subplots(figsize=(max(4.0, 0.55 * len(values) + 1.5), 3.2))
    ax.bar(range(len(values)), values, color=colours)
    ax.set_xticks(range(len(values)), names, rotation=30 if max(map(len, names)) > 4 else 0)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    figure.tight_layout()
    return figure


def plot_information_flow(flow, K, n_classes=None):
    """Bars of ``information_flow_per_dim`` (α's in red), with ln M dashed when ``n_classes`` is given."""
    flow = np.asarray(flow, dtype=float)
    dims = range(len(flow))
    figure = _bars(flow, latent_names(K, dims), [ALPHA_COLOUR if d < K else BETA_COLOUR for d in dims],
                   "information flow (nats)", "I(z_i; Ŷ) per latent factor")
    if n_classes is not None:
        figure.axes[0].axhline(np.log(n_classes), color="black", linestyle="--", linewidth=1, label="ln M")
        figure.axes[0].legend(fontsize=8)
    return figure


def plot_aspect_removal(result, K):
    """Bars of ``aspect_removal_accuracy``: accuracy on the data, on its reconstructions and with
    each latent factor replaced by noise (α's in red)."""
    removed = np.asarray(result["removed"], dtype=float)
    values = np.concatenate([[result["original"], result["reencoded"]], removed])
    colours = ["tab:blue", "tab:blue"] + [ALPHA_COLOUR if d < K else BETA_COLOUR for d in range(len(removed))]
    figure = _bars(values, ["original", "reencoded"] + latent_names(K, range(len(removed))), colours,
                   "classifier accuracy", "accuracy with each latent factor removed")
    figure.axes[0].set_ylim(0, 1.05)
    return figure
