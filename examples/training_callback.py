"""Watch attributions change while a CNN trains on scikit-learn's digits.

Keras 3 ``model.fit`` with a :class:`deepexplain.keras.AttributionCallback`: after every
epoch the integrated gradients of 16 fixed test digits (for their true class) are computed
with the current weights and written

* to TensorBoard (``OUT/logs/attributions``: add ``keras.callbacks.TensorBoard(OUT / "logs")``,
  which needs the ``tensorboard`` package, and it is a run next to its ``train`` and
  ``validation`` runs): the image ``attributions/intgrad`` (the 16 maps, red
  positive, blue negative, one colour scale for the whole series) and the scalars
  ``attributions/intgrad/completeness_error``, ``.../deletion_auc``, ``.../mean_abs``;
* to ``OUT/training_attributions.h5``: ``/attributions/intgrad`` (epochs × 16 × 8 × 8 × 1),
  ``/epochs``, ``/metrics/...``. A second run continues the file.

    python examples/training_callback.py [--out out]
    tensorboard --logdir out/logs
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from example_args import output_directory  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from deepexplain.keras import AttributionCallback  # noqa: E402


def main():
    out = output_directory(__doc__.splitlines()[0])
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]  # 8x8x1 in [0, 1]
    x_train, x_test, y_train, y_test = train_test_split(images, digits.target, test_size=0.25, random_state=0,
                                                        stratify=digits.target)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    probes, labels = x_test[:16], np.eye(10, dtype=np.float32)[y_test[:16]]
    callback = AttributionCallback("intgrad", probes, labels, log_dir=out / "logs" / "attributions",
                                   out=out / "training_attributions.h5", metrics=["completeness", "deletion"], steps=32)
    model.fit(x_train, y_train, epochs=3, batch_size=64, validation_data=(x_test, y_test), verbose=2,
              callbacks=[callback])
    with h5py.File(out / "training_attributions.h5") as f:
        print(f"{out / 'training_attributions.h5'}: epochs {f['epochs'][()].tolist()}, "
              f"attributions {f['attributions/intgrad'].shape}")
        for epoch, error, auc in zip(f["epochs"], f["metrics/completeness/error"], f["metrics/deletion/auc"]):
            print(f"  epoch {epoch}: mean |completeness error| {np.mean(np.abs(error)):.4f}, "
                  f"mean deletion AUC {np.mean(auc):.3f}")
    print(f"TensorBoard: tensorboard --logdir {out / 'logs'}")


if __name__ == "__main__":
    main()
