"""Tiny fixed-weight models saved in every format, and data files, for the batch-run tests."""
import numpy as np
import pytest

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


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """Paths of the model in each format and of the data in each format (same rows)."""
    root = tmp_path_factory.mktemp("batch")
    keras3_model().save(root / "model.keras")
    tf_keras_model().save(root / "model.h5")
    tf_keras_model().save(str(root / "saved_model"), save_format="tf")
    x = np.random.default_rng(1).normal(size=(ROWS, FEATURES)).astype(np.float32)
    labels = np.arange(ROWS) % CLASSES
    np.save(root / "x.npy", x)
    np.savez(root / "xy.npz", x=x, y=labels)
    np.savez_compressed(root / "xz.npz", x=x)
    import h5py

    with h5py.File(root / "x.h5", "w") as f:
        f["group/x"] = x
    np.save(root / "labels.npy", labels)
    np.save(root / "wrong.npy", x[:, :4])
    return {"root": root, "x": x, "labels": labels, "keras": str(root / "model.keras"), "h5": str(root / "model.h5"),
            "savedmodel": str(root / "saved_model"), "npy": str(root / "x.npy"), "npz": str(root / "xy.npz") + ":x",
            "npz_compressed": str(root / "xz.npz"), "hdf5": str(root / "x.h5") + ":/group/x",
            "labels_npy": str(root / "labels.npy"), "wrong": str(root / "wrong.npy")}


def read_all(path):
    """Every dataset of an output file, and its job."""
    import h5py
    import json

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
