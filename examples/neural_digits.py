"""DeepShap, expected gradients, SmoothGrad, guided backpropagation, Grad-CAM and layer
activations of a small CNN with max-pooling, on scikit-learn's digits upsampled to 32x32.

Eager style (TF2, Keras 3). Writes into the output directory neural_digits.png (a row per
test image, a column per method, then the mean activation of two layers) and
neural_digits_activations_conv1.png / _conv2.png (the channels of both layers for one
image). Prints how well the DeepShap values add up to the logits.

    python examples/neural_digits.py [--out out]
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from example_args import output_directory  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import deepexplain  # noqa: E402
from deepexplain.explainable import ActivationVisualization, DeepShap  # noqa: E402
from deepexplain.plotting import heatmap  # noqa: E402


def load_data():
    """Digits scaled to [0, 1] and upsampled 8x8 -> 32x32 (each pixel a 4x4 block)."""
    digits = load_digits()
    images = np.kron(digits.images / 16.0, np.ones((4, 4))).astype(np.float32)[..., None]
    return train_test_split(images, digits.target, test_size=0.25, random_state=0, stratify=digits.target)


def train_cnn(x_train, y_train):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32, 32, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(2, name="pool1"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
        keras.layers.MaxPooling2D(2, name="pool2"),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=4, batch_size=64, verbose=0)
    return model


def comparison_figure(images, maps, activations):
    names = list(maps) + list(activations)
    figure, axes = plt.subplots(
        len(images), len(names) + 1, figsize=(1.6 * (len(names) + 1), 1.7 * len(images)), squeeze=False
    )
    for r, image in enumerate(images):
        axes[r, 0].imshow(image[..., 0], cmap="gray")
        for c, name in enumerate(names, start=1):
            ax = axes[r, c]
            if name in maps:
                heatmap(ax, np.squeeze(maps[name][r]), title=name if r == 0 else None)
            else:
                ax.imshow(activations[name][r].mean(axis=-1), cmap="viridis")
                ax.set_title(name if r == 0 else None, fontsize=9)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("input", fontsize=9)
    figure.tight_layout()
    return figure


def main():
    out = output_directory(__doc__.splitlines()[0])
    start = time.perf_counter()
    x_train, x_test, y_train, y_test = load_data()
    model = train_cnn(x_train, y_train)
    print(f"test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.3f}")

    images = x_test[:5]
    predicted = model.predict(images, verbose=0).argmax(axis=1)
    ys = np.eye(10, dtype=np.float32)[predicted]

    deep_shap = DeepShap(model, data=x_train[:100], seed=0)
    shap_values = deep_shap.explain(images, ranked_outputs=1)
    values = shap_values["values"][..., 0]
    top = shap_values["indices"][:, 0]
    vis = ActivationVisualization(model)
    maps = {
        "DeepShap": values,
        "expected gradients": deepexplain.explain(
            "expected_gradients", model, images, ys=ys, background=x_train[:100], samples=200, seed=0, progress=False
        ),
        "SmoothGrad": deepexplain.explain(
            "smoothgrad", model, images, ys=ys, samples=50, noise_level=0.15, seed=0, progress=False
        ),
        "guided backprop": deepexplain.explain("guided_backprop", model, images, ys=ys),
        "Grad-CAM": vis.grad_cam(images, target_class=predicted, target_layer="conv2"),
    }
    activations = vis.get_activations(images, ["conv1", "conv2"])

    expected = deep_shap.expected_value[top]
    sums = values.reshape(len(images), -1).sum(axis=1) + expected
    print("DeepShap: sum of values + expected value vs the logit (pre-softmax output)")
    features = keras.Model(model.inputs, model.layers[-2].output)([images]).numpy()
    dense = model.layers[-1]
    logit_values = features @ dense.kernel.numpy() + dense.bias.numpy()
    for i in range(len(images)):
        print(f"  image {i}: class {top[i]}  {sums[i]: .5f} vs {logit_values[i, top[i]]: .5f}")

    figure = comparison_figure(images, maps, {f"{name} (mean)": a for name, a in activations.items()})
    figure.savefig(out / "neural_digits.png", dpi=120)
    layer_figures = [vis.plot_activation(activations[name][0], name) for name in ("conv1", "conv2")]
    for name, layer_figure in zip(("conv1", "conv2"), layer_figures):
        layer_figure.savefig(out / f"neural_digits_activations_{name}.png", dpi=100)
    print(
        f"wrote {out / 'neural_digits.png'} and the activations of conv1/conv2 in {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
