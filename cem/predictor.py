"""A classifier as CEM and Counterfactual use it: NumPy in, checked class probabilities out.

Keras models (Keras 3 or tf_keras), ``tf.Module``s and ``tf.function``s are
*differentiable*: they are also called on tensors inside compiled functions, so
gradients come from autodiff. Any other callable is a black box.
"""
import warnings

import numpy as np
import tensorflow as tf

from deepexplain.targets import call_model, is_tensorflow_model
from deepexplain.validation import describe


def check_probabilities(name, probs, n_rows):
    """``probs`` as a float array of shape ``(n_rows, classes)`` whose rows are distributions.

    Rows with NaN or infinite values are kept (they never count as a solution) and warned about.
    """
    probs = np.asarray(probs.numpy() if hasattr(probs, "numpy") else probs)
    if probs.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected real class probabilities, got {describe(probs)}")
    probs = probs.astype(np.float32, copy=False)
    if probs.ndim != 2 or probs.shape[0] != n_rows or probs.shape[1] < 2:
        raise ValueError(
            f"{name}: the model returned {describe(probs)} for {n_rows} rows; expected class probabilities of "
            f"shape ({n_rows}, n_classes ≥ 2)"
        )
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
    """``predict`` with a NumPy entry point (``__call__``) and, if differentiable, a tensor one."""

    def __init__(self, model, runtime, name="predict"):
        if not callable(model):
            raise TypeError(f"{name}: expected a Keras model or a function returning class probabilities, got {describe(model)}")
        self.model = model
        self.name = name
        self.runtime = runtime
        self.differentiable = is_tensorflow_model(model)
        self._compiled = {}

    def tensor(self, x):
        """The model's output on tensors, as float32 (float16/float64/integer models are cast at the boundary)."""
        return tf.cast(tf.convert_to_tensor(call_model(self.model, x)), tf.float32)

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float32)
        if self.differentiable:
            key = x.shape[1:]
            if key not in self._compiled:
                spec = tf.TensorSpec((None,) + key, tf.float32)
                self._compiled[key] = self.runtime.compile(self.tensor, [spec])
            probs = self._compiled[key](x)
        else:
            probs = self.model(x)
        return check_probabilities(self.name, probs, x.shape[0])
