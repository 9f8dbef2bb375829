"""Keras layers run in a form whose every nonlinearity the modified chain rule can see.

Two kinds of layers hide their nonlinearities from the rules of :mod:`deepexplain.overrides`:

* recurrent layers (``SimpleRNN``, ``LSTM``, ``GRU``, inside ``Bidirectional`` too) run their cell
  in a ``While`` loop, whose body the rules cannot reach;
* tf_keras's ``LayerNormalization`` normalises with one fused batch-normalisation kernel, over a
  reshape that folds the batch into the normalised rows.

While a rule builds its gradient function, :func:`unfused` sets ``unroll=True`` on every recurrent
layer of the model (Keras 3 and tf_keras alike) and turns tf_keras's fused normalisation off. A
recurrent layer then calls its cell once per time step, with the same weights, and every gate becomes
a unit of :mod:`deepexplain.units` (sigmoid and tanh groups, the products ``f·c``, ``i·g``,
``o·tanh(c)``); it also leaves the cuDNN kernel, which unrolled layers never use. The cost is a graph
(and a compile time) growing with the number of time steps; the arithmetic at run time is the
loop's own. Layer normalisation is computed by its moments, as Keras 3 does. Each layer's own
settings are restored afterwards.
"""
import contextlib


def _layers(model):
    flatten = getattr(model, "_flatten_layers", None)
    return list(flatten()) if flatten is not None else []


def switches(model):
    """``(layer, attribute, value)`` for each setting of ``model``'s layers that :func:`unfused` changes."""
    found = []
    for layer in _layers(model):
        if isinstance(getattr(layer, "unroll", None), bool):
            found.append((layer, "unroll", True))
        if getattr(layer, "_fused", None) is True and type(layer).__name__ == "LayerNormalization":
            found.append((layer, "_fused", False))
    return found


@contextlib.contextmanager
def unfused(model):
    """Within the block, the recurrent layers of ``model`` (a Keras model, or anything else: then nothing
    changes) run unrolled and its tf_keras layer normalisations unfused."""
    found = switches(model)
    changed = [(layer, name, getattr(layer, name)) for layer, name, _ in found]
    for layer, name, value in found:
        setattr(layer, name, value)
    try:
        yield
    finally:
        for layer, name, value in changed:
            setattr(layer, name, value)
