"""DeepShap for neural networks (the seed's ``DeepShap(model, data)``), on the ``deepshap`` method.

SHAP values by DeepLIFT's Rescale rule averaged over a background set (Lundberg & Lee,
NeurIPS 2017): ``values.sum() + expected_value`` equals the model's (pre-softmax) output.
"""
import numpy as np

from ...explanation import Explanation, check_output
from ...methods.references import check_background
from ...plotting import plot_attribution_grid
from ...validation import aliased, as_float_array, positive_int, random_generator
from ..shap.shap_plots import ShapPlots
from ..shap.shap_result import shap_result
from ..tabular_input import column_names
from .network import ExplainedNetwork


class DeepShap(ShapPlots):
    """SHAP values of a Keras 3 / tf_keras model, ``tf.Module`` or differentiable callable.

    Args:
        model: the network; with ``logits`` (default) a final softmax is left out, so that the
            values add up to the logits (the softmax has no DeepLIFT rule).
        data: background rows, shaped like the samples (batch first).
        max_background: at most this many background rows, a random subset drawn with
            ``random_state`` (None: fresh randomness; an int or a ``numpy.random.Generator``:
            reproducible; ``seed`` is its old name).
        batch_size: most rows per model call (background rows included).
        session: a ``tf.compat.v1.Session`` for session-style (TF1) code with tf_keras models.

    Attributes:
        expected_value: the mean output over the background (one per output).

    Example::

        explainer = DeepShap(model, data=X_train[:100])
        shap_values = explainer.explain(X_test[:5])
        values, expected = shap_values["values"], shap_values["expected_value"]
    """

    def __init__(self, model, data, max_background=100, random_state=None, batch_size=None, session=None, logits=True,
                 seed=None):
        self.network = ExplainedNetwork(model, session, logits, positive_int("batch_size", batch_size, allow_none=True))
        data = as_float_array("data", data)
        if data.ndim < 2 or len(data) == 0:
            raise ValueError("data: expected background rows (rows, ...) with at least one row, "
                             f"got shape {data.shape}")
        self.random_state = aliased("random_state", random_state, "seed", seed)
        self.max_background = positive_int("max_background", max_background)
        (self.data,) = check_background(data, [data], self.max_background,
                                        random_generator("random_state", self.random_state))
        background_output = self.network.outputs(self.data, name="data")
        self._explainer = self.network.explainer("deepshap", background=self.data, max_background=len(self.data))
        self.n_outputs = background_output.shape[1]
        mean = background_output.mean(axis=0)
        self.expected_value = float(mean[0]) if self.n_outputs == 1 else mean

    def explain(self, X, ranked_outputs=None, output=None):
        """SHAP values of the samples ``X`` (batch first).

        Returns an ``Explanation`` ``{"values", "expected_value", "data"}``: ``values`` shaped
        like ``X`` for a model with one output or with ``output=j`` (output ``j`` only), else
        ``X.shape + (outputs,)`` (see ``shap_result``). With ``ranked_outputs=k`` only each
        sample's ``k`` highest outputs are explained: ``values`` is ``X.shape + (k,)`` and
        ``"indices"`` ``(n, k)`` says which outputs they are.
        """
        names = column_names(X)
        X = as_float_array("X", X)
        if X.ndim != self.data.ndim or X.shape[1:] != self.data.shape[1:]:
            raise ValueError(f"X: expected samples shaped like data, (n,) + {self.data.shape[1:]}, got shape {X.shape}")
        j = check_output(output, self.n_outputs)
        if ranked_outputs is not None and output is not None:
            raise ValueError(f"output: expected None with ranked_outputs={ranked_outputs!r} (each selects the "
                             f"explained outputs), got {output!r}")
        if ranked_outputs is None:
            explained = np.arange(self.n_outputs) if j is None else np.array([j])
            indices = np.broadcast_to(explained, (len(X), len(explained)))
        else:
            k = positive_int("ranked_outputs", ranked_outputs)
            if k > self.n_outputs:
                raise ValueError(f"ranked_outputs: expected at most the {self.n_outputs} outputs of the model, got {k}")
            indices = np.argsort(-self.network.outputs(X), axis=1, kind="stable")[:, :k]
        k = indices.shape[1]
        # rank-major: rank j of every sample, then j + 1
        ys = np.eye(self.n_outputs, dtype=np.float32)[indices.T.ravel()]
        tiled = np.tile(X, (k,) + (1,) * (X.ndim - 1))
        values = self._explainer.run(tiled, ys=ys, batch_size=self.network.batch_size)
        values = np.moveaxis(values.reshape((k,) + X.shape), 0, -1)
        meta = {"params": {"ranked_outputs": ranked_outputs, "output": output, "max_background": self.max_background,
                           "random_state": self.random_state}, "model": self.network.model, "feature_names": names}
        if ranked_outputs is None:
            expected = self.expected_value if j is None else np.reshape(self.expected_value, -1)[j]
            return shap_result("DeepShap", values, expected, X, **meta)
        return Explanation({"values": values, "expected_value": self.expected_value, "data": X, "indices": indices},
                           "DeepShap", **meta)

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
