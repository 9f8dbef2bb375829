"""Gradient feature importance for neural networks (the seed's ``FeatureImportance(model)``),
on deepexplain's ``saliency`` and ``intgrad`` methods."""
from ...validation import as_float_array, positive_int
from .network import ExplainedNetwork


class FeatureImportance:
    """Importance of the input features of a Keras 3 / tf_keras model, ``tf.Module`` or
    differentiable callable, from its gradients.

    Args:
        model: the network; with ``logits`` (default) a final softmax is left out.
        batch_size: most rows per model call.
        session: a ``tf.compat.v1.Session`` for session-style (TF1) code with tf_keras models.

    Example::

        importance = FeatureImportance(model)
        grad_importance = importance.compute_gradient_importance(X_test, y_test)
        ig = importance.compute_integrated_gradients(X_test, baseline=X_train.mean(axis=0), steps=50)
    """

    def __init__(self, model, batch_size=None, session=None, logits=True):
        self.network = ExplainedNetwork(model, session, logits, positive_int("batch_size", batch_size, allow_none=True))

    def _rows(self, X):
        X = as_float_array("X", X)
        if X.ndim < 2 or len(X) == 0:
            raise ValueError(f"X: expected a batch of samples (n, ...) with at least one row, got shape {X.shape}")
        return X

    def compute_gradient_importance(self, X, y=None):
        """Mean over the samples of ``|∂f_y(x)/∂x|``: one importance per input feature, shaped
        like one sample. ``y``: the class of each sample (indices or one-hot rows), or None for
        the model's highest output per sample."""
        X = self._rows(X)
        ys, _ = self.network.class_weights(X, y, name="y")
        saliency = self.network.explainer("saliency").run(X, ys=ys, batch_size=self.network.batch_size)
        return saliency.mean(axis=0)

    def compute_integrated_gradients(self, X, baseline=None, steps=50, y=None):
        """Integrated gradients of each sample (shaped like ``X``) from ``baseline`` (one sample,
        default zeros; ``X_train.mean(axis=0)`` works) in ``steps`` midpoint steps, for the class
        ``y`` (indices or one-hot rows; default each sample's highest output). Each row sums to
        ``f_y(x) − f_y(baseline)`` up to the integration error."""
        X = self._rows(X)
        steps = positive_int("steps", steps)
        ys, _ = self.network.class_weights(X, y, name="y")
        explainer = self.network.explainer("intgrad", steps=steps, baseline=baseline, progress=False)
        return explainer.run(X, ys=ys, batch_size=self.network.batch_size)
