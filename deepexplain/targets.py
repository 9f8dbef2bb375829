"""What is explained: the user's own graph tensors, or a model called on fresh inputs.

A target maps the input tensors of a compiled function to the output tensor
``T`` whose weighted sum ``Σ T·ys`` is attributed to the inputs.
"""
import sys

import tensorflow as tf

from .runtime import is_graph_tensor
from .validation import describe


def strip_softmax(output):
    """The logits of ``output`` if it is computed by a final softmax, else ``output``."""
    tensor = output
    while tensor.op.type == "Identity":
        tensor = tensor.op.inputs[0]
    return tensor.op.inputs[0] if tensor.op.type == "Softmax" else output


def is_keras_model(model):
    """Whether ``model`` is a Keras 3 or tf_keras layer or model."""
    import keras

    if isinstance(model, keras.layers.Layer):
        return True
    tf_keras = sys.modules.get("tf_keras")
    return tf_keras is not None and isinstance(model, tf_keras.layers.Layer)


def is_tensorflow_model(model):
    """Whether ``model`` can be called on tensors inside a compiled function (and differentiated)."""
    return is_keras_model(model) or isinstance(model, (tf.Module, tf.types.experimental.PolymorphicFunction))


def call_model(model, inputs):
    """``model(inputs)`` on tensors, in inference mode (``training=False``) for Keras models."""
    return model(inputs, training=False) if is_keras_model(model) else model(inputs)


class TensorTarget:
    """Session style: ``T`` and its inputs ``X`` already live in the user's graph."""

    def __init__(self, T, X):
        self.output = T
        self.inputs = list(X)

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

    def __init__(self, model, logits=True):
        self.model = model
        self.logits = logits

    def signature(self, xs):
        return [tf.TensorSpec([None] + list(x.shape[1:]), tf.float32, name=f"input_{i}") for i, x in enumerate(xs)]

    def __call__(self, inputs):
        args = inputs if len(inputs) > 1 else inputs[0]
        output = call_model(self.model, args)
        if isinstance(output, (list, tuple, dict)):
            raise TypeError(
                f"T: expected a model with a single output tensor, got a {type(output).__name__} of outputs; "
                "wrap the model in a function that returns the output to explain"
            )
        output = tf.convert_to_tensor(output)
        return strip_softmax(output) if self.logits else output


def make_target(T, X, graph_style, logits=True):
    """The target for ``T`` (a graph tensor or a model) and ``X`` (its input tensors)."""
    if is_graph_tensor(T):
        if not graph_style:
            raise TypeError("T: a graph tensor needs a DeepExplain(session=...) context; in eager code pass the model itself")
        inputs = list(X) if isinstance(X, (list, tuple)) else [X]
        for i, x in enumerate(inputs):
            if not is_graph_tensor(x):
                label = "X" if not isinstance(X, (list, tuple)) else f"X[{i}]"
                raise TypeError(f"{label}: expected a tf.Tensor of the graph T belongs to, got {describe(x)}")
            if x.graph is not T.graph:
                raise ValueError(f"X: expected tensors of the same graph as T, got one from another graph ({x.name})")
            if x.shape.rank is None or x.shape[0] is not None:
                raise ValueError(
                    f"X: expected a free batch dimension (shape [None, ...]) so that batches of any size "
                    f"can be fed, got {x.name} of shape {x.shape}"
                )
        return TensorTarget(T, inputs)
    if isinstance(T, tf.Tensor):
        raise TypeError(
            "T: got an eager tensor, which has no graph to differentiate through; pass the model "
            "(a Keras model, tf.Module or callable) as T instead"
        )
    if callable(T):
        if X is not None:
            raise TypeError(f"X: expected None when T is a model (its inputs are created for it), got {describe(X)}")
        return ModelTarget(T, logits)
    raise TypeError(f"T: expected a tf.Tensor or a Keras model / callable, got {describe(T)}")
