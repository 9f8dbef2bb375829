"""The model adapter: one way to evaluate any model on many rows, for every package.

``Predictor(model, batch_size)`` turns a Keras 3 or tf_keras model, a ``tf.Module``, a
scikit-learn estimator (``predict_proba``, else ``predict``) or any callable on arrays into
``predictor(X) -> (n, n_outputs)`` float64 predictions, streamed in chunks of at most
``batch_size`` rows. TensorFlow models run through one function compiled once by the
deepexplain runtime (inference mode, ``deepexplain.targets.call_model``), fed float32; other
models get one call per chunk, on rows at the dtype the user passed (float64 stays float64, so
a model that compares in float64 takes the branch it would take on the user's data). ``stream`` evaluates rows that are built chunk by chunk (coalitions, perturbed
copies, grid points), so that memory stays bounded by ``batch_size`` whatever their number.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf

from .batching import row_slices
from .runtime import default_runtime
from .targets import ModelTarget, is_tensorflow_model
from .validation import describe, positive_int

MAX_ROWS = 8192
"""Most rows per model call when no ``batch_size`` is given."""

MAX_CHUNK_BYTES = 64 * 2**20
"""Most input bytes per model call when no ``batch_size`` is given (large rows, e.g. images)."""


def default_batch_size(row_bytes):
    """Rows per call for rows of ``row_bytes`` bytes: at most ``MAX_ROWS`` and ``MAX_CHUNK_BYTES``."""
    return int(max(1, min(MAX_ROWS, MAX_CHUNK_BYTES // max(int(row_bytes), 1))))


def _tensor_dtype(rows):
    """The TensorFlow dtype a compiled model is fed ``rows`` in."""
    if rows.dtype.kind in "USO":
        return tf.string
    if rows.dtype.kind in "iu":
        return tf.as_dtype(rows.dtype)
    return tf.float32


def _as_numpy_rows(rows):
    rows = np.asarray(rows)
    return rows.astype(np.float32) if rows.dtype.kind in "fb" and rows.dtype != np.float32 else rows


def predict_streamed(predictor, n_rows, make_rows, progress=False, desc=None, prefetch=True):
    """The ``(n_rows, n_outputs)`` predictions of the rows ``make_rows(start, stop)`` builds,
    through ``predictor.stream``: with ``prefetch`` the next chunk is built while the model runs
    on the current one, so at most two chunks of input rows exist at a time."""
    outputs = None
    for rows, predictions in predictor.stream(n_rows, make_rows, progress, desc, prefetch=prefetch):
        if outputs is None:
            outputs = np.empty((n_rows, predictions.shape[1]))
        outputs[rows] = predictions
    return outputs


class _CompiledCall:
    """A TensorFlow model compiled once per input row shape and dtype by the deepexplain runtime."""

    def __init__(self, model, session=None):
        self.target = ModelTarget(model, logits=False)
        self.runtime = default_runtime(session)
        self.functions = {}

    def _build(self, x):
        output = tf.convert_to_tensor(self.target([x]))
        return tf.reshape(tf.cast(output, tf.float64), [tf.shape(output)[0], -1])

    def __call__(self, rows):
        rows = _as_numpy_rows(rows)
        key = (rows.shape[1:], rows.dtype.str)
        if key not in self.functions:
            spec = tf.TensorSpec([None, *rows.shape[1:]], _tensor_dtype(rows), name="rows")
            self.functions[key] = self.runtime.compile(self._build, [spec])
        return self.functions[key](rows)

    @property
    def trace_count(self):
        """How often the model was traced (eager style): once per input row shape."""
        return getattr(self.runtime, "trace_count", len(self.functions))


class Predictor:
    """Batched predictions of any model: ``predictor(X)`` → float64 ``(n, n_outputs)``.

    Args:
        model: a Keras 3 / tf_keras model or layer, a ``tf.Module``, a ``tf.function``, a
            scikit-learn estimator (``predict_proba`` is used when it has one, else ``predict``)
            or any callable taking a batch of rows and returning one prediction per row.
        batch_size: most rows per model call (default: ``MAX_ROWS``, fewer for large rows so
            that one call's input stays under ``MAX_CHUNK_BYTES``).
        session: for TF1 session-style code, the ``tf.compat.v1.Session`` holding the model's
            variables (default: the default session when eager execution is disabled).

    Outputs of shape ``(n,)`` become ``(n, 1)``; outputs with more axes are flattened to one
    column per output unit. ``n_outputs`` is known after the first call.

    Example::

        predictor = Predictor(model, batch_size=4096)
        probabilities = predictor(X)                       # (len(X), n_classes)
        for rows, predictions in predictor.stream(n, make_rows):
            ...                                            # make_rows(start, stop) builds rows[start:stop]
    """

    def __init__(self, model, batch_size=None, session=None):
        self.model = model
        self.batch_size = positive_int("batch_size", batch_size, allow_none=True)
        self.n_outputs = None
        if is_tensorflow_model(model):
            self._call = _CompiledCall(model, session)
        elif hasattr(model, "predict_proba") and callable(model.predict_proba):
            self._call = model.predict_proba
        elif hasattr(model, "predict") and callable(model.predict):
            self._call = model.predict
        elif callable(model):
            self._call = model
        else:
            raise TypeError(
                "model: expected a Keras model, a tf.Module, a scikit-learn estimator (with predict_proba "
                f"or predict) or a callable on a batch of rows, got {describe(model)}"
            )

    @property
    def trace_count(self):
        """How often a TensorFlow model was traced (0 for other models)."""
        return self._call.trace_count if isinstance(self._call, _CompiledCall) else 0

    def _predict(self, rows):
        n = len(rows)
        output = self._call(rows)
        if isinstance(output, dict):
            raise TypeError("model: expected one output array per call, got a dict of outputs")
        try:
            output = np.asarray(output, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"model: expected numeric predictions, got {describe(np.asarray(output))}; for a classifier "
                "without predict_proba pass a function returning scores"
            ) from None
        if output.ndim == 0 or output.shape[0] != n:
            raise ValueError(f"model: expected one prediction per row ({n} rows), got output of shape {output.shape}")
        output = output.reshape(n, -1)
        if self.n_outputs is None:
            self.n_outputs = output.shape[1]
        elif output.shape[1] != self.n_outputs:
            raise ValueError(f"model: expected {self.n_outputs} outputs per row as before, got {output.shape[1]}")
        return output

    def _rows_per_call(self, row_bytes):
        return self.batch_size if self.batch_size else default_batch_size(row_bytes)

    def __call__(self, X, progress=False, desc=None):
        """Predictions for every row of ``X`` (an array, or a list such as a list of strings)."""
        n_rows = len(X)
        if n_rows == 0:
            raise ValueError("X: expected at least one row, got none")
        return predict_streamed(self, n_rows, lambda start, stop: X[start:stop], progress, desc, prefetch=False)

    def stream(self, n_rows, make_rows, progress=False, desc=None, batch_size=None, prefetch=False):
        """Yield ``(slice, predictions)`` over ``range(n_rows)`` in chunks; ``make_rows(start, stop)``
        builds only the rows of one chunk, so at most ``batch_size`` rows exist at a time
        (``batch_size`` here overrides the predictor's for this stream).

        With ``prefetch`` the next chunk is built in a second thread while the model runs on
        the current one (two chunks exist at a time); ``make_rows`` must then be safe to call
        from another thread (not reuse one buffer for every chunk)."""
        batch_size = batch_size or self.batch_size
        if batch_size is None:
            first = make_rows(0, 1)
            batch_size = default_batch_size(np.asarray(first).nbytes if not isinstance(first, list) else 1024)
        slices = row_slices(n_rows, batch_size, progress, desc)
        if not prefetch:
            for rows in slices:
                yield rows, self._predict(make_rows(rows.start, rows.stop))
            return
        with ThreadPoolExecutor(max_workers=1) as builder:
            rows = next(slices, None)
            pending = builder.submit(make_rows, rows.start, rows.stop) if rows is not None else None
            while rows is not None:
                chunk = pending.result()
                following = next(slices, None)
                if following is not None:
                    pending = builder.submit(make_rows, following.start, following.stop)
                yield rows, self._predict(chunk)
                rows = following
