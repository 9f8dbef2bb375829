"""Intermediate activations: resolving a layer of a model, and computing its activations.

A layer is given as a Keras layer name or object (the model is a Keras 3 or tf_keras
functional or Sequential model), or, in session style, as a graph tensor computed
from ``X``. :class:`LayerProbe` maps the input tensors of a compiled function to the
activations of the layers and the explained output ``T``, in one forward pass.
"""
import sys

import tensorflow as tf

from .keras_models import call_model, is_keras_model
from .runtime import is_graph_tensor
from .targets import ModelTarget, TensorTarget, fixed_batch, strip_softmax
from .validation import describe


def _keras_package(model):
    import keras

    return keras if isinstance(model, keras.layers.Layer) else sys.modules["tf_keras"]


def _layer_names(model):
    return [layer.name for layer in model.layers]


def find_layer(model, layer, name="layer"):
    """The layer of ``model`` named ``layer``, or ``layer`` itself if it is one of its layers."""
    if not is_keras_model(model) or not hasattr(model, "layers"):
        raise TypeError(
            f"{name}: a layer name or object needs a Keras model (functional or Sequential), got {describe(model)}"
        )
    if isinstance(layer, str):
        for candidate in model.layers:
            if candidate.name == layer:
                return candidate
        raise ValueError(
            f"{name}: expected the name of a layer of the model, one of {_layer_names(model)}, got {layer!r}"
        )
    if is_keras_model(layer):
        if any(candidate is layer for candidate in model.layers):
            return layer
        raise ValueError(
            f"{name}: expected a layer of the model, one of {_layer_names(model)}, got the layer {layer.name!r}"
        )
    raise TypeError(f"{name}: expected a layer name or a Keras layer of the model, got {describe(layer)}")


def last_feature_map_layer(model, name="layer"):
    """The last layer of ``model`` whose output has spatial axes (rank 3 or 4): the usual Grad-CAM layer."""
    if is_keras_model(model) and hasattr(model, "layers"):
        for layer in reversed(model.layers):
            try:
                rank = len(layer.output.shape)
            except (AttributeError, ValueError):
                continue
            if rank in (3, 4):
                return layer
    raise ValueError(
        f"{name}: found no layer with a feature-map output (rank 3 or 4) in {describe(model)}; pass layer=... "
        "(a layer name or object, or in session style the activation tensor)"
    )


def _symbolic_inputs(model, name):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            f"{name}: the activations of inner layers need a Keras model with known inputs (functional, or "
            f"Sequential starting with keras.Input), got {describe(model)} without them"
        )
    return inputs


class LayerProbe:
    """``probe(inputs) -> (activations, output)``: the activations of ``layers`` and the target output.

    ``target`` is the explainer's target: with a graph tensor ``T`` (session style),
    ``layers`` must be graph tensors of the same graph; with a model, layer names or
    objects, evaluated by a Keras model that shares the model's weights and returns
    the layers' outputs and its own.
    """

    def __init__(self, target, layers, name="layer"):
        model = getattr(target, "model", None)
        if model is None:
            for layer in layers:
                if not is_graph_tensor(layer) or layer.graph is not target.output.graph:
                    raise TypeError(
                        f"{name}: with a graph tensor T, expected activation tensors of T's graph, "
                        f"got {describe(layer)}"
                    )
            self.layers, self._model = list(layers), None
        else:
            self.layers = [find_layer(model, layer, name) for layer in layers]
            inputs = _symbolic_inputs(model, name)
            outputs = [layer.output for layer in self.layers] + list(model.outputs)
            self._model = _keras_package(model).Model(inputs=inputs, outputs=outputs)
        self.target = target

    def __call__(self, inputs):
        if self._model is None:
            return self.layers, self.target(inputs)
        *activations, output = self._model(list(inputs), training=False)
        return activations, strip_softmax(output) if self.target.logits else output


def forward_function(runtime, target, signature, layers=(), name="layer"):
    """``run(*arrays) -> [activations of layers..., output T]``, one compiled forward pass."""
    if not layers:
        return runtime.compile(lambda *inputs: [target(list(inputs))], signature)
    probe = LayerProbe(target, layers, name)

    def build(*inputs):
        activations, output = probe(list(inputs))
        return list(activations) + [output]

    return runtime.compile(build, signature)


EMBEDDING_OPS = ("GatherV2", "ResourceGather", "Gather")
"""The op types of an embedding lookup in a graph."""


def _is_embedding(layer):
    """Whether ``layer`` (a Keras layer or a graph tensor) is an embedding lookup of integer ids."""
    if is_graph_tensor(layer):
        op = layer.op
        while op.type == "Identity" and op.inputs:
            op = op.inputs[0].op
        return op.type in EMBEDDING_OPS
    return type(layer).__name__ == "Embedding"


class LayerSplit:
    """A target split at a layer: ``head`` computes the layer's output from the target's inputs,
    ``tail`` is the target whose single input is that output (the rest of the model runs on it).

    ``layer`` is a Keras layer name or object of the model ``T``, or, when ``T`` is a graph
    tensor (session style), a tensor of its graph computed from ``X``. ``embedding`` tells
    whether the layer is an embedding lookup.
    """

    def __init__(self, target, layer, name="layer"):
        model = getattr(target, "model", None)
        if model is None:
            if not is_graph_tensor(layer) or layer.graph is not target.output.graph:
                raise TypeError(f"{name}: with a graph tensor T, expected a tensor of T's graph, got {describe(layer)}")
            self.embedding = _is_embedding(layer)
            self.head = TensorTarget(layer, target.inputs, target.fixed_batch)
            self.tail = TensorTarget(target.output, [layer], fixed_batch([layer]), target.row_weights)
            return
        if is_graph_tensor(layer):
            raise TypeError(
                f"{name}: a graph tensor needs a graph tensor T (session style); with a model as T, pass the "
                f"layer's name or object, got {describe(layer)}"
            )
        found = find_layer(model, layer, name)
        output = _layer_output(found, name)
        self.embedding = _is_embedding(found)
        head = _keras_package(model).Model(inputs=_symbolic_inputs(model, name), outputs=output)
        self.head = ModelTarget(head, logits=False)
        self.tail = ModelTarget(LayerTail(model, found, name), target.logits)


class LayerTail(tf.Module):
    """``tail(activations)``: the model's output when the layer's output is ``activations``.

    The whole model is called on placeholder inputs (zeros, one row per row of
    ``activations``, a free sequence length read from ``activations``) with the
    layer returning ``activations`` instead of computing its output, so this works
    for any Keras model that calls the layer once. The model must use its inputs
    only through the layer: an output that depends on the placeholder inputs
    otherwise (a path around the layer, a mask computed from the inputs) is refused.
    """

    def __init__(self, model, layer, name="layer"):
        super().__init__()
        self.model, self.layer, self._parameter = model, layer, name
        self.input_shapes = [tuple(x.shape[1:]) for x in _symbolic_inputs(model, name)]

    def __call__(self, activations):
        placeholders = [tf.zeros(_placeholder_shape(shape, activations)) for shape in self.input_shapes]
        self.layer.call = lambda *args, **kwargs: activations
        try:
            output = call_model(self.model, placeholders if len(placeholders) > 1 else placeholders[0])
        finally:
            del self.layer.call
        if any(_uses(t, placeholders) for t in tf.nest.flatten(output)):
            raise ValueError(
                f"{self._parameter}: expected a layer through which the model uses all of its inputs, got "
                f"{self.layer.name!r}: the output also depends on the inputs by another path (a branch around the "
                "layer, or a mask computed from the inputs, as Embedding(mask_zero=True) makes); choose a layer "
                "that every path from the inputs goes through"
            )
        return output


def _placeholder_shape(sample_shape, activations):
    """The rows of ``activations`` followed by ``sample_shape``, its free dimensions (sequence lengths)
    taken from the same axes of ``activations`` (1 past their rank)."""
    dynamic = tf.shape(activations)
    dims = [dynamic[0]] + [
        d if d is not None else (dynamic[axis] if axis < activations.shape.rank else 1)
        for axis, d in enumerate(sample_shape, start=1)
    ]
    return tf.stack(dims)


_SHAPE_OPS = ("Shape", "ShapeN", "Size", "Rank")


def _uses(output, tensors):
    """Whether the value of ``output`` depends on ``tensors`` (their shapes alone do not count)."""
    sources, seen, stack = {t.op for t in tensors}, set(), [output.op]
    while stack:
        op = stack.pop()
        if op in sources:
            return True
        if op not in seen and op.type not in _SHAPE_OPS:
            seen.add(op)
            stack.extend(t.op for t in op.inputs)
    return False


def _layer_output(layer, name):
    try:
        output = layer.output
    except (AttributeError, ValueError) as error:
        message = f"{name}: expected a layer with one output, called once, got {layer.name!r} ({error})"
        raise ValueError(message) from None
    if isinstance(output, (list, tuple, dict)):
        raise ValueError(f"{name}: expected a layer with one output, got {layer.name!r} with {len(output)} outputs")
    return output
