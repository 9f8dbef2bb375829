"""Cost of deepshap, expected_gradients, smoothgrad and gradcam against the passes they cannot
avoid, and of deepshap against shap.DeepExplainer, measured side by side in one run.

Model: conv16 - conv32 stride 2 - dense64 - dense10 on 32x32x1 inputs (random weights: speed
does not depend on training); 10 images, background of 100 rows. Floors are written by hand
with tf.GradientTape in a tf.function on the plain model:

* deepshap: one batched forward+backward over its 10 x 100 (sample, background) rows;
* expected_gradients, smoothgrad: one forward+backward over the 10 x samples points;
* gradcam: one forward pass and one backward pass down to the last convolution (256 images,
  so that the floor is not a few milliseconds of call overhead).

shap.DeepExplainer (the benchmark-only extra ``bench``) explains the same top output per
image (``ranked_outputs=1``). Each pair is timed alternately, best of ``--repeats``.

    python bench/bench_neural_methods.py [--repeats 5]
"""
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from bench_deepexplain import report  # noqa: E402
from floors import forward_backward  # noqa: E402
from timing import paired_best_times, parse_repeats  # noqa: E402

import deepexplain  # noqa: E402

SAMPLES = 50


def cnn():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((32, 32, 1)),
        keras.layers.Conv2D(16, 3, activation="relu", name="conv1"),
        keras.layers.Conv2D(32, 3, strides=2, activation="relu", name="conv2"),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
    ])


def gradient_floor(model):
    run = forward_backward(model)
    return lambda x, y: run(tf.constant(x), tf.constant(y)).numpy()


def layer_floor(model, layer):
    probe = keras.Model(model.inputs, [model.get_layer(layer).output, model.outputs[0]])

    @tf.function
    def forward_backward(x, y):
        with tf.GradientTape() as tape:
            activations, output = probe([x], training=False)
            score = tf.reduce_sum(output * y)
        return activations, tape.gradient(score, activations)

    return lambda x, y: [t.numpy() for t in forward_backward(tf.constant(x), tf.constant(y))]


def results(quick=False, repeats=5):
    """The rows of this benchmark, for ``python -m bench`` (``quick``: two repeats)."""
    repeats = 2 if quick else repeats
    rows = []
    model = cnn()
    rng = np.random.default_rng(0)
    xs = rng.random((10, 32, 32, 1), dtype=np.float32)
    background = rng.random((100, 32, 32, 1), dtype=np.float32)
    top = model(xs).numpy().argmax(axis=1)
    ys = np.eye(10, dtype=np.float32)[top]
    floor = gradient_floor(model)

    # deepshap: 10 x 100 pairs in one call of 1,000 rows (the background's activations are
    # computed once, when the explainer is compiled by the untimed first run).
    deepshap = deepexplain.get_explainer("deepshap", model, background=background)
    pairs, pair_ys = np.repeat(xs, 100, axis=0), np.repeat(ys, 100, axis=0)
    ours, hand = paired_best_times(lambda: deepshap.run(xs, ys, batch_size=1000), lambda: floor(pairs, pair_ys),
                                   repeats)
    rows.append(report("deepshap", ours, hand, 1.3))
    try:
        import shap
    except ImportError:
        print("shap.DeepExplainer: not installed (pip install -e .[bench])")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            explainer = shap.DeepExplainer(model, background)

            def anchor():
                return explainer.shap_values(xs, ranked_outputs=1, check_additivity=False)

            ours, theirs = paired_best_times(lambda: deepshap.run(xs, ys, batch_size=1000), anchor, repeats)
        print(f"deepshap vs shap.DeepExplainer     {ours * 1e3:9.1f} ms   shap  {theirs * 1e3:9.1f} ms   "
              f"ratio {ours / theirs:5.2f}  (target < 1)")

    # expected_gradients and smoothgrad: 10 x 50 points in one call of 500 rows.
    points, point_ys = rng.random((10 * SAMPLES, 32, 32, 1), dtype=np.float32), np.repeat(ys, SAMPLES, axis=0)
    for name, params in [
        ("expected_gradients", {"background": background, "samples": SAMPLES, "seed": 0, "progress": False}),
        ("smoothgrad", {"samples": SAMPLES, "seed": 0, "progress": False}),
    ]:
        explainer = deepexplain.get_explainer(name, model, **params)
        ours, hand = paired_best_times(lambda e=explainer: e.run(xs, ys), lambda: floor(points, point_ys), repeats)
        rows.append(report(name, ours, hand, 1.1))

    # gradcam on 256 images: forward, backward to conv2, the map.
    images = rng.random((256, 32, 32, 1), dtype=np.float32)
    image_ys = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 256)]
    gradcam = deepexplain.get_explainer("gradcam", model, layer="conv2")
    to_layer = layer_floor(model, "conv2")
    ours, hand = paired_best_times(lambda: gradcam.run(images, image_ys), lambda: to_layer(images, image_ys), repeats)
    rows.append(report("gradcam", ours, hand, 1.2))
    return rows


def main():
    results(repeats=parse_repeats(__doc__))


if __name__ == "__main__":
    main()
