"""The model adapter: one way to evaluate any model on many rows, for every package.

``Predictor(model, batch_size)`` turns a Keras 3 or tf_keras model (or its bound ``predict``),
a ``tf.Module``, a scikit-learn / XGBoost / LightGBM estimator (``predict_proba``, else
``predict``) or any callable on arrays into ``predictor(X) -> (n, n_outputs)`` float64
predictions, streamed in chunks of at most ``batch_size`` rows (default:
:func:`default_batch_size`, the one chunk policy of the distribution).

TensorFlow models run through one function compiled once per row shape by the deepexplain
runtime (inference mode), fed float32; ``Predictor.tensor`` is their entry for code that
differentiates the model, ``Predictor.forward`` their layer activations. Other models get one
call per chunk, on rows at the dtype the user passed (float64 stays float64, so a model that
compares in float64 takes the branch it would take on the user's data).

A Keras model's bound ``predict`` (``Predictor(model.predict)``) is recognised and compiled
like the model; so is a Python function of TensorFlow ops in session style, once its first
call returns a graph tensor. A function that wraps it (``lambda x: model.predict(x)``) is a black box: it
is called once per chunk through Keras' own ``predict`` loop (slow for many small calls, and
not differentiable), so pass the model or its bound ``predict`` instead.

``stream`` evaluates rows that are built chunk by chunk (coalitions, perturbed copies, grid
points), so that memory stays bounded by ``batch_size`` whatever their number.
"""
import numbers
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf

from .batching import row_slices
from .keras_models import call_model, is_keras_model, is_tensorflow_model, keras_input_specs
from .layers import forward_function
from .runtime import default_runtime, is_graph_tensor
from .targets import ModelTarget, strip_softmax
from .validation import boolean, describe, positive_int

MAX_ROWS = 8192
"""Most rows per model call when no ``batch_size`` is given."""

MAX_CHUNK_BYTES = 64 * 2**20
"""Most input bytes per model call when no ``batch_size`` is given (large rows, e.g. images)."""

BOUND_CALLS = ("predict", "predict_on_batch", "__call__")
"""The bound methods of a Keras model that are recognised as the model itself."""


def default_batch_size(row_bytes):
    """Rows per call for rows of ``row_bytes`` bytes: at most ``MAX_ROWS`` and ``MAX_CHUNK_BYTES``."""
    return int(max(1, min(MAX_ROWS, MAX_CHUNK_BYTES // max(int(row_bytes), 1))))


def resolve_model(model):
    """``model``, or the Keras model whose bound ``predict`` (or ``predict_on_batch``,
    ``__call__``) ``model`` is."""
    owner = getattr(model, "__self__", None)
    if owner is not None and is_keras_model(owner) and getattr(model, "__name__", None) in BOUND_CALLS:
        return owner
    return model


def model_output(model, x, name="model", logits=False):
    """The single output tensor of the TensorFlow ``model`` on the tensor ``x`` (inference mode);
    with ``logits``, the input of a final softmax."""
    output = call_model(model, x)
    if isinstance(output, (list, tuple, dict)):
        raise TypeError(
            f"{name}: expected a model with one output, got a {type(output).__name__} of {len(output)} outputs; "
            "wrap the model in a function that returns the output to use"
        )
    output = tf.convert_to_tensor(output)
    return strip_softmax(output) if logits else output


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


def _fits(expected, given):
    """Whether rows of shape ``given`` fit a declared row shape ``expected`` (None: any size;
    a trailing axis of size 1 may be missing on either side, as Keras allows)."""
    if len(expected) == len(given) + 1 and expected[-1] == 1:
        expected = expected[:-1]
    elif len(given) == len(expected) + 1 and given[-1] == 1:
        given = given[:-1]
    return len(expected) == len(given) and all(e is None or e == g for e, g in zip(expected, given))


def _batch_description(rows):
    shape = getattr(rows, "shape", None)
    if shape is None:
        return f"a {type(rows).__name__} of {len(rows)} rows"
    return f"a batch of shape {tuple(shape)} and dtype {getattr(rows, 'dtype', '?')}"


def predict_streamed(predictor, n_rows, make_rows, progress=False, desc=None, prefetch=True, name="X"):
    """The ``(n_rows, n_outputs)`` predictions of the rows ``make_rows(start, stop)`` builds,
    through ``predictor.stream``: with ``prefetch`` the next chunk is built while the model runs
    on the current one, so at most two chunks of input rows exist at a time."""
    outputs = None
    for rows, predictions in predictor.stream(n_rows, make_rows, progress, desc, prefetch=prefetch, name=name):
        if outputs is None:
            outputs = np.empty((n_rows, predictions.shape[1]))
        outputs[rows] = predictions
    return outputs


class _CompiledCall:
    """A TensorFlow model compiled once per input row shape and dtype by the deepexplain runtime."""

    def __init__(self, predictor, session=None):
        self.predictor = predictor
        self.runtime = default_runtime(session)
        self.functions = {}

    def _build(self, x):
        output = model_output(self.predictor.model, x, self.predictor.name, self.predictor.logits)
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

    Parameters
    ----------
    model : Keras 3 / tf_keras model or layer (or its bound ``predict``), ``tf.Module``,
        ``tf.function``, scikit-learn / XGBoost / LightGBM estimator (``predict_proba`` is used
        when it has one, else ``predict``) or callable
        Takes a batch of rows and returns one prediction per row.
    batch_size : int, optional
        Most rows per model call (default: :func:`default_batch_size` of the row size).
    session : tf.compat.v1.Session, optional
        For TF1 session-style code, the session holding the model's variables (default: the
        default session when eager execution is disabled).
    name : str
        The caller's name for ``model`` in error messages and warnings.
    logits : bool
        For a TensorFlow model ending in a softmax, predict its input (the logits).
    warn_nonfinite : bool
        Warn once (``RuntimeWarning``) when the model returns NaN or infinite outputs.
    flatten_outputs : bool
        Outputs with more than two axes become one column per output unit; with False they
        are refused.

    Outputs of shape ``(n,)`` become ``(n, 1)``. ``n_outputs`` is known after the first call.
    Rows whose shape does not fit the shape the model declares (a Keras model's input, an
    estimator's ``n_features_in_``) are refused with a ValueError naming the caller's parameter.

    Example::

        predictor = Predictor(model, batch_size=4096)
        probabilities = predictor(X)                       # (len(X), n_classes)
        for rows, predictions in predictor.stream(n, make_rows):
            ...                                            # make_rows(start, stop) builds rows[start:stop]
    """

    def __init__(self, model, batch_size=None, session=None, name="model", logits=False, warn_nonfinite=True,
                 flatten_outputs=True):
        self.model = resolve_model(model)
        self.name = name
        self.session = session
        self.batch_size = positive_int("batch_size", batch_size, allow_none=True)
        self.logits = boolean("logits", logits)
        self.warn_nonfinite = warn_nonfinite
        self.flatten_outputs = flatten_outputs
        self.n_outputs = None
        self.differentiable = is_tensorflow_model(self.model)
        self._warned = False
        self._forward = {}
        if self.differentiable:
            self._call = _CompiledCall(self, session)
        elif callable(getattr(self.model, "predict_proba", None)):
            self._call = self.model.predict_proba
        elif callable(getattr(self.model, "predict", None)):
            self._call = self.model.predict
        elif callable(self.model):
            self._call = self.model
        else:
            raise TypeError(
                f"{name}: expected a Keras model, a tf.Module, a scikit-learn estimator (with predict_proba "
                f"or predict) or a callable on a batch of rows, got {describe(model)}"
            )

    @property
    def trace_count(self):
        """How often a TensorFlow model was traced (0 for other models)."""
        return self._call.trace_count if self.differentiable else 0

    @property
    def row_shape(self):
        """The shape of one row the model declares (None for free sizes), or None when it declares
        none: a Keras model's single input, or an estimator's ``n_features_in_``."""
        specs = keras_input_specs(self.model)
        if specs:
            return specs[0][1][1:] if len(specs) == 1 else None
        owner = getattr(self.model, "__self__", self.model)
        features = getattr(owner, "n_features_in_", None)
        return (int(features),) if isinstance(features, numbers.Integral) else None

    def check_row_shape(self, name, row_shape):
        """Raise a ValueError naming ``name`` unless rows of shape ``row_shape`` fit the model."""
        expected, given = self.row_shape, tuple(row_shape)
        if expected is not None and not _fits(tuple(expected), given):
            raise ValueError(
                f"{name}: expected rows of shape {tuple(expected)} (the input of {self.name} "
                f"{type(self.model).__name__}), got rows of shape {given}"
            )

    def tensor(self, x):
        """The model's output on the tensor ``x`` as float32, inside a compiled function (for
        code that differentiates the model; ``differentiable`` models only)."""
        if not self.differentiable:
            raise TypeError(f"{self.name}: expected a TensorFlow model to call on tensors, got {describe(self.model)}")
        return tf.cast(model_output(self.model, x, self.name, self.logits), tf.float32)

    def forward(self, X, layers=(), name="layer", rows_name="X"):
        """``[activations of layers..., output]`` for the float32 rows ``X`` of a TensorFlow model,
        from one compiled forward pass per row shape, in chunks of the predictor's batch size
        (``name`` and ``rows_name`` name ``layers`` and ``X`` in errors); warns once when the
        output holds NaN or infinite values."""
        if not self.differentiable:
            raise TypeError(f"{self.name}: expected a TensorFlow model to read layers of, got {describe(self.model)}")
        self.check_row_shape(rows_name, X.shape[1:])
        key = tuple(id(layer) if not isinstance(layer, str) else layer for layer in layers) + (X.shape[1:],)
        if key not in self._forward:
            spec = tf.TensorSpec([None, *X.shape[1:]], tf.float32, name="input_0")
            target = ModelTarget(self.model, self.logits)
            self._forward[key] = forward_function(self._call.runtime, target, [spec], layers, name)
        run = self._forward[key]
        step = self.batch_size or default_batch_size(X[:1].nbytes)
        chunks = [run(X[rows]) for rows in row_slices(len(X), step)]
        results = [np.concatenate(parts) for parts in zip(*chunks)]
        self._check_finite(results[-1].reshape(len(X), -1))
        return results

    def _model_call(self, rows):
        if self.differentiable:
            return self._call(rows)
        try:
            output = self._call(rows)
        except Exception as error:
            raise ValueError(
                f"{self.name}: failed on {_batch_description(rows)} ({type(error).__name__}: {error})"
            ) from error
        if is_graph_tensor(output):  # a function of TensorFlow ops in a session graph: compiled from now on
            self.differentiable = True
            self._call = _CompiledCall(self, self.session)
            return self._call(rows)
        return output

    def _predict(self, rows, name="X"):
        n = len(rows)
        if getattr(rows, "ndim", 0) >= 2 and getattr(rows, "dtype", None) is not None:
            self.check_row_shape(name, rows.shape[1:])
        output = self._model_call(rows)
        if isinstance(output, dict):
            raise TypeError(f"{self.name}: expected one output array per call, got a dict of outputs")
        output = np.asarray(output)
        if output.dtype.kind not in "biuf":
            raise TypeError(
                f"{self.name}: expected numeric outputs, got {describe(output)}; for a classifier "
                "without predict_proba pass a function returning scores"
            )
        output = output.astype(np.float64, copy=False)
        if output.ndim == 0 or output.shape[0] != n or (not self.flatten_outputs and output.ndim > 2):
            expected = "(n, ...)" if self.flatten_outputs else "(n,) or (n, outputs)"
            raise ValueError(f"{self.name}: expected outputs of shape {expected} with one row per sample, "
                             f"got shape {output.shape} for a batch of {n} samples")
        output = output.reshape(n, -1)
        if self.n_outputs is None:
            self.n_outputs = output.shape[1]
        elif output.shape[1] != self.n_outputs:
            raise ValueError(f"{self.name}: expected {self.n_outputs} outputs per row as before, got {output.shape[1]}")
        self._check_finite(output)
        return output

    def _check_finite(self, output):
        if not self.warn_nonfinite or self._warned:
            return
        bad = int(np.count_nonzero(~np.isfinite(output).all(axis=1)))
        if bad:
            self._warned = True
            warnings.warn(
                f"{self.name}: the model ({type(self.model).__name__}) returned NaN or infinite outputs for {bad} "
                f"of {len(output)} rows; results computed from them are NaN or meaningless (warned once)",
                RuntimeWarning,
                stacklevel=4,
            )

    def __call__(self, X, progress=False, desc=None, name="X"):
        """Predictions for every row of ``X`` (an array, or a list such as a list of strings);
        ``name`` is the caller's name for ``X`` in error messages."""
        n_rows = len(X)
        if n_rows == 0:
            raise ValueError(f"{name}: expected at least one row, got none")
        make_rows = lambda start, stop: X[start:stop]
        return predict_streamed(self, n_rows, make_rows, progress, desc, prefetch=False, name=name)

    def stream(self, n_rows, make_rows, progress=False, desc=None, batch_size=None, prefetch=False, name="X"):
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
                yield rows, self._predict(make_rows(rows.start, rows.stop), name)
            return
        with ThreadPoolExecutor(max_workers=1) as builder:
            rows = next(slices, None)
            pending = builder.submit(make_rows, rows.start, rows.stop) if rows is not None else None
            while rows is not None:
                chunk = pending.result()
                following = next(slices, None)
                if following is not None:
                    pending = builder.submit(make_rows, following.start, following.stop)
                yield rows, self._predict(chunk, name)
                rows = following
