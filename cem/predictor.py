"""A classifier as CEM and Counterfactual use it: NumPy in, checked class probabilities out.

Keras models (Keras 3 or tf_keras), ``tf.Module``s and ``tf.function``s are
*differentiable*: they are also called on tensors inside compiled functions, so
gradients come from autodiff. Any other callable is a black box.
"""
import numpy as np
import tensorflow as tf

from deepexplain.targets import call_model, is_tensorflow_model
from deepexplain.validation import describe


def check_probabilities(name, probs, n_rows):
    """``probs`` as a float array of shape ``(n_rows, classes)`` whose rows are distributions."""
    probs = np.asarray(probs.numpy() if hasattr(probs, "numpy") else probs, dtype=np.float32)
    if probs.ndim != 2 or probs.shape[0] != n_rows or probs.shape[1] < 2:
        raise ValueError(
            f"{name}: expected class probabilities of shape ({n_rows}, n_classes ≥ 2) for {n_rows} rows, "
            f"got {describe(probs)}"
        )
    in_range = np.all((probs >= -1e-4) & (probs <= 1 + 1e-4))
    if not in_range or not np.allclose(probs.sum(1), 1.0, atol=1e-3):
        raise ValueError(
            f"{name}: expected class probabilities (in [0, 1], each row summing to 1), got values in "
            f"[{probs.min():.3g}, {probs.max():.3g}] with row sums in [{probs.sum(1).min():.3g}, "
            f"{probs.sum(1).max():.3g}]; end the model with a softmax or pass predict_proba"
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
        return tf.convert_to_tensor(call_model(self.model, x))

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
