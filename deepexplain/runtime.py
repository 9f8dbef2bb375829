"""The two execution styles behind one interface.

A runtime compiles a function built from TensorFlow ops once and then runs it
on NumPy arrays as often as needed:

    run = runtime.compile(build, signature)
    outputs = run(*arrays)

``build(*tensors)`` returns a tensor or a (nested) list/tuple/dict of tensors. It may
read arrays held for it: ``held = runtime.hold(array)`` (made before ``compile``),
``held.read()`` inside ``build``; ``runtime.assign(helds, arrays)`` later changes their
values without compiling again.
``signature`` lists a ``tf.TensorSpec`` for each argument (the batch dimension is
usually ``None``); a graph runtime also accepts existing graph tensors there,
which are then fed directly (the user's own input placeholders). With
``compile(build, signature, specialise=True)`` an eager runtime traces ``build`` on
the first call, for that call's shapes, and once more, for ``signature``, the first
time a call has other shapes.

* :class:`GraphRuntime` adds the ops to a ``tf.compat.v1.Session`` graph once;
  running is one ``session.run`` with a feed dict.
* :class:`EagerRuntime` traces ``build`` inside a ``tf.function`` once and keeps
  the concrete function; running is one call of it.

Both build under ``gradient_override_map(OVERRIDE_MAP)`` so that every supported
nonlinearity created by ``build`` (a Keras model called on the new tensors, for
instance) carries the DeepExplain gradient.
"""
import numpy as np
import tensorflow as tf

from .overrides import OVERRIDE_MAP
from .validation import describe


def is_graph_tensor(value):
    """Whether ``value`` is a symbolic tensor of a graph (not an eager tensor)."""
    return isinstance(value, tf.Tensor) and not hasattr(value, "numpy")


def static_shape(tensor):
    """The static shape of a tensor as a tuple of ints and None (v1 and v2 ``TensorShape``
    alike), or None when its rank is unknown."""
    shape = tf.TensorShape(tensor.shape)
    return None if shape.rank is None else tuple(shape.as_list())


class Held:
    """An array that compiled functions read from a variable (see ``hold``): ``read()``, inside
    ``build``, gives a tensor of its value at run time."""

    def __init__(self, variable, feed=None):
        self.variable = variable
        self.feed = feed  # the placeholder that sets a graph's variable

    def read(self):
        return self.variable.value()


class GraphRuntime:
    """Compiles into the graph of a TF1-style session; runs with ``session.run``."""

    def __init__(self, session, graph=None):
        self.session = session
        self.graph = graph if graph is not None else session.graph
        self._uninitialized = []  # (Held, array) of the held arrays not yet set
        self._check_open()

    def _check_open(self):
        if getattr(self.session, "_closed", False):
            raise ValueError("session: expected an open tf.compat.v1.Session, got a closed one; explain inside its "
                             "`with` block, or pass a session that is still open")

    def _run(self, fetches, feed_dict):
        """``session.run``, with a closed session and uninitialised variables reported as ValueErrors
        naming ``session``."""
        self._check_open()
        try:
            return self.session.run(fetches, feed_dict=feed_dict)
        except tf.errors.FailedPreconditionError as error:
            raise ValueError(
                f"session: the graph reads variables not initialised in this session (FailedPreconditionError at "
                f"{getattr(error.op, 'name', '?')}); run tf.compat.v1.global_variables_initializer() or load the "
                "model's weights in this session first (a Keras 3 model cannot run in a TF1 session: use eager "
                "execution, or build the model with tf_keras)"
            ) from error

    specialises = False

    def compile(self, build, signature, specialise=False):
        """``build`` added to the graph once, for ``signature`` (``specialise`` has no effect: the graph
        holds one copy, whatever the shapes of the arrays fed)."""
        with self.graph.as_default(), self.graph.gradient_override_map(OVERRIDE_MAP):
            feeds = [
                spec if is_graph_tensor(spec) else tf.compat.v1.placeholder(spec.dtype, spec.shape, name=spec.name)
                for spec in signature
            ]
            outputs = build(*feeds)
        self._initialize()

        def run(*arrays):
            self._initialize()
            return self._run(outputs, dict(zip(feeds, arrays)))

        return run

    def hold(self, array):
        """A :class:`Held` ``array``: a variable of the graph outside every collection (the user's
        initialisers and savers do not see it), set by a feed, so that the array is not written
        into the graph definition. The variables made before one ``compile`` are set together at
        its end, by one ``session.run``: each run after the graph grew costs a pass over the whole
        graph (two seconds on ResNet50)."""
        with self.graph.as_default():
            feed = tf.compat.v1.placeholder(array.dtype, array.shape)
            held = Held(tf.compat.v1.Variable(feed, trainable=False, collections=[]), feed)
        self._uninitialized.append((held, array))
        return held

    def assign(self, helds, arrays):
        """Give the :class:`Held` ``helds`` the values ``arrays``: one ``session.run`` of their initialisers."""
        self._uninitialized.extend(zip(helds, arrays))
        self._initialize()

    def _initialize(self):
        if self._uninitialized:
            helds, arrays = zip(*self._uninitialized)
            self._run([h.variable.initializer for h in helds], {h.feed: a for h, a in zip(helds, arrays)})
            self._uninitialized = []


class EagerRuntime:
    """Compiles with ``tf.function`` into one concrete function; runs it eagerly.

    ``trace_count`` counts the traces made by this runtime: compiling traces
    once (a :class:`Specialised` function: on its first call, and at most once
    more), running never does otherwise. With ``jit_compile`` the function is compiled by
    XLA, which fuses many small ops (worth it for loops of elementwise work run
    on inputs of one shape; XLA compiles again for each new input shape).
    """

    specialises = True

    def __init__(self, jit_compile=False):
        self.trace_count = 0
        self.jit_compile = jit_compile

    def compile(self, build, signature, specialise=False):
        """``build`` traced into a concrete function for ``signature`` now; with ``specialise``, a
        :class:`Specialised` one traced on its first call instead."""

        def traced(*tensors):
            self.trace_count += 1
            graph = tf.compat.v1.get_default_graph()
            with graph.gradient_override_map(OVERRIDE_MAP):
                return build(*tensors)

        function = tf.function(traced, autograph=False, jit_compile=self.jit_compile)
        if specialise:
            return Specialised(function, signature)
        concrete = function.get_concrete_function(*signature)
        return lambda *arrays: _called(concrete, _tensors(arrays, signature))

    @staticmethod
    def hold(array):
        """A :class:`Held` ``array``: an eager variable, which the traced function reads by reference."""
        with tf.init_scope():
            return Held(tf.Variable(array, trainable=False))

    @staticmethod
    def assign(helds, arrays):
        """Give the :class:`Held` ``helds`` the values ``arrays``."""
        for held, array in zip(helds, arrays):
            held.variable.assign(array)


def _tensors(arrays, signature):
    return [tf.convert_to_tensor(a, dtype=spec.dtype) for a, spec in zip(arrays, signature)]


def _called(concrete, tensors):
    return tf.nest.map_structure(np.asarray, concrete(*tensors))


class Specialised:
    """A ``tf.function`` run on NumPy arrays, traced for the shapes of its first call.

    Shapes fixed in the graph let TensorFlow fold the shape arithmetic that a free batch
    dimension keeps in it (of the model's own ops and of their gradients: about a hundred small
    ops on a transformer, 8-10 % of a call). The first time a call has other shapes, the
    function is traced once more, for ``signature`` (any batch size), which then runs every
    call whose shapes are not the first call's: at most two traces."""

    def __init__(self, function, signature):
        self.function = function
        self.signature = signature
        self.shapes = None
        self.first = None
        self.general = None

    def __call__(self, *arrays):
        tensors = _tensors(arrays, self.signature)
        shapes = [t.shape for t in tensors]
        if self.first is None and all(spec.shape.is_compatible_with(s) for spec, s in zip(self.signature, shapes)):
            specs = [tf.TensorSpec(shape, t.dtype) for shape, t in zip(shapes, tensors)]
            self.first, self.shapes = self.function.get_concrete_function(*specs), shapes
        if shapes == self.shapes:
            return _called(self.first, tensors)
        if self.general is None:
            self.general = self.function.get_concrete_function(*self.signature)
        return _called(self.general, tensors)


def default_runtime(session=None, graph=None, jit_compile=False):
    """The runtime for the caller's style: a session's graph, else eager execution
    (``jit_compile`` applies to eager execution only)."""
    if graph is not None and not isinstance(graph, tf.Graph):
        raise TypeError(f"graph: expected a tf.Graph or None, got {describe(graph)}")
    if session is not None:
        if not (callable(getattr(session, "run", None)) and isinstance(getattr(session, "graph", None), tf.Graph)):
            raise TypeError(f"session: expected a tf.compat.v1.Session or None, got {describe(session)}")
        return GraphRuntime(session, graph)
    if tf.executing_eagerly():
        return EagerRuntime(jit_compile)
    session = tf.compat.v1.get_default_session()
    if session is None:
        raise ValueError(
            "session: expected a tf.compat.v1.Session when eager execution is disabled, got None "
            "(pass session=..., e.g. tf_keras.api._v1.keras.backend.get_session())"
        )
    return GraphRuntime(session, graph)
