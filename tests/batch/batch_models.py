"""Tiny fixed-weight models and output readers shared by the batch-run tests."""
import numpy as np

FEATURES, HIDDEN, CLASSES = 6, 5, 3
ROWS = 120


def weights():
    rng = np.random.default_rng(7)
    return [rng.normal(0, 0.8, (FEATURES, HIDDEN)).astype(np.float32), rng.normal(0, 0.2, HIDDEN).astype(np.float32),
            rng.normal(0, 0.8, (HIDDEN, CLASSES)).astype(np.float32), rng.normal(0, 0.2, CLASSES).astype(np.float32)]


def keras3_model():
    import keras

    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(CLASSES, activation="softmax")])
    model.set_weights(weights())
    return model


def tf_keras_model():
    import tf_keras

    model = tf_keras.Sequential([tf_keras.Input((FEATURES,)), tf_keras.layers.Dense(HIDDEN, activation="relu"),
                                 tf_keras.layers.Dense(CLASSES, activation="softmax")])
    model.set_weights(weights())
    return model


def read_all(path):
    """Every dataset of an output file, and its job."""
    import json

    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        job = json.loads(f.attrs["job"])
    return out, job


def invoke(args):
    """``deepexplain ARGS`` in this process: ``(exit_code, stdout, stderr)``."""
    from click.testing import CliRunner

    from deepexplain.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr
