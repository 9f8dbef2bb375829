"""The caller's execution style: eager Keras 3, or a tf_keras (Keras 2) session graph.

In eager code explanation models are Keras 3 models and functions are compiled
with ``tf.function``; inside a graph (``tf.compat.v1``) they are tf_keras models
trained in the default session (else tf_keras's own session) and functions are
added to that session's graph once.
"""
import tensorflow as tf

from deepexplain.runtime import default_runtime


def keras_for_current_style():
    """Keras 3 in eager code; tf_keras (Keras 2, graph mode) inside a session graph."""
    if tf.executing_eagerly():
        import keras

        return keras
    from tf_keras.api._v1 import keras

    return keras


def runtime():
    """The deepexplain runtime for the current style and session."""
    if tf.executing_eagerly():
        return default_runtime()
    from tf_keras.api._v1.keras import backend

    return default_runtime(tf.compat.v1.get_default_session() or backend.get_session())
