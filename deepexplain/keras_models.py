"""Keras helpers for every package: which objects are Keras models, layers or symbolic
tensors, which models TensorFlow can call on tensors, how to call them in inference mode and
which inputs they declare (Keras 3 and tf_keras alike)."""
import sys

import tensorflow as tf

from .runtime import static_shape


def is_keras_model(model):
    """Whether ``model`` is a Keras 3 or tf_keras layer or model."""
    import keras

    if isinstance(model, keras.layers.Layer):
        return True
    tf_keras = sys.modules.get("tf_keras")
    return tf_keras is not None and isinstance(model, tf_keras.layers.Layer)


def is_keras_tensor(value):
    """Whether ``value`` is a Keras 3 symbolic tensor (``keras.Input(...)`` or a layer output on one)."""
    import keras

    return isinstance(value, keras.KerasTensor)


def is_tensorflow_model(model):
    """Whether ``model`` can be called on tensors inside a compiled function (and differentiated)."""
    return is_keras_model(model) or isinstance(model, (tf.Module, tf.types.experimental.PolymorphicFunction))


def call_model(model, inputs):
    """``model(inputs)`` on tensors, in inference mode (``training=False``) for Keras models."""
    return model(inputs, training=False) if is_keras_model(model) else model(inputs)


def keras_input_specs(model):
    """``[(name, shape)]`` of the inputs a Keras model declares, or None if it has none yet."""
    if not is_keras_model(model):
        return None
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    specs = [(getattr(x, "name", None), static_shape(x)) for x in inputs]
    return None if any(shape is None for _, shape in specs) else specs
