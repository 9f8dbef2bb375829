"""Tiny fixed-weight models saved in every format, and data files, for the batch-run tests."""
import numpy as np
import pytest
from batch_models import CLASSES, FEATURES, ROWS, keras3_model, tf_keras_model


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
