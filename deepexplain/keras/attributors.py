"""What a training callback computes on each logged epoch, compiled once per model.

* :class:`MethodAttributions`: a deepexplain method (``deepexplain.METHODS``) through one
  explainer. Its compiled function reads the model's variables, so it sees the current weights
  without being traced again; the activations of DeepLIFT's and DeepShap's reference rows are
  recomputed in place on every logged epoch (``Explainer.refresh``).
* :class:`PermutationAttributions`: the toolbox's
  :class:`~deepexplain.explainable.PermutationImportance` (Breiman, 2001) of the probe rows
  and labels, one importance per feature.
"""
import inspect

import numpy as np
import tensorflow as tf

from ..context import DeepExplain
from ..methods import METHODS, make_method, method_parameters
from ..validation import positive_int, random_generator

PERMUTATION_IMPORTANCE = "permutation_importance"


def graph_session():
    """The tf_keras session that holds a model trained in graph mode (eager execution disabled); None in
    eager execution."""
    if tf.executing_eagerly():
        return None
    from tf_keras.api._v1.keras import backend

    return backend.get_session()


class MethodAttributions:
    """``attributions(model, xs, ys)``: the method's maps of ``xs`` with the model's current weights."""

    def __init__(self, method, params, logits, batch_size):
        params = dict(params)
        if "progress" in inspect.signature(METHODS[method]).parameters:
            params.setdefault("progress", False)
        own = method_parameters(method)  # checked now, not on the first logged epoch; layer= is the explainer's
        make_method(method, {k: v for k, v in params.items() if k not in ("layer", "sum_embedding") or k in own})
        self.method, self.params, self.logits, self.batch_size = method, params, logits, batch_size
        self.explainer = None
        self._model = None

    def _explainer(self, model):
        session = graph_session()
        with DeepExplain(session=session) as de:
            return de.get_explainer(self.method, model, logits=self.logits, **self.params)

    def __call__(self, model, xs, ys):
        if self.explainer is None or model is not self._model:
            self.explainer, self._model = self._explainer(model), model
        else:
            self.explainer.refresh()
        return np.asarray(self.explainer.run(xs, ys, self.batch_size), np.float32), {}


class PermutationAttributions:
    """``attributions(model, xs, ys)``: ``(1, features)`` importances of the probe rows ``xs`` for the
    labels ``ys``, plus the metric on the unpermuted rows as the scalar ``baseline_score``."""

    def __init__(self, params, batch_size):
        from ..explainable import PermutationImportance

        accepted = ("metric", "n_repeats", "random_state")
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise TypeError(f"{PERMUTATION_IMPORTANCE}: unexpected parameters {unknown}; it takes {list(accepted)}")
        self.params = {"random_state": 0, **params}
        positive_int("n_repeats", self.params.get("n_repeats", 1))
        random_generator("random_state", self.params["random_state"])
        self.batch_size = batch_size
        self._factory = PermutationImportance
        self._importance = None
        self._model = None

    def __call__(self, model, xs, ys):
        if self._importance is None or model is not self._model:
            session = graph_session()
            self._importance = self._factory(model, batch_size=self.batch_size, progress=False, session=session,
                                             **self.params)
            self._model = model
        result = self._importance.compute(xs, ys)
        return result["mean"][None].astype(np.float32), {"baseline_score": result["baseline"]}

