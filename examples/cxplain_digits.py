"""CXPlain on a small Keras 3 CNN trained on the 8x8 digits.

A U-Net explanation model ensemble (3 members) explains test digits in one
forward pass; the figure shows each digit, its attribution map and the width of
its 95% interval.

Run: python examples/cxplain_digits.py [--out DIR]   (default DIR: out)
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from example_args import output_directory  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from cxplain import CXPlain, UNetModelBuilder, ZeroMasking  # noqa: E402
from cxplain.plotting import plot_image_attribution  # noqa: E402


def main(output):
    data = load_digits()
    X = (data.images / 16.0).astype(np.float32)[..., None]
    x_train, y_train, x_test, y_test = X[:1200], data.target[:1200], X[1200:], data.target[1200:]
    cnn = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(16, 3, activation="relu"),
                            keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    cnn.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    cnn.fit(x_train, y_train, epochs=15, verbose=0)
    print(f"CNN test accuracy: {cnn.evaluate(x_test, y_test, verbose=0)[1]:.3f}")

    explainer = CXPlain(cnn, UNetModelBuilder(num_epochs=20), ZeroMasking(), keras.losses.categorical_crossentropy,
                        num_models=3, random_state=0)
    explainer.fit(x_train, y_train)
    attributions, intervals = explainer.explain(x_test[:4])

    for i in range(4):
        figure = plot_image_attribution(x_test[i], attributions[i], intervals[i], title=f"digit {y_test[i]}")
        figure.savefig(output / f"cxplain_digits_{i}.png", dpi=120)
    print(f"wrote {output}/cxplain_digits_0.png … _3.png")


if __name__ == "__main__":
    main(output_directory(__doc__.splitlines()[0]))
