"""Gradient methods on current architectures: time over the floor, and DeepLIFT/DeepShap completeness.

Models (random weights: speed and completeness do not depend on training), 10 classes:
keras.applications ResNet50, MobileNetV2, EfficientNetB0, DenseNet121 and ConvNeXtTiny at 32×32
(the smallest input each accepts), a tiny ViT (4×4 patches of 32×32×3 images, 2 blocks of
LayerNorm, MultiHeadAttention and a GELU MLP) and a text transformer explained at its token
embeddings (16 tokens × 32, the same blocks). ``--images`` samples per model, background of
``--background`` rows for DeepShap.

For each gradient method: its time per call (compiled once, best of ``--repeats``) over the
floor, one compiled forward+backward (tf.GradientTape in a tf.function) over the same rows
(for DeepShap, the samples × background pairs), the two timed alternately so that the load of a
shared machine weighs on both alike; for DeepLIFT (zero baseline) and DeepShap the
relative completeness error max |Σφ − Δf| / max |Δf| over the samples (a model whose
random-weight output hardly changes, such as MobileNetV2 at 32×32, makes it noise); with
``--shap``, shap.DeepExplainer's
time on the same rows where it runs (else the error it raises), after all other figures.

    python bench/bench_architectures.py [--images 2] [--background 4] [--repeats 20] [--shap] [--models ResNet50 ...]
"""
import argparse
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from floors import forward_backward  # noqa: E402
from timing import paired_best_times  # noqa: E402

import deepexplain  # noqa: E402

METHODS = ("saliency", "grad*input", "elrp", "deeplift", "deepshap")
APPLICATIONS = ("ResNet50", "MobileNetV2", "EfficientNetB0", "DenseNet121", "ConvNeXtTiny")


def application(name):
    build = getattr(keras.applications, name)
    return build(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None)


def transformer_blocks(x, width, blocks=2):
    L = keras.layers
    for _ in range(blocks):
        y = L.LayerNormalization()(x)
        x = L.Add()([x, L.MultiHeadAttention(4, width // 4)(y, y)])
        y = L.Dense(width)(L.Dense(2 * width, activation="gelu")(L.LayerNormalization()(x)))
        x = L.Add()([x, y])
    return x


def vit():
    L = keras.layers
    i = keras.Input((32, 32, 3))
    x = L.Reshape((64, 64))(L.Conv2D(64, 4, strides=4)(i))
    x = transformer_blocks(x, 64)
    return keras.Model(i, L.Dense(10)(L.GlobalAveragePooling1D()(L.LayerNormalization()(x))))


def text_transformer():
    """Explained at its embeddings: the input is the (tokens, width) output of an Embedding."""
    L = keras.layers
    i = keras.Input((16, 32))
    x = transformer_blocks(i, 32)
    return keras.Model(i, L.Dense(2)(L.GlobalAveragePooling1D()(x)))


def models(names):
    keras.utils.set_random_seed(0)
    for name in names:
        if name == "ViT":
            yield name, vit()
        elif name == "TextTransformer":
            yield name, text_transformer()
        else:
            yield name, application(name)


def completeness(model, xs, ys, attributions, references):
    outputs = (model(xs, training=False).numpy() * ys).sum(1)
    reference = np.mean([(model(r[None], training=False).numpy() * ys).sum(1) for r in references], axis=0)
    change = outputs - reference
    return float(np.max(np.abs(attributions.reshape(len(xs), -1).sum(1) - change)) / np.max(np.abs(change)))


def shap_time(model, xs, background):
    try:
        import shap

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            explainer = shap.DeepExplainer(model, background)
            start = time.perf_counter()
            explainer.shap_values(xs, check_additivity=False)
        return f"{time.perf_counter() - start:.2f} s"
    except Exception as error:  # noqa: BLE001 - the table reports why shap does not run
        return f"fails: {type(error).__name__}: {str(error).strip().splitlines()[-1][:80]}"


def samples(model, images, background_rows):
    rng = np.random.default_rng(0)
    shape = tuple(model.inputs[0].shape[1:])
    xs = rng.normal(0, 1, (images,) + shape).astype(np.float32)
    return xs, rng.normal(0, 1, (background_rows,) + shape).astype(np.float32)


def bench(model, images, background_rows, repeats):
    xs, background = samples(model, images, background_rows)
    shape = xs.shape[1:]
    logits = model(xs, training=False).numpy()
    ys = np.eye(logits.shape[1], dtype=np.float32)[logits.argmax(1)]
    floor = forward_backward(model)
    rows = {}
    for method in METHODS:
        params = {"background": background} if method == "deepshap" else {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            explainer = deepexplain.get_explainer(method, model, **params)
            attributions = explainer.run(xs, ys=ys)
            compile_s = time.perf_counter() - start
        pairs = np.repeat(xs, background_rows, 0) if method == "deepshap" else xs
        pair_ys = np.repeat(ys, background_rows, 0) if method == "deepshap" else ys
        rows_x, rows_y = tf.constant(pairs), tf.constant(pair_ys)
        ours, base = paired_best_times(
            lambda run=explainer.run: run(xs, ys=ys), lambda x=rows_x, y=rows_y: floor(x, y).numpy(), repeats
        )
        error = ""
        if method in ("deeplift", "deepshap"):
            references = background if method == "deepshap" else np.zeros((1,) + tuple(shape), np.float32)
            error = f"{completeness(model, xs, ys, attributions, references):.1e}"
        warned = any("plain gradients" in str(w.message) or "outside the" in str(w.message) for w in caught)
        rows[method] = (ours / base, compile_s, error, warned)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--background", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--shap", action="store_true")
    parser.add_argument("--models", nargs="*", default=[*APPLICATIONS, "ViT", "TextTransformer"])
    args = parser.parse_args()
    columns = [f"{m} ×floor" for m in METHODS] + ["deeplift err", "deepshap err", "warning"]
    print("| model | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, model in models(args.models):
        rows = bench(model, args.images, args.background, args.repeats)
        ratios = " | ".join(f"{rows[m][0]:.2f} ({rows[m][1]:.0f} s)" for m in METHODS)
        warned = ", ".join(m for m in METHODS if rows[m][3]) or "none"
        print(f"| {name} | {ratios} | {rows['deeplift'][2]} | {rows['deepshap'][2]} | {warned} |", flush=True)
    if args.shap:  # last: a failing shap.DeepExplainer leaves TensorFlow's gradient registry patched
        for name, model in models(args.models):
            figure = shap_time(model, *samples(model, args.images, args.background))
            print(f"shap.DeepExplainer on {name}: {figure}", flush=True)


if __name__ == "__main__":
    main()
