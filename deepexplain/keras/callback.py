"""``AttributionCallback``: attribution maps of a fixed probe set during Keras training."""
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import tf_keras

from ..methods import METHODS
from ..metrics import TargetScores
from ..plotting import symmetric_limit
from ..validation import as_float_array, boolean, describe, positive_int
from .attributors import PERMUTATION_IMPORTANCE, MethodAttributions, PermutationAttributions, graph_session
from .epoch_metrics import EpochMetrics, check_metrics, check_targets
from .events import EventWriter
from .history import EpochFile
from .images import grid, png, two_d


def _digest(value):
    """A JSON-safe description of a parameter: arrays by shape and SHA-256."""
    if isinstance(value, (list, tuple)) and not all(isinstance(v, (int, float, str, bool)) for v in value):
        return [_digest(v) for v in value]
    if isinstance(value, np.ndarray) or hasattr(value, "shape"):
        array = np.ascontiguousarray(np.asarray(value))
        return {"shape": list(array.shape), "sha256": hashlib.sha256(array.tobytes()).hexdigest()}
    try:
        json.dumps(value)
    except TypeError:
        return getattr(value, "name", None) or repr(value)  # a Keras layer by its name
    return value


def _path(name, value):
    if value is None or isinstance(value, (str, os.PathLike)):
        return value
    raise TypeError(f"{name}: expected a path (str or os.PathLike) or None, got {describe(value)}")


class AttributionCallback(keras.callbacks.Callback, tf_keras.callbacks.Callback):
    """Explain a fixed probe set every ``every`` epochs while a Keras model trains.

    A callback of Keras 3 and of tf_keras alike (it subclasses both ``Callback`` bases), for
    ``model.fit(..., callbacks=[AttributionCallback(...)])`` in eager code and in tf_keras
    graph-mode training (eager execution disabled). On each logged epoch it

    1. explains ``xs`` with the current weights through an explainer compiled once (its
       function reads the model's variables: no retracing, no new graph ops; DeepLIFT's and
       DeepShap's reference activations are recomputed in place, see ``Explainer.refresh``);
    2. appends the maps to the HDF5 file ``out`` (``/attributions/<method>``: epochs ×
       samples × features, ``/epochs``; see :mod:`deepexplain.keras.history`), which a later
       ``fit`` with the same ``out`` continues;
    3. writes them to TensorBoard in ``log_dir``: the image ``attributions/<method>`` (every
       probe's map, channels summed, in ``RdBu_r`` on ``[-limit, limit]``, ``limit`` fixed on the
       first logged epoch as the 99.5th percentile of its absolute values and kept for the whole
       series, resumed runs included), and the scalars ``attributions/<method>/<metric>`` and
       ``attributions/<method>/mean_abs`` (the mean absolute attribution, which shows changes of
       scale the fixed colour scale saturates).

    Parameters
    ----------
    method : str
        A name of ``deepexplain.METHODS``, or ``"permutation_importance"`` (the toolbox's
        ``PermutationImportance`` on tabular probe rows; ``ys`` are then their labels).
    xs : array
        The probe samples, batch first (one input).
    ys : array, optional
        Weights of the model output per sample, as for ``deepexplain.explain`` (one-hot rows pick
        a unit; all ones when None); labels for permutation importance.
    every : int
        Log on the epochs ``e`` (0-based) with ``(e + 1) % every == 0``.
    log_dir, out : path, optional
        TensorBoard log directory (events go to ``log_dir`` itself) and HDF5 file; at least one.
    metrics : names or dict
        Any of ``"completeness"``, ``"deletion"``, ``"insertion"``, ``"sensitivity_n"``,
        ``"infidelity"`` (:mod:`deepexplain.metrics`), or a dict of those names to their
        parameters (``{"sensitivity_n": {"n_subsets": 20}}``). They need ``ys`` one-hot or None.
    batch_size : int, optional
        Most rows per model call.
    logits : bool
        Explain the pre-softmax output of a model ending in a softmax.
    **params
        The method's parameters (``steps=``, ``baseline=``, ``layer=``; ``metric=``,
        ``n_repeats=``, ``random_state=`` (default 0) for permutation importance).

    Epochs restart at 0 in a second ``fit`` unless ``initial_epoch`` is given; when they would
    go back in the file (or in this callback's own history), they are shifted to continue after
    the last recorded epoch.
    """

    def __init__(self, method, xs, ys=None, every=1, log_dir=None, out=None, metrics=(), batch_size=None,
                 logits=True, **params):
        keras.callbacks.Callback.__init__(self)
        self.validation_data = None  # the attributes tf_keras's callback lists read
        self._chief_worker_only = None
        self._supports_tf_logs = False
        if not isinstance(method, str) or method not in (*METHODS, PERMUTATION_IMPORTANCE):
            names = sorted(METHODS) + [PERMUTATION_IMPORTANCE]
            raise ValueError(f"method: expected one of {names}, got {describe(method)}")
        self.xs = as_float_array("xs", xs)
        if self.xs.ndim < 2 or len(self.xs) == 0:
            raise ValueError(f"xs: expected at least one probe sample, batch first, got shape {self.xs.shape}")
        if method == PERMUTATION_IMPORTANCE and self.xs.ndim != 2:
            raise ValueError(f"xs: {PERMUTATION_IMPORTANCE} expected rows of features (samples, features), got shape "
                             f"{self.xs.shape}")
        self.ys = self._check_ys(method, ys, len(self.xs))
        self.every = positive_int("every", every)
        self.log_dir, self.out = _path("log_dir", log_dir), _path("out", out)
        if log_dir is None and out is None:
            raise ValueError("log_dir, out: expected a TensorBoard directory, an HDF5 file or both, got neither")
        chosen = check_metrics(metrics)
        batch_size = positive_int("batch_size", batch_size, allow_none=True)
        boolean("logits", logits)
        self.method = method
        if method == PERMUTATION_IMPORTANCE:
            if chosen:
                raise ValueError(f"metrics: {PERMUTATION_IMPORTANCE} gives one importance per feature, not per-sample "
                                 f"attributions the metrics can score; got {sorted(chosen)}")
            self._attributions = PermutationAttributions(params, batch_size)
        else:
            self._attributions = MethodAttributions(method, params, bool(logits), batch_size)
        self._metrics = EpochMetrics(chosen, check_targets(self.ys, len(self.xs)), params) if chosen else None
        self._scores = None
        self.logits, self.batch_size = bool(logits), batch_size
        self.job = {"kind": "training_callback", "method": method, "parameters": _digest(params), "logits": self.logits,
                    "xs": _digest(self.xs), "ys": _digest(self.ys), "metrics": _digest(chosen)}
        self.colour_limit = None
        self.last_epoch = None
        self._shift = None
        self._file = self._writer = self._background = None
        self._pending = None

    @staticmethod
    def _check_ys(method, ys, n):
        if ys is None:
            if method == PERMUTATION_IMPORTANCE:
                raise ValueError(f"ys: {PERMUTATION_IMPORTANCE} needs the labels of the probe rows, got None")
            return None
        ys = np.asarray(ys) if method == PERMUTATION_IMPORTANCE else as_float_array("ys", ys)
        if ys.ndim == 0 or len(ys) != n:
            raise ValueError(f"ys: expected one row per probe sample ({n}), got shape {ys.shape}")
        return ys

    def on_train_begin(self, logs=None):
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="AttributionCallback")
        if self.out is not None:
            probes = {"xs": self.xs} if self.ys is None else {"xs": self.xs, "ys": self.ys}
            self._file = EpochFile(self.out, self.job, probes)
            self.last_epoch = self._file.last_epoch if self.last_epoch is None else self.last_epoch
            self.colour_limit = self._file.colour_limit if self.colour_limit is None else self.colour_limit
        if self.log_dir is not None:
            self._writer = EventWriter(self.log_dir)
        self._shift = None

    def on_epoch_end(self, epoch, logs=None):
        if self._shift is None:
            self._shift = 0 if self.last_epoch is None else max(0, self.last_epoch + 1 - epoch)
        epoch += self._shift
        if (epoch + 1) % self.every:
            return
        self.log(epoch)

    def log(self, epoch):
        """Explain the probe set with the current weights and record it as ``epoch``.

        The maps and metrics are computed here; writing them (HDF5 row, PNG, event) runs in a
        background thread while training goes on, one epoch at a time: the next ``log`` (or
        :meth:`wait`, or the end of training) waits for it and raises its errors."""
        maps, extra = self._attributions(self.model, self.xs, self.ys)
        scalars = {"mean_abs": float(np.mean(np.abs(maps))), **extra}
        rows = {f"attributions/{self.method}": maps}
        if self._metrics is not None:
            per_sample, values = self._metrics(self._target_scores(), self.xs, maps)
            rows.update(per_sample)
            scalars.update(values)
        flat = two_d(maps)
        first = self.colour_limit is None
        if first:
            self.colour_limit = symmetric_limit(flat)
        self.wait()
        self._pending = self._background.submit(self._record, epoch, rows, flat, scalars, first)
        self.last_epoch = epoch

    def _record(self, epoch, rows, flat, scalars, first):
        if self._file is not None:
            if first:
                self._file.colour_limit = self.colour_limit
            self._file.append(epoch, rows)
        if self._writer is not None:
            image = grid(flat, self.colour_limit)
            tag = f"attributions/{self.method}"
            self._writer.write(epoch, {f"{tag}/{k}": v for k, v in scalars.items()},
                               {tag: (image.shape[0], image.shape[1], png(image))})

    def wait(self):
        """Block until the last logged epoch is written (raising what writing it raised)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _target_scores(self):
        if self._scores is None or self._scores[0] is not self.model:
            session = graph_session()
            self._scores = (self.model, TargetScores(self.model, self.logits, self.batch_size, session))
        return self._scores[1]

    def on_train_end(self, logs=None):
        try:
            self.wait()
        finally:
            for resource in (self._file, self._writer):
                if resource is not None:
                    resource.close()
            self._background.shutdown()
            self._file = self._writer = self._background = None
