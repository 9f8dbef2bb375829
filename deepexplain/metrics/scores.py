"""The model output that attributions explain, evaluated on many perturbed copies at once.

``TargetScores(model)`` scores rows by the explained output unit (``targets[i]``; -1 sums all
units), on the logits of a model ending in a softmax unless ``logits=False``, like the
explainers. Copies are built a chunk at a time and streamed through one compiled model
function (:class:`deepexplain.explainable.prediction.Predictor`), so memory stays bounded by
``batch_size`` rows whatever the number of copies.
"""
import numpy as np
import tensorflow as tf

from ..models import Predictor
from ..targets import call_model, strip_softmax
from ..validation import as_float_array


class _Logits(tf.Module):
    """A model's pre-softmax output."""

    def __init__(self, model):
        super().__init__(name="logits")
        self.model = model

    def __call__(self, x):
        return strip_softmax(tf.convert_to_tensor(call_model(self.model, x)))


def check_targets(targets, n):
    """``targets`` as n int64 output units (-1: every unit summed); None means -1."""
    if targets is None:
        return np.full(n, -1, np.int64)
    targets = np.asarray(targets)
    if targets.ndim == 0:
        targets = np.full(n, int(targets), np.int64)
    if targets.shape != (n,) or targets.dtype.kind not in "iu":
        raise ValueError(f"targets: expected {n} integer output units (one per sample, -1 for all), got {targets.shape} {targets.dtype}")
    return targets.astype(np.int64)


def check_attributions(xs, attributions):
    """``xs`` and ``attributions`` as float32 arrays of one shape."""
    xs = as_float_array("xs", xs)
    attributions = as_float_array("attributions", attributions, finite=False)
    if attributions.shape != xs.shape:
        raise ValueError(f"attributions: expected the shape of xs {xs.shape}, got {attributions.shape}")
    return xs, np.nan_to_num(attributions)


def check_baseline(baseline, xs):
    """One sample's baseline (zeros when None)."""
    if baseline is None:
        return np.zeros(xs.shape[1:], np.float32)
    baseline = np.broadcast_to(as_float_array("baseline", baseline), xs.shape[1:]) if np.ndim(baseline) == 0 else as_float_array("baseline", baseline)
    if baseline.shape != xs.shape[1:]:
        raise ValueError(f"baseline: expected the shape of one sample {xs.shape[1:]}, got {baseline.shape}")
    return baseline


class TargetScores:
    """``scores(rows, targets)``: the explained output of each row, streamed in batches."""

    def __init__(self, model, logits=True, batch_size=None, session=None):
        if isinstance(model, TargetScores):
            raise TypeError("model: expected a model, got TargetScores")
        self.predictor = Predictor(_Logits(model) if logits else model, batch_size, session)

    def __call__(self, rows, targets):
        return _pick(self.predictor(rows), targets)

    def n_outputs(self, rows):
        """The number of model outputs (one prediction of ``rows[:1]`` if not known yet)."""
        if self.predictor.n_outputs is None:
            self.predictor(rows[:1])
        return self.predictor.n_outputs

    def copies(self, n, copies, perturb, targets):
        """``(n, copies)`` scores: entry ``(i, c)`` scores ``perturb(i, cs)[cs.index(c)]``.

        ``perturb(i, cs)`` returns the perturbed copies ``cs`` (an int array) of sample ``i``.
        """
        values = np.empty(n * copies)

        def make_rows(start, stop):
            index = np.arange(start, stop)
            owners, copy = index // copies, index % copies
            return np.concatenate([perturb(i, copy[owners == i]) for i in np.unique(owners)])

        for rows, predictions in self.predictor.stream(n * copies, make_rows):
            values[rows] = _pick(predictions, targets[np.arange(rows.start, rows.stop) // copies])
        return values.reshape(n, copies)


def _pick(predictions, targets):
    chosen = predictions[np.arange(len(predictions)), np.maximum(targets, 0)]
    return np.where(targets < 0, predictions.sum(axis=1), chosen)
