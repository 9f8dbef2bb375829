"""The ``activation`` parameter of the explanation models: a Keras activation name known to the
Keras of the caller's style (Keras 3 in eager code, tf_keras in a session graph), or a callable."""
from deepexplain.validation import describe

from .style import keras_for_current_style


def activation(name, value):
    """``value``: a Keras activation name known to the Keras of the current style, or a callable."""
    if callable(value):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a Keras activation name (e.g. 'relu') or a callable, got {describe(value)}")
    try:
        keras_for_current_style().activations.get(value)
    except ValueError:
        raise ValueError(
            f"{name}: expected a Keras activation name (e.g. 'relu', 'tanh'), got unknown name {value!r}"
        ) from None
    return value
