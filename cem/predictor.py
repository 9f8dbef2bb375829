"""A classifier as CEM and Counterfactual use it: the model adapter plus a check of class probabilities.

``Predictor`` is :class:`deepexplain.models.Predictor` (any Keras model or its bound ``predict``,
``tf.Module``, scikit-learn estimator or callable, batched and compiled once) whose outputs must
be class probabilities. Differentiable models (TensorFlow) also have the adapter's tensor entry,
``tensor``, so gradients come from autodiff; any other model is a black box.
"""
import warnings

import numpy as np

from deepexplain.models import Predictor as ModelAdapter
from deepexplain.validation import describe


def check_probabilities(name, probs):
    """``probs``, the adapter's ``(n, outputs)`` predictions, as float32 class probabilities: at
    least two per row, in [0, 1], each row summing to 1.

    Rows with NaN or infinite values are kept (they never count as a solution) and warned about.
    """
    probs = probs.astype(np.float32)
    if probs.shape[1] < 2:
        raise ValueError(f"{name}: the model returned {probs.shape[1]} output per row; expected class "
                         "probabilities of shape (n, n_classes ≥ 2)")
    finite = np.isfinite(probs).all(1)
    if not finite.all():
        warnings.warn(f"{name}: the model returned NaN or infinite probabilities; those rows are never a solution",
                      RuntimeWarning, stacklevel=3)
    checked = probs[finite]
    sums = checked.sum(1)
    if checked.size and (checked.min() < -1e-4 or checked.max() > 1 + 1e-4 or np.abs(sums - 1).max() > 1e-3):
        raise ValueError(
            f"{name}: expected class probabilities (in [0, 1], each row summing to 1), got values in "
            f"[{checked.min():.3g}, {checked.max():.3g}] with row sums in [{sums.min():.3g}, "
            f"{sums.max():.3g}]; end the model with a softmax or pass predict_proba"
        )
    return probs


class Predictor:
    """``predictor(x, name)``: checked float32 class probabilities of ``model`` on the rows ``x``
    (``name``: the caller's parameter, for errors); for a TensorFlow model also
    ``predictor.tensor(x)``, its output on tensors (``differentiable``)."""

    def __init__(self, model, session=None, name="predict"):
        if not callable(model):
            raise TypeError(f"{name}: expected a Keras model or a function returning class probabilities, "
                            f"got {describe(model)}")
        self.name = name
        self.adapter = ModelAdapter(model, session=session, name=name, warn_nonfinite=False, flatten_outputs=False)
        self.differentiable = self.adapter.differentiable
        self.tensor = self.adapter.tensor

    def __call__(self, x, name="X"):
        x = np.asarray(x, dtype=np.float32)
        return check_probabilities(self.name, self.adapter(x, name=name))
