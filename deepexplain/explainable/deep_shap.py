"""DeepShap for neural networks (the seed's ``DeepShap(model, data)``), on the ``deepshap`` method.

SHAP values by DeepLIFT's Rescale rule averaged over a background set (Lundberg & Lee,
NeurIPS 2017): ``values.sum() + expected_value`` equals the model's (pre-softmax) output.
"""
import numpy as np

from ..plotting import plot_attribution_grid
from ..methods.references import check_background
from ..validation import as_float_array, positive_int, random_generator
from .network import ExplainedNetwork
from .shap_plots import ShapPlots


class DeepShap(ShapPlots):
    """SHAP values of a Keras 3 / tf_keras model, ``tf.Module`` or differentiable callable.

    Args:
        model: the network; with ``logits`` (default) a final softmax is left out, so that the
            values add up to the logits (the softmax has no DeepLIFT rule).
        data: background rows, shaped like the samples (batch first).
        max_background: at most this many background rows, a random subset drawn with ``seed``.
        batch_size: most rows per model call (background rows included).
        session: a ``tf.compat.v1.Session`` for session-style (TF1) code with tf_keras models.

    Attributes:
        expected_value: the mean output over the background (one per output).

    Example::

        explainer = DeepShap(model, data=X_train[:100])
        shap_values = explainer.explain(X_test[:5])
        values, expected = shap_values["values"], shap_values["expected_value"]
    """

    def __init__(self, model, data, max_background=100, seed=0, batch_size=None, session=None, logits=True):
        self.network = ExplainedNetwork(model, session, logits, positive_int("batch_size", batch_size, allow_none=True))
        data = as_float_array("data", data)
        if data.ndim < 2 or len(data) == 0:
            raise ValueError(f"data: expected background rows (rows, ...) with at least one row, got shape {data.shape}")
        self.seed = seed
        self.max_background = positive_int("max_background", max_background)
        (self.data,) = check_background(data, [data], self.max_background, random_generator("seed", seed))
        self._explainer = self.network.explainer("deepshap", background=self.data, max_background=len(self.data))
        background_output = self.network.outputs(self.data)
        self.n_outputs = background_output.shape[1]
        mean = background_output.mean(axis=0)
        self.expected_value = float(mean[0]) if self.n_outputs == 1 else mean

    def explain(self, X, ranked_outputs=None):
        """SHAP values of the samples ``X`` (batch first).

        Returns ``{"values", "expected_value", "data"}``: ``values`` shaped like ``X`` for a
        model with one output, else ``X.shape + (outputs,)``. With ``ranked_outputs=k`` only
        each sample's ``k`` highest outputs are explained: ``values`` is ``X.shape + (k,)`` and
        ``"indices"`` ``(n, k)`` says which outputs they are.
        """
        X = as_float_array("X", X)
        if X.ndim != self.data.ndim or X.shape[1:] != self.data.shape[1:]:
            raise ValueError(f"X: expected samples shaped like data, (n,) + {self.data.shape[1:]}, got shape {X.shape}")
        if ranked_outputs is None:
            indices = np.broadcast_to(np.arange(self.n_outputs), (len(X), self.n_outputs))
        else:
            k = positive_int("ranked_outputs", ranked_outputs)
            if k > self.n_outputs:
                raise ValueError(f"ranked_outputs: expected at most the {self.n_outputs} outputs of the model, got {k}")
            indices = np.argsort(-self.network.outputs(X), axis=1, kind="stable")[:, :k]
        k = indices.shape[1]
        ys = np.eye(self.n_outputs, dtype=np.float32)[indices.T.ravel()]  # rank-major: rank j of every sample, then j + 1
        tiled = np.tile(X, (k,) + (1,) * (X.ndim - 1))
        values = self._explainer.run(tiled, ys=ys, batch_size=self.network.batch_size)
        values = np.moveaxis(values.reshape((k,) + X.shape), 0, -1)
        result = {"values": values[..., 0] if ranked_outputs is None and self.n_outputs == 1 else values,
                  "expected_value": self.expected_value, "data": X}
        if ranked_outputs is not None:
            result["indices"] = indices
        return result

    def plot(self, shap_values, feature_names=None, output=None, max_display=20):
        """Tabular data: the summary figure (mean |SHAP| bars and beeswarm). Images: a grid of
        the samples and their SHAP maps for ``output`` (default: each sample's first explained
        output)."""
        values, data = shap_values["values"], shap_values["data"]
        if data.ndim == 2:
            return super().plot(shap_values, feature_names, output, max_display)
        if values.ndim == data.ndim + 1:
            values = values[..., 0 if output is None else output]
        return plot_attribution_grid(list(data), {"SHAP values": values})
