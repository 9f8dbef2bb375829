"""Cost of one logged epoch of AttributionCallback against one call of the same compiled explainer.

Model: the conv16-conv32-dense10 CNN on 32x32x1 digits of the toolbox benchmarks; 32 probe
images explained for their class. A logged epoch explains them with the current weights and
writes the maps (an HDF5 row, one PNG image and the scalars of a TensorBoard event) in a
background thread; its floor is ``explainer.run`` on the same probes with an explainer compiled
beforehand, the one call the callback cannot avoid. Timed alternately, best of ``--repeats``;
target <= 1.2x. For DeepLIFT and DeepShap (10 background rows) the epoch also recomputes the
reference activations with the current weights (``Explainer.refresh``). The time of an epoch
that also waits for its writes is printed too.
Metrics (model passes over perturbed copies of their own) are timed apart, not against it.

    python bench/bench_callback.py [--repeats 5]
"""
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from explainable_workloads import digits_cnn  # noqa: E402
from timing import best_time, paired_best_times, parse_repeats, result  # noqa: E402

import deepexplain  # noqa: E402
from deepexplain.keras import AttributionCallback  # noqa: E402

PROBES = 32
BACKGROUND = 10


def cases(images):
    """(method, parameters) timed; intgrad first (the quick run's one)."""
    return [("intgrad", {"steps": 50, "progress": False}), ("saliency", {}), ("deeplift", {}),
            ("deepshap", {"background": images[-BACKGROUND:]})]


def started(model, xs, ys, method, path, **params):
    """A callback ready to log epochs (as ``fit`` leaves it), and a function logging the next one."""
    callback = AttributionCallback(method, xs, ys, **params, out=path + ".h5", log_dir=path)
    callback.set_model(model)
    callback.on_train_begin()
    epochs = iter(range(10 ** 6))
    return callback, lambda: callback.log(next(epochs))


def epoch_cost(model, xs, ys, method, path, params, repeats):
    """A row: one logged epoch against one ``explainer.run`` of an explainer compiled beforehand."""
    callback, log = started(model, xs, ys, method, path, **params)
    explainer = deepexplain.get_explainer(method, model, **params)
    ours, floor = paired_best_times(log, lambda: explainer.run(xs, ys), repeats)
    written = best_time(lambda: (log(), callback.wait()), repeats)
    print(f"{method} epoch, waiting for its writes too: {written * 1e3:.1f} ms ({written / floor:.2f}x explainer.run)")
    callback.on_train_end()
    return result(f"AttributionCallback {method} epoch", ours, floor, 1.2, "explainer.run")


def results(quick=False, repeats=5):
    """The rows of this benchmark (``quick``: intgrad only, 2 repeats)."""
    model, images, labels = digits_cnn()
    xs, ys = images[:PROBES], np.eye(10, dtype=np.float32)[labels[:PROBES]]
    with tempfile.TemporaryDirectory() as work:
        rows = [epoch_cost(model, xs, ys, method, os.path.join(work, method), params, 2 if quick else repeats)
                for method, params in cases(images)[:1 if quick else None]]
        if not quick:
            callback, log = started(model, xs, ys, "intgrad", os.path.join(work, "metrics"), steps=50, progress=False,
                                    metrics=["completeness", "deletion", "insertion"])
            with_metrics = best_time(log, repeats)
            callback.on_train_end()
            print(f"{'intgrad epoch + completeness, deletion, insertion':<46} {with_metrics * 1e3:9.1f} ms "
                  "(metrics timed apart, no target)")
    for row in rows:
        print(f"{row['method']:<46} {row['ours_s'] * 1e3:9.1f} ms   {row['floor']} {row['floor_s'] * 1e3:9.1f} ms   "
              f"ratio {row['ratio']:5.2f}  (target {row['target']})  {'ok' if row['met'] else 'ABOVE TARGET'}")
    return rows


if __name__ == "__main__":
    results(repeats=parse_repeats(__doc__))
