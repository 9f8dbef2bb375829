"""The causal objective of CXPlain (Schwab & Karlen, NeurIPS 2019).

The causal effect of removing position ``i`` from ``x`` is the increase of the
explained model's loss,

    Δᵢ = max(ℓ(y, f(x without i)) − ℓ(y, f(x)), ε),    ε = 1e-7,

and the target distribution over positions is ``ωᵢ = Δᵢ / Σⱼ Δⱼ``. The
explanation model ``A`` is trained to minimise ``KL(ω ‖ A(x))``.
"""
import numpy as np
import tensorflow as tf

from deepexplain.validation import describe

from .style import runtime

EPSILON = 1e-7


def resolve_loss(loss):
    """``loss`` as a callable: a Keras loss name is looked up in ``keras.losses``."""
    if isinstance(loss, str):
        import keras

        try:
            return keras.losses.get(loss)
        except ValueError:
            raise ValueError(f"loss: expected a Keras loss name or a callable, got unknown name {loss!r}") from None
    if not callable(loss):
        raise TypeError(f"loss: expected a Keras loss or a callable loss(y_true, y_pred), got {describe(loss)}")
    return loss


class PerSampleLoss:
    """``loss`` compiled once; ``per_sample(y_true, y_pred)`` returns one value per row."""

    def __init__(self, loss, outputs):
        self.loss = resolve_loss(loss)
        spec = tf.TensorSpec((None, outputs), tf.float32)
        self._run = runtime().compile(lambda t, p: tf.cast(self.loss(t, p), tf.float32), [spec, spec])

    def __call__(self, y_true, y_pred):
        values = np.asarray(self._run(y_true, y_pred))
        if values.shape != (len(y_true),):
            raise ValueError(
                f"loss: expected one loss value per sample, shape ({len(y_true)},), got shape {values.shape}; "
                "a loss that averages over samples cannot measure each sample's change (use the function "
                "form, e.g. keras.losses.categorical_crossentropy, or a Loss object with reduction=None)"
            )
        return values


def causal_weights(per_sample_loss, y, predictions, masked_predictions):
    """The target distribution ``ω`` of shape ``(n, k)`` from the (masked) predictions."""
    n, k, outputs = masked_predictions.shape
    full = per_sample_loss(y, predictions)
    reduced = per_sample_loss(np.repeat(y, k, axis=0), masked_predictions.reshape(n * k, outputs)).reshape(n, k)
    delta = np.maximum(reduced - full[:, None], EPSILON)
    return (delta / delta.sum(axis=1, keepdims=True)).astype(np.float32)


def kl_divergence(target, predicted):
    """Per-sample ``KL(target ‖ predicted)``, both clipped to ``[ε, 1]`` (a Keras loss)."""
    target = tf.clip_by_value(target, EPSILON, 1.0)
    predicted = tf.clip_by_value(predicted, EPSILON, 1.0)
    return tf.reduce_sum(target * tf.math.log(target / predicted), axis=-1)


def label_matrix(y, outputs):
    """Labels ``y`` shaped like the model's outputs ``(n, outputs)``.

    1-D labels are a column for a single output and one-hot class indices for
    several outputs (so binary labels score the probability of their own class).
    """
    y = np.asarray(y)
    if y.ndim == 1 and outputs == 1:
        return y.astype(np.float32)[:, None]
    if y.ndim == 1:
        if not np.all((y == np.round(y)) & (y >= 0) & (y < outputs)):
            raise ValueError(
                f"y: expected class indices in [0, {outputs}) for a model with {outputs} outputs, "
                f"got values from {y.min()} to {y.max()}"
            )
        return np.eye(outputs, dtype=np.float32)[y.astype(int)]
    if y.ndim == 2 and y.shape[1] == outputs:
        return y.astype(np.float32)
    raise ValueError(
        f"y: expected shape (n,) or (n, {outputs}) to match the explained model's {outputs} outputs, got {describe(y)}"
    )
