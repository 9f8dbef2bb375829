"""Intermediate activations: resolving a layer of a model, and computing its activations.

A layer is given as a Keras layer name or object (the model is a Keras 3 or tf_keras
functional or Sequential model), or, in session style, as a graph tensor computed
from ``X``. :class:`LayerProbe` maps the input tensors of a compiled function to the
activations of the layers and the explained output ``T``, in one forward pass.
"""
import sys

from .runtime import is_graph_tensor
from .targets import is_keras_model, strip_softmax
from .validation import describe


def _keras_package(model):
    import keras

    return keras if isinstance(model, keras.layers.Layer) else sys.modules["tf_keras"]


def _layer_names(model):
    return [layer.name for layer in model.layers]


def find_layer(model, layer, name="layer"):
    """The layer of ``model`` named ``layer``, or ``layer`` itself if it is one of its layers."""
    if not is_keras_model(model) or not hasattr(model, "layers"):
        raise TypeError(f"{name}: a layer name or object needs a Keras model (functional or Sequential), got {describe(model)}")
    if isinstance(layer, str):
        for candidate in model.layers:
            if candidate.name == layer:
                return candidate
        raise ValueError(f"{name}: expected the name of a layer of the model, one of {_layer_names(model)}, got {layer!r}")
    if is_keras_model(layer):
        if any(candidate is layer for candidate in model.layers):
            return layer
        raise ValueError(f"{name}: expected a layer of the model, one of {_layer_names(model)}, got the layer {layer.name!r}")
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
                        f"{name}: with a graph tensor T, expected activation tensors of T's graph, got {describe(layer)}"
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
