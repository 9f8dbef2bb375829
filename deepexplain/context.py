"""The DeepExplain context manager: one entry point for both execution styles."""
import contextlib

from .explainer import Explainer
from .overrides import OVERRIDE_MAP
from .runtime import GraphRuntime, default_runtime
from .targets import make_target


class DeepExplain:
    """Context in which attribution methods run.

    Session style (TF1 graphs, ``tf.compat.v1``)::

        with DeepExplain(session=sess) as de:
            T = build_model(X)                       # built inside the context
            attributions = de.explain("deeplift", T, X, xs)

    Ops created inside the context get the DeepExplain gradient. A model built
    and trained before the context (a tf_keras model, say) can be passed as
    ``T`` with ``X=None``: it is called on new inputs inside the context.

    Eager style (TF2, no session)::

        with DeepExplain() as de:
            attributions = de.explain("deeplift", model, xs=xs)

    ``model`` is a Keras 3 or tf_keras model, a ``tf.Module`` or a callable; it
    is traced once per explainer with ``tf.function``.
    """

    def __init__(self, graph=None, session=None):
        self.graph = graph
        self.session = session
        self.runtime = None
        self._scope = None

    def __enter__(self):
        self.runtime = default_runtime(self.session, self.graph)
        self._scope = contextlib.ExitStack()
        if isinstance(self.runtime, GraphRuntime):
            graph = self.runtime.graph
            self._scope.enter_context(graph.as_default())
            self._scope.enter_context(graph.gradient_override_map(OVERRIDE_MAP))
        return self

    def __exit__(self, *exc_info):
        self._scope.close()
        self._scope = None
        return False

    def get_explainer(self, method, T, X=None, logits=True, **params):
        """A compiled-once explainer: ``get_explainer(...).run(xs, ys=None, batch_size=None)``.

        ``T`` is the tensor to explain with ``X`` its input tensor (or list of
        them), or a model with ``X=None``. With ``logits`` a model ending in a
        softmax is explained through its pre-softmax output. ``params`` are the
        method's parameters (see the README's table), and for every gradient
        method ``layer``: attribute to the output of that layer (a Keras layer
        name or object of the model; in session style, a tensor of T's graph
        computed from X) instead of the inputs, the baseline or background then
        given at that layer; for an embedding lookup the attributions are summed
        over the embedding axis (one value per token) unless ``sum_embedding=False``.
        """
        if self._scope is None:
            raise RuntimeError(
                f"{method}: DeepExplain methods run only inside the context: "
                "`with DeepExplain(...) as de: de.explain(...)`"
            )
        target = make_target(T, X, isinstance(self.runtime, GraphRuntime), logits)
        return Explainer(method, target, self.runtime, **params)

    def explain(self, method, T, X=None, xs=None, ys=None, batch_size=None, logits=True, **params):
        """Attributions of ``T`` (weighted by ``ys``) to the inputs ``xs``; see :meth:`get_explainer`."""
        if xs is None:
            raise ValueError("xs: expected the input samples to explain, got None")
        return self.get_explainer(method, T, X, logits=logits, **params).run(xs, ys, batch_size)


def get_explainer(method, model, logits=True, **params):
    """Eager style without a context: a compiled-once explainer of ``model``."""
    with DeepExplain() as de:
        return de.get_explainer(method, model, logits=logits, **params)


def explain(method, model, xs, ys=None, batch_size=None, logits=True, **params):
    """Eager style without a context: attributions of ``model`` for ``xs``."""
    return get_explainer(method, model, logits=logits, **params).run(xs, ys, batch_size)
