"""The model output that attributions explain, evaluated on many perturbed copies at once.

``TargetScores(model)`` scores rows by the explained output unit (``targets[i]``; -1 sums all
units), on the logits of a TensorFlow model ending in a softmax unless ``logits=False``, like the
explainers (a black box, e.g. a scikit-learn estimator, is scored on its outputs). Copies are
built a chunk at a time and streamed through the model adapter
(:class:`deepexplain.models.Predictor`), so memory stays bounded by ``batch_size`` rows
whatever the number of copies.
"""
import numpy as np

from ..models import Predictor
from ..validation import as_float_array, describe


def check_targets(targets, n, n_outputs=None):
    """``targets`` as n int64 output units in ``[-1, n_outputs)`` (-1: every unit summed); None means -1."""
    if targets is None:
        return np.full(n, -1, np.int64)
    given = targets
    targets = np.asarray(targets)
    if targets.ndim == 0 and targets.dtype.kind in "iu":
        targets = np.full(n, int(targets), np.int64)
    if targets.shape != (n,) or targets.dtype.kind not in "iu":
        raise ValueError(f"targets: expected {n} integer output units (one per sample, -1 for all), "
                         f"got {describe(given)}")
    high = np.inf if n_outputs is None else n_outputs
    if n and (targets.min() < -1 or targets.max() >= high):
        bound = "" if n_outputs is None else f" and below the model's {n_outputs} outputs"
        raise ValueError(f"targets: expected output units >= -1{bound}, got values from {targets.min()} to "
                         f"{targets.max()}")
    return targets.astype(np.int64)


def check_attributions(xs, attributions, name="attributions"):
    """``xs`` and ``attributions`` as float32 arrays of one shape, with at least one sample
    (``name`` is the caller's name for ``attributions``); NaN or infinite attributions are refused."""
    xs = as_float_array("xs", xs)
    if xs.ndim < 2 or len(xs) == 0:
        raise ValueError(f"xs: expected a batch (samples, ...) of at least one sample, got shape {xs.shape}")
    attributions = as_float_array(name, attributions)
    if attributions.shape != xs.shape:
        raise ValueError(f"{name}: expected the shape of xs {xs.shape}, got {attributions.shape}")
    return xs, attributions


def check_baseline(baseline, xs):
    """One sample's baseline (zeros when None)."""
    if baseline is None:
        return np.zeros(xs.shape[1:], np.float32)
    baseline = as_float_array("baseline", baseline)
    if baseline.ndim == 0:
        baseline = np.broadcast_to(baseline, xs.shape[1:])
    if baseline.shape != xs.shape[1:]:
        raise ValueError(f"baseline: expected the shape of one sample {xs.shape[1:]}, got {baseline.shape}")
    return baseline


class TargetScores:
    """``scores(rows, targets)``: the explained output of each row, streamed in batches."""

    def __init__(self, model, logits=True, batch_size=None, session=None):
        if isinstance(model, TargetScores):
            raise TypeError("model: expected a model, got TargetScores")
        self.predictor = Predictor(model, batch_size, session, logits=logits)

    def __call__(self, rows, targets):
        return _pick(self.predictor(rows, name="xs"), targets)

    def n_outputs(self, rows):
        """The number of model outputs (one prediction of ``rows[:1]`` if not known yet)."""
        if self.predictor.n_outputs is None:
            self.predictor(rows[:1], name="xs")
        return self.predictor.n_outputs

    def targets(self, targets, xs):
        """``targets`` checked against the samples ``xs`` and the model's outputs (see :func:`check_targets`)."""
        return check_targets(targets, len(xs), self.n_outputs(xs))

    def copies(self, n, copies, perturb, targets):
        """``(n, copies)`` scores: entry ``(i, c)`` scores ``perturb(i, cs)[cs.index(c)]``.

        ``perturb(i, cs)`` returns the perturbed copies ``cs`` (an int array) of sample ``i``.
        """
        values = np.empty(n * copies)
        for rows, scores in self.copy_batches(n, copies, perturb, targets):
            values[rows] = scores
        return values.reshape(n, copies)

    def copy_batches(self, n, copies, perturb, targets):
        """The scores of :meth:`copies` as they come: yields ``(rows, scores)``, ``rows`` a slice of
        the ``n · copies`` rows (sample-major: row ``r`` is copy ``r % copies`` of sample ``r // copies``)."""

        def make_rows(start, stop):
            index = np.arange(start, stop)
            owners, copy = index // copies, index % copies
            return np.concatenate([perturb(i, copy[owners == i]) for i in np.unique(owners)])

        for rows, predictions in self.predictor.stream(n * copies, make_rows, name="xs"):
            yield rows, _pick(predictions, targets[np.arange(rows.start, rows.stop) // copies])


def _pick(predictions, targets):
    chosen = predictions[np.arange(len(predictions)), np.maximum(targets, 0)]
    return np.where(targets < 0, predictions.sum(axis=1), chosen)
