"""Predictions of the explained model on every sample and on each of its reduced copies.

The explained model is called through the model adapter (:class:`deepexplain.models.Predictor`).
For a TensorFlow model (Keras 3, tf_keras, its bound ``predict``, or ``tf.Module``) one compiled
function removes every position of a chunk of samples and calls the model (the adapter's
tensor entry) once on all reduced copies, on the device. For a scikit-learn estimator or any
other callable, the removal is compiled the same way and the adapter predicts the stacked
copies of one chunk.
"""
import numpy as np
import tensorflow as tf

from deepexplain.batching import row_slices
from deepexplain.models import Predictor, default_batch_size
from deepexplain.runtime import static_shape

from .style import runtime


def explained_model_predictor(model):
    """The model adapter for the explained model, in the session of the current style."""
    return Predictor(model, session=getattr(runtime(), "session", None), name="explained_model",
                     warn_nonfinite=False, flatten_outputs=False)


def check_explained_model(model):
    """Raise a TypeError unless ``model`` can be called on a batch."""
    explained_model_predictor(model)


def check_fits_model(predictor, sample_shape, flatten):
    """Raise a ValueError when samples of ``sample_shape`` cannot be the explained model's input."""
    expected = predictor.row_shape
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
        self.predictor = explained_model_predictor(model)
        self.remove, self.count = remove, count
        self.sample_shape, self.flatten, self.progress = tuple(sample_shape), flatten, progress
        check_fits_model(self.predictor, self.sample_shape, flatten)
        spec = tf.TensorSpec((None,) + self.sample_shape, dtype)
        build = self._build_with_model if self.predictor.differentiable else self._reduced_rows
        self._run = runtime().compile(build, [spec])

    def _model_input(self, x):
        return tf.reshape(x, (-1, int(np.prod(self.sample_shape)))) if self.flatten else x

    def _reduced_rows(self, x):
        return tf.reshape(self.remove(x), (-1,) + self.sample_shape)

    def _build_with_model(self, x):
        def predict(rows):
            output = self.predictor.tensor(self._model_input(rows))
            if output.shape.rank not in (None, 1, 2):
                raise ValueError(f"explained_model: expected outputs of shape (n,) or (n, outputs), got outputs of "
                                 f"shape {static_shape(output)} (rank {output.shape.rank})")
            return output

        return predict(x), predict(self._reduced_rows(x))

    def _numpy_predict(self, rows):
        if self.flatten:
            rows = rows.reshape(len(rows), -1)
        return self.predictor(rows).astype(np.float32)

    def _chunk(self, x):
        if self.predictor.differentiable:
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
        chunk = max(1, default_batch_size(X[:1].nbytes) // self.count)
        full, masked = zip(*(self._chunk(X[rows]) for rows in row_slices(len(X), chunk, self.progress,
                                                                          desc="masked predictions")))
        return np.concatenate(full), np.concatenate(masked)
