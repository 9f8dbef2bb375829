"""Predictions of the explained model on every sample and on each of its reduced copies.

For a TensorFlow model (Keras 3, tf_keras or ``tf.Module``) one compiled function
removes every position of a chunk of samples and calls the model once on all
reduced copies, on the device. For a scikit-learn estimator (``predict_proba``,
else ``predict``) or any other callable, the removal is compiled the same way and
the model is called once per chunk on the stacked copies.
"""
import numpy as np
import tensorflow as tf

from deepexplain.batching import row_slices
from deepexplain.targets import call_model, is_tensorflow_model

from .style import runtime

ROWS_PER_CALL = 8192
"""Reduced copies passed to the explained model per call."""


def prediction_function(model):
    """``model`` as a function of a batch: ``predict_proba``, else ``predict``, else the callable."""
    for name in ("predict_proba", "predict"):
        method = getattr(model, name, None)
        if callable(method):
            return method
    if callable(model):
        return model
    raise TypeError(f"explained_model: expected a Keras model, a scikit-learn estimator or a callable, got {type(model).__name__}")


def _as_rows(output):
    """Model output as a 2-D float array/tensor ``(n, outputs)``."""
    return output[:, None] if len(output.shape) == 1 else output


class MaskedPredictor:
    """``predictor(X) -> (predictions (n, out), masked (n, k, out))`` for ``k`` removals."""

    def __init__(self, model, remove, count, sample_shape, dtype, flatten=False, progress=False):
        self.model, self.remove, self.count = model, remove, count
        self.sample_shape, self.flatten, self.progress = tuple(sample_shape), flatten, progress
        spec = tf.TensorSpec((None,) + self.sample_shape, dtype)
        if is_tensorflow_model(model):
            self._run = runtime().compile(self._build_with_model, [spec])
        else:
            self._predict = prediction_function(model)
            self._run = runtime().compile(self._build_removal, [spec])

    def _model_input(self, x):
        return tf.reshape(x, (-1, int(np.prod(self.sample_shape)))) if self.flatten else x

    def _reduced_rows(self, x):
        return tf.reshape(self.remove(x), (-1,) + self.sample_shape)

    def _build_with_model(self, x):
        def predict(rows):
            return tf.cast(_as_rows(call_model(self.model, self._model_input(rows))), tf.float32)

        full = predict(x)
        masked = predict(self._reduced_rows(x))
        return full, tf.reshape(masked, (-1, self.count, tf.shape(full)[1]))

    def _build_removal(self, x):
        return self._reduced_rows(x)

    def _numpy_predict(self, rows):
        if self.flatten:
            rows = rows.reshape(len(rows), -1)
        return _as_rows(np.asarray(self._predict(rows), dtype=np.float32))

    def __call__(self, X):
        chunk = max(1, ROWS_PER_CALL // self.count)
        full, masked = [], []
        for rows in row_slices(len(X), chunk, self.progress, desc="masked predictions"):
            if is_tensorflow_model(self.model):
                f, m = self._run(X[rows])
            else:
                f = self._numpy_predict(X[rows])
                m = self._numpy_predict(self._run(X[rows])).reshape(len(f), self.count, -1)
            full.append(f)
            masked.append(m)
        return np.concatenate(full), np.concatenate(masked)
