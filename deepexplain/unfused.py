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

A third hides them behind a call: a nested ``tf.function`` (a custom layer or ``Lambda`` calling a
``@tf.function`` swish or GELU, a ``tf.function`` method, a ``tf.function`` around a sub-model) is
one ``PartitionedCall`` op in the traced graph, whose body the rules cannot reach. While
:func:`unfused` is active, :func:`inlined_functions` makes a ``tf.function`` called while a graph is
built in this thread run its Python body in place (through AutoGraph, as its own trace would), so
that its ops land in the explained graph, get the gradient override and form units, **when it is
nonlinear**: when :func:`deepexplain.units.is_nonlinear` holds for its concrete function for the
call's arguments (decided once per concrete function). ``jit_compile=True`` functions included: the
rules fuse their own kernels. A linear function keeps its call: Keras 3's grouped convolution is a
``jit_compile=True`` function that TensorFlow's CPU kernels cannot run without XLA.
``tf.custom_gradient`` functions are no ``tf.function`` and are left alone; calls of concrete
functions (and the functions of a restored SavedModel, which call them) stay calls, which the
explainer still warns about. Other threads, eager calls and calls outside the block are untouched.
"""
import contextlib
import contextvars
import threading
import weakref

import tensorflow as tf
from tensorflow.python.eager.polymorphic_function import autograph_util
from tensorflow.python.eager.polymorphic_function.polymorphic_function import Function

from .units import is_nonlinear


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


_inlining = contextvars.ContextVar("deepexplain_inlining", default=False)
_decisions = weakref.WeakKeyDictionary()  # concrete function -> is_nonlinear
_patch_lock = threading.Lock()
_patch_users = 0
_plain_call = Function.__call__


def _nonlinear_call(function, args, kwargs):
    """Whether ``function(*args, **kwargs)`` runs a nonlinear concrete function (traced without inlining)."""
    token = _inlining.set(False)
    try:
        concrete = function.get_concrete_function(*args, **kwargs)
    finally:
        _inlining.reset(token)
    if concrete not in _decisions:
        _decisions[concrete] = is_nonlinear(concrete.graph)
    return _decisions[concrete]


def _call(function, *args, **kwargs):
    """``Function.__call__`` while :func:`inlined_functions` is active: a nonlinear function called while
    this thread builds a graph runs its Python body in place; every other call is the plain one."""
    if not _inlining.get() or tf.executing_eagerly() or not _nonlinear_call(function, args, kwargs):
        return _plain_call(function, *args, **kwargs)
    body = function.python_function
    if function._autograph:
        body = autograph_util.py_func_from_autograph(body, function._experimental_autograph_options)
    return body(*args, **kwargs)


@contextlib.contextmanager
def inlined_functions():
    """Within the block, nonlinear ``tf.function`` calls made by this thread while it builds a graph run
    inline (see the module docstring); ``Function.__call__`` is patched while any thread is in such a block."""
    global _patch_users
    with _patch_lock:
        _patch_users += 1
        Function.__call__ = _call
    token = _inlining.set(True)
    try:
        yield
    finally:
        _inlining.reset(token)
        with _patch_lock:
            _patch_users -= 1
            if not _patch_users:
                Function.__call__ = _plain_call


@contextlib.contextmanager
def unfused(model):
    """Within the block, the recurrent layers of ``model`` (a Keras model, ``tf.Module`` or callable; None:
    then nothing changes) run unrolled, its tf_keras layer normalisations unfused and the nonlinear
    ``tf.function`` calls it makes inline (:func:`inlined_functions`)."""
    found = switches(model)
    changed = [(layer, name, getattr(layer, name)) for layer, name, _ in found]
    for layer, name, value in found:
        setattr(layer, name, value)
    try:
        with inlined_functions() if model is not None else contextlib.nullcontext():
            yield
    finally:
        for layer, name, value in changed:
            setattr(layer, name, value)
