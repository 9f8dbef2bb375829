"""CEM on sklearn's 8x8 digits: a small CNN, an autoencoder, PN and PP plotted as images.

Run: python examples/cem_digits.py [--out DIR]   (writes DIR/cem_digits.png; DIR defaults to out)
"""
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from example_args import output_directory
from sklearn.datasets import load_digits

from cem import CEM


def train(epochs=15):
    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[..., None]  # (n, 8, 8, 1) in [0, 1]
    y = digits.target
    keras.utils.set_random_seed(0)
    cnn = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
                            keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                            keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    cnn.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    cnn.fit(X, y, epochs=epochs, batch_size=64, verbose=0)
    ae = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(24, activation="relu"),
                           keras.layers.Dense(64, activation="sigmoid"), keras.layers.Reshape((8, 8, 1))])
    ae.compile(keras.optimizers.Adam(0.01), "mse")
    ae.fit(X, X, epochs=epochs, batch_size=64, verbose=0)
    return X, cnn, ae


def explain(X, cnn, ae, instances, mode, max_iterations=300):
    cem = CEM(None, cnn, mode, (1, 8, 8, 1), kappa=0., beta=.1, feature_range=(0., 1.), gamma=10., ae_model=ae,
              max_iterations=max_iterations, c_init=10., c_steps=5, learning_rate_init=1e-1, no_info_val=0.)
    return cem.explain(X[instances])


def plot(pn, pp, path="cem_digits.png"):
    """Original, PN and PP of each instance as a grid of images; returns the figure."""
    n = len(pn["X"])
    fig, axes = plt.subplots(n, 3, figsize=(6, 2 * n), squeeze=False)
    for i in range(n):
        pp_title = ("PP: empty" if pp["PP_empty"][i] else f"PP: {pp['PP_pred'][i]}") if pp["found"][i] else "no PP"
        panels = [(pn["X"][i], f"original: {pn['X_pred'][i]}"),
                  (pn["PN"][i] if pn["found"][i] else None, f"PN: {pn['PN_pred'][i]}" if pn["found"][i] else "no PN"),
                  (pp["PP"][i] if pp["found"][i] else None, pp_title)]
        for ax, (image, title) in zip(axes[i], panels):
            if image is not None:
                ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    return fig


def main(directory=Path("out")):
    path = directory / "cem_digits.png"
    X, cnn, ae = train()
    instances = [0, 1, 3, 4]
    pn, pp = explain(X, cnn, ae, instances, "PN"), explain(X, cnn, ae, instances, "PP")
    for mode, result in (("PN", pn), ("PP", pp)):
        print(mode, "found", result["found"], "classes", result["X_pred"], "->", result[f"{mode}_pred"])
    figure = plot(pn, pp, path)
    print(f"saved {path}")
    return figure


if __name__ == "__main__":
    main(output_directory("CEM on 8x8 digits: pertinent negatives and positives of a CNN, as images."))
