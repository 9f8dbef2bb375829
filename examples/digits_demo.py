"""Train a small CNN on scikit-learn's digits and compare every attribution method.

Eager style (TF2, Keras 3). Writes one PNG with a row per test image (its true and
predicted label) and a column per method, each column on one symmetric colour scale
shown by its colour bar, the digit's outline drawn over every map:

    python examples/digits_demo.py [--out out]
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from example_args import output_directory  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import deepexplain  # noqa: E402
from deepexplain.plotting import plot_attribution_grid  # noqa: E402

METHODS = {
    "saliency": {},
    "grad*input": {},
    "intgrad": {"steps": 100, "progress": False},
    "elrp": {"epsilon": 1e-4},
    "deeplift": {},
    "occlusion": {"window_shape": (2, 2, 1), "progress": False},
    "shapley_sampling": {"samples": 20, "sampling_dims": [1, 2], "seed": 0, "progress": False},
}


def load_data():
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]  # 8x8x1 in [0, 1]
    return train_test_split(images, digits.target, test_size=0.25, random_state=0, stratify=digits.target)


def train_cnn(x_train, y_train):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=12, batch_size=64, verbose=0)
    return model


def main():
    out = output_directory(__doc__.splitlines()[0])

    x_train, x_test, y_train, y_test = load_data()
    model = train_cnn(x_train, y_train)
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    print(f"CNN test accuracy on digits: {accuracy:.3f}")

    images = x_test[:6]
    predicted = model.predict(images, verbose=0).argmax(1)
    ys = np.eye(10, dtype=np.float32)[predicted]  # explain the predicted class, through its logit
    attributions = {}
    for method, params in METHODS.items():
        start = time.perf_counter()
        attributions[method] = deepexplain.explain(method, model, images, ys=ys, **params)
        print(f"{method:<17} {time.perf_counter() - start:6.2f} s")

    # The model ends in a softmax, so its logits were explained: DeepLIFT and integrated
    # gradients sum to logit(x) - logit(0) of the explained class.
    logits = keras.Model(model.inputs, model.layers[-2].output)
    gap = ((logits.predict(images, verbose=0) - logits.predict(np.zeros_like(images[:1]), verbose=0)) * ys).sum(1)
    for method in ("deeplift", "intgrad"):
        total = attributions[method].reshape(len(images), -1).sum(1)
        print(f"{method} completeness: max |sum - (f(x) - f(0))| = {np.abs(total - gap).max():.2e}")

    labels = [f"true {t}, pred {p}" for t, p in zip(y_test[: len(images)], predicted)]
    figure = plot_attribution_grid(images, attributions, row_labels=labels)
    path = out / "digits_attributions.png"
    figure.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
