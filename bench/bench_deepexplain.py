"""Cost of each deepexplain method against the passes it cannot avoid, measured in one run.

Model: a small CNN on 28x28x1 inputs (random weights: speed does not depend on
training), batch 256. The floor of the gradient methods is one batched
forward+backward of the same target written by hand with tf.GradientTape in a
tf.function; the floor of the perturbation methods is one batched forward pass
over all the masked copies they need. A method and its floor are timed
alternately and each figure is the best of several repeats, to see through the
noise of a shared machine.

    python bench/bench_deepexplain.py [--repeats 5]
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from floors import forward_backward  # noqa: E402
from timing import paired_best_times, parse_repeats, result  # noqa: E402

import deepexplain  # noqa: E402


def cnn():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
    ])


def report(name, ours, floor, target):
    """Print our time, the floor's and their ratio against the target; return the row (``timing.result``)."""
    row = result(name, ours, floor, target)
    verdict = "ok" if row["met"] else "ABOVE TARGET"
    print(f"{name:<34} {ours * 1e3:9.1f} ms   floor {floor * 1e3:9.1f} ms   ratio {row['ratio']:5.2f}  "
          f"(target <= {target})  {verdict}")
    return row


def results(quick=False, repeats=5):
    """The rows of this benchmark, for ``python -m bench`` (``quick``: two repeats)."""
    repeats = 2 if quick else repeats
    rows = []
    model = cnn()
    rng = np.random.default_rng(0)
    xs = rng.random((256, 28, 28, 1), dtype=np.float32)
    ys = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 256)]
    x_tensor, y_tensor = tf.constant(xs), tf.constant(ys)

    gradients = forward_backward(model)

    @tf.function
    def forward(x):
        return model(x, training=False)

    def floor():
        gradients(x_tensor, y_tensor).numpy()

    for method, target, params in [
        ("saliency", 1.1, {}),
        ("grad*input", 1.1, {}),
        ("elrp", 1.3, {}),
        ("deeplift", 1.3, {}),
    ]:
        explainer = deepexplain.get_explainer(method, model, **params)
        floor_time, ours = paired_best_times(floor, lambda e=explainer: e.run(xs, ys), repeats)
        rows.append(report(method, ours, floor_time, target))

    explainer = deepexplain.get_explainer("intgrad", model, steps=50, progress=False)

    def fifty_floors():
        for _ in range(50):
            floor()

    ours = paired_best_times(fifty_floors, lambda: explainer.run(xs, ys, batch_size=256), max(1, repeats // 2))
    rows.append(report("intgrad (steps=50) vs 50 floors", ours[1], ours[0], 1.1))

    image, label = xs[:1], ys[:1]
    for method, params, copies in [
        ("occlusion", {"window_shape": (3, 3, 1), "step": 1}, 26 * 26 + 1),
        ("shapley_sampling", {"samples": 10, "seed": 0}, 10 * (28 * 28 - 1) + 2),
    ]:
        masked = tf.constant(np.repeat(image, copies, axis=0))
        explainer = deepexplain.get_explainer(method, model, progress=False, **params)
        floor_forward, ours = paired_best_times(
            lambda masked=masked: forward(masked).numpy(),
            lambda e=explainer, copies=copies: e.run(image, label, batch_size=copies),
            repeats,
        )
        rows.append(report(f"{method} ({copies} masked copies)", ours, floor_forward, 1.5))
    if quick:
        return rows

    print()
    small, small_ys = xs[:8], ys[:8]
    explainer = deepexplain.get_explainer("deeplift", model)
    calls = []
    for _ in range(100):
        start = time.perf_counter()
        explainer.run(small, small_ys)
        calls.append(time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(100):
        deepexplain.explain("deeplift", model, small, ys=small_ys)
    fresh = time.perf_counter() - start
    print(f"Explainer.run x100: {sum(calls):.2f} s   explain() x100: {fresh:.2f} s   ratio {fresh / sum(calls):.1f}x")
    first, last = np.median(calls[:10]), np.median(calls[-10:])
    print(f"run() per call, first 10: {first * 1e3:.2f} ms   last 10: {last * 1e3:.2f} ms   "
          f"last/first {last / first:.2f}")
    return rows


def main():
    results(repeats=parse_repeats(__doc__))


if __name__ == "__main__":
    main()
