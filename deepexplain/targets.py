"""What is explained: the user's own graph tensors, or a model called on fresh inputs.

A target maps the input tensors of a compiled function to the output tensor
``T`` whose weighted sum ``Σ T·ys`` is attributed to the inputs.
"""
import numpy as np
import tensorflow as tf

from .keras_models import call_model, is_keras_tensor, is_tensorflow_model, keras_input_specs
from .runtime import is_graph_tensor, static_shape
from .validation import boolean, describe

BLACK_BOX_METHODS = ("occlusion", "shapley_sampling")
"""The methods that need only the model's outputs on NumPy arrays, not its gradients."""


class BlackBoxModel(TypeError):
    """The model could not be called on symbolic tensors: it is not TensorFlow-differentiable."""


def strip_softmax(output):
    """The logits of ``output`` if it is computed by a final softmax, else ``output``."""
    tensor = output
    while tensor.op.type == "Identity":
        tensor = tensor.op.inputs[0]
    return tensor.op.inputs[0] if tensor.op.type == "Softmax" else output


class TensorTarget:
    """Session style: ``T`` and its inputs ``X`` already live in the user's graph.

    ``fixed_batch`` is the batch size ``B`` the placeholders were declared with
    (``tf.placeholder(tf.float32, [B, ...])``), else None: every call then feeds
    exactly ``B`` rows.
    """

    label = "T"

    def __init__(self, T, X, fixed_batch=None, row_weights=None):
        self.output = T
        self.inputs = list(X)
        self.fixed_batch = fixed_batch
        self.row_weights = row_weights

    def sample_weights(self, ys, n):
        """``ys`` times the constant rows ``T`` was multiplied by (see :func:`split_row_weights`), one per
        sample of ``xs``."""
        if self.row_weights is None:
            return ys
        if len(self.row_weights) != n:
            raise ValueError(
                f"T: expected the constant T is multiplied by ({self.output.name} × a constant of shape "
                f"{self.row_weights.shape}) to have one row per sample of xs ({n}), got {len(self.row_weights)} rows; "
                f"pass {self.output.name} as T and those rows as ys instead"
            )
        return ys * self.row_weights

    def input_specs(self):
        """``[(name, shape)]`` per input (None for free dimensions; shape None for unknown rank)."""
        return [(x.name, static_shape(x)) for x in self.inputs]

    def signature(self, xs):
        return self.inputs

    def __call__(self, inputs):
        return self.output


class ModelTarget:
    """A Keras model, ``tf.Module`` or callable, called on new input tensors.

    Calling it inside the compiled function creates the model's ops under the
    gradient override, whatever style the model was built and trained in. With
    ``logits`` (the default) a model whose output is a softmax is explained
    through its pre-softmax output.
    """

    label = "T (the model)"
    fixed_batch = None

    def __init__(self, model, logits=True):
        self.model = model
        self.logits = logits

    @staticmethod
    def sample_weights(ys, n):
        """``ys``: a model's output is weighted by ``ys`` alone."""
        return ys

    def input_specs(self):
        """``[(name, shape)]`` of the inputs a Keras model declares, else None (any shape is tried)."""
        return keras_input_specs(self.model)

    def signature(self, xs):
        return [tf.TensorSpec([None] + list(x.shape[1:]), tf.float32, name=f"input_{i}") for i, x in enumerate(xs)]

    def __call__(self, inputs):
        args = inputs if len(inputs) > 1 else inputs[0]
        try:
            output = call_model(self.model, args)
        except (NotImplementedError, TypeError, ValueError, AttributeError) as error:
            if is_tensorflow_model(self.model):
                raise
            raise BlackBoxModel(
                f"calling {describe(self.model)} on a TensorFlow tensor failed "
                f"({type(error).__name__}: {str(error)[:160]})"
            ) from error
        if isinstance(output, (list, tuple, dict)):
            raise TypeError(
                f"T: expected a model with a single output tensor, got a {type(output).__name__} of outputs; "
                "wrap the model in a function that returns the output to explain"
            )
        output = tf.convert_to_tensor(output)
        return strip_softmax(output) if self.logits else output


def fixed_batch(inputs):
    """The static batch size shared by the placeholders ``inputs``, or None if it is free."""
    sizes = {tf.compat.dimension_value(x.shape[0]) for x in inputs if x.shape.rank}
    sizes.discard(None)
    if len(sizes) > 1:
        shapes = [static_shape(x) for x in inputs]
        raise ValueError(f"X: expected the input tensors to share one batch size, got shapes {shapes}")
    return sizes.pop() if sizes else None


def _constant_value(tensor):
    """The value of ``tensor`` if a ``Const`` op makes it (through identities), else None."""
    while tensor.op.type == "Identity":
        tensor = tensor.op.inputs[0]
    return tf.get_static_value(tensor) if tensor.op.type == "Const" else None


def split_row_weights(T):
    """``(output, rows)`` for ``T = output × rows``, ``rows`` a constant of several rows (one-hot rows
    picking a class per sample, as in the original DeepExplain recipe) and ``output`` a tensor of free
    batch size; else ``(T, None)``. The rows then weight the samples as ``ys`` does, so that model
    calls of any number of rows (``intgrad``'s points, DeepLIFT's reference) keep ``output`` per sample."""
    if T.op.type != "Mul":
        return T, None
    a, b = T.op.inputs
    for output, factor in ((a, b), (b, a)):
        rows = _constant_value(factor)
        shape = static_shape(output)
        if rows is not None and rows.ndim >= 1 and rows.shape[0] > 1 and shape and shape[0] is None:
            return output, rows.astype(np.float32)
    return T, None


def make_target(T, X, graph_style, logits=True):
    """The target for ``T`` (a graph tensor or a model) and ``X`` (its input tensors)."""
    boolean("logits", logits)
    if is_keras_tensor(T):
        raise TypeError(
            "T: got a Keras symbolic tensor (KerasTensor), which cannot be evaluated or differentiated "
            "on its own; pass the Keras model itself as T (with X=None), e.g. keras.Model(inputs, outputs)"
        )
    if is_graph_tensor(T):
        if not graph_style:
            raise TypeError(
                "T: a graph tensor needs a DeepExplain(session=...) context; in eager code pass the model itself"
            )
        inputs = list(X) if isinstance(X, (list, tuple)) else [X]
        for i, x in enumerate(inputs):
            label = "X" if not isinstance(X, (list, tuple)) else f"X[{i}]"
            if not is_graph_tensor(x):
                raise TypeError(f"{label}: expected a tf.Tensor of the graph T belongs to, got {describe(x)}")
            if x.graph is not T.graph:
                raise ValueError(
                    f"{label}: expected tensors of the same graph as T, got one from another graph ({x.name})"
                )
            if x.shape.rank == 0:
                raise ValueError(f"{label}: expected an input tensor with a batch dimension, got the scalar {x.name}")
        output, row_weights = split_row_weights(T)
        return TensorTarget(output, inputs, fixed_batch(inputs), row_weights)
    if isinstance(T, tf.Tensor):
        raise TypeError(
            "T: got an eager tensor, which has no graph to differentiate through; pass the model "
            "(a Keras model, tf.Module or callable) as T instead"
        )
    if callable(T):
        if X is not None:
            raise TypeError(f"X: expected None when T is a model (its inputs are created for it), got {describe(X)}")
        return ModelTarget(T, logits)
    hint = ""
    if hasattr(T, "fit"):
        hint = " (for a scikit-learn estimator pass clf.predict_proba, explained by occlusion or shapley_sampling)"
    raise TypeError(f"T: expected a tf.Tensor or a Keras model / callable, got {describe(T)}{hint}")
