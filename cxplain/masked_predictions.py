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
from deepexplain.targets import call_model, is_keras_model, is_tensorflow_model, keras_input_specs, static_shape
from deepexplain.validation import describe

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
    raise TypeError(f"explained_model: expected a Keras model, a scikit-learn estimator or a callable, got {describe(model)}")


def check_explained_model(model):
    """Raise a TypeError unless ``model`` can be called on a batch."""
    if not is_tensorflow_model(model):
        prediction_function(model)


def expected_sample_shape(model):
    """The sample shape ``model`` declares (None for free dimensions), or None when it declares none:
    a Keras model's single input, or a scikit-learn estimator's ``n_features_in_``."""
    if is_keras_model(model):
        specs = keras_input_specs(model)
        return specs[0][1][1:] if specs and len(specs) == 1 else None
    features = getattr(model, "n_features_in_", None)
    return (int(features),) if isinstance(features, (int, np.integer)) else None


def check_fits_model(model, sample_shape, flatten):
    """Raise a ValueError when samples of ``sample_shape`` cannot be the explained model's input."""
    expected = expected_sample_shape(model)
    given = (int(np.prod(sample_shape)),) if flatten else tuple(sample_shape)
    if expected is None:
        return
    if len(expected) != len(given) or any(e is not None and e != g for e, g in zip(expected, given)):
        hint = "" if flatten or len(expected) != 1 else " (flatten_for_explained_model=True passes flattened samples)"
        seen = "flattened samples" if flatten else "samples"
        raise ValueError(f"X: the explained model takes samples of shape {expected}, got {seen} of shape {given}{hint}")


def check_rows(output, rows):
    """Raise a ValueError naming the explained model unless ``output`` has one row per sample and rank 1 or 2."""
    shape = np.shape(output)
    if len(shape) not in (1, 2) or shape[0] != rows:
        raise ValueError(f"explained_model: expected outputs of shape (n,) or (n, outputs) with one row per sample, "
                         f"got shape {shape} for a batch of {rows} samples")


def _as_rows(output):
    """Model output as a 2-D float array/tensor ``(n, outputs)``."""
    return output[:, None] if len(output.shape) == 1 else output


class MaskedPredictor:
    """``predictor(X) -> (predictions (n, out), masked (n, k, out))`` for ``k`` removals."""

    def __init__(self, model, remove, count, sample_shape, dtype, flatten=False, progress=False):
        self.model, self.remove, self.count = model, remove, count
        self.sample_shape, self.flatten, self.progress = tuple(sample_shape), flatten, progress
        check_fits_model(model, self.sample_shape, flatten)
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
            output = tf.convert_to_tensor(call_model(self.model, self._model_input(rows)))
            if output.shape.rank not in (None, 1, 2):
                raise ValueError(f"explained_model: expected outputs of shape (n,) or (n, outputs), got outputs of "
                                 f"shape {static_shape(output)} (rank {output.shape.rank})")
            return tf.cast(output, tf.float32)

        return predict(x), predict(self._reduced_rows(x))

    def _build_removal(self, x):
        return self._reduced_rows(x)

    def _numpy_predict(self, rows):
        if self.flatten:
            rows = rows.reshape(len(rows), -1)
        try:
            output = self._predict(rows)
        except Exception as error:
            raise ValueError(f"explained_model: failed on a batch of shape {rows.shape} and dtype {rows.dtype} "
                             f"({type(error).__name__}: {error})") from error
        output = np.asarray(output)
        if output.dtype.kind not in "iuf":
            raise TypeError(f"explained_model: expected numeric outputs, got {describe(output)}")
        check_rows(output, len(rows))
        return _as_rows(output.astype(np.float32))

    def _chunk(self, x):
        if is_tensorflow_model(self.model):
            full, masked = self._run(x)
            check_rows(full, len(x))
            check_rows(masked, len(x) * self.count)
        else:
            full = self._numpy_predict(x)
            masked = self._numpy_predict(self._run(x))
        full, masked = _as_rows(full), _as_rows(masked)
        return full, masked.reshape(len(x), self.count, full.shape[1])

    def __call__(self, X):
        if len(X) == 0:  # the number of outputs, from one all-zero sample
            outputs = self._chunk(np.zeros((1,) + X.shape[1:], X.dtype))[0].shape[1]
            return np.zeros((0, outputs), np.float32), np.zeros((0, self.count, outputs), np.float32)
        chunk = max(1, ROWS_PER_CALL // self.count)
        full, masked = zip(*(self._chunk(X[rows]) for rows in row_slices(len(X), chunk, self.progress,
                                                                          desc="masked predictions")))
        return np.concatenate(full), np.concatenate(masked)
