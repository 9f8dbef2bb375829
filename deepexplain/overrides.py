"""Gradient overrides for the modified chain rule.

Every op that may belong to a unit of :mod:`deepexplain.units` (elementwise ops,
products, softmax, max-pooling and Max/Min) created inside a DeepExplain context (or
inside a compiled eager explainer) is stamped with the gradient type ``DeepExplainGrad``.
That one registered gradient dispatches to the rule of the method that is building
gradients at the moment, for the units that rule covers (both held in a context
variable, so concurrent explainers in other threads never see each other's rule);
every other op, and every op when no rule is active, gets TensorFlow's own gradient,
so training inside the context still works.

A group of elementwise ops is one unit: its last op (the exit) receives the rule's
gradient at the group's entry and passes it down one chain of the group's ops to the
entry unchanged; the group's other ops pass nothing. Every rule covers the single
nonlinearities of :data:`NONLINEARITIES`; max-pooling and Max/Min keep their ordinary
gradient unless the rule is marked with :func:`covers_reductions` (DeepLIFT's and
DeepShap's max rule), and other units unless it is marked with :func:`covers_units`.
The rules of guided backpropagation and DeconvNet live here too.

Ancona et al., "Towards better understanding of gradient-based attribution
methods for deep neural networks", ICLR 2018.
"""
import contextlib
import contextvars
from collections.abc import Callable
from typing import NamedTuple

import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2
from tensorflow.python.framework import ops as tf_ops

from . import units

GRADIENT_NAME = "DeepExplainGrad"


class Nonlinearity(NamedTuple):
    """An elementwise op type ``y = f(z)`` and its ordinary gradient ``grad · f'(z)``.

    ``kernel(z, y, grad, attrs)`` computes that gradient on tensors with TensorFlow's
    own fused kernel (``tf.raw_ops``), ``attrs`` a dict of the op attributes named in
    ``attrs`` (LeakyRelu's ``alpha``); a rule may call it inside its own compiled
    function, so that XLA fuses it with the rule. ``forward(z, attrs)``, given for the
    piecewise-linear rectifiers, recomputes ``y`` exactly, so that such a function
    need not read ``y`` from memory.
    """

    op_type: str
    kernel: Callable
    attrs: tuple = ()
    forward: Callable = None

    def attributes(self, op):
        """The attributes of ``op`` the kernel needs, as a hashable tuple of pairs."""
        return tuple((name, op.get_attr(name)) for name in self.attrs)

    def gradient(self, op, grad):
        """``grad · f'(z)`` for the op ``op``."""
        return self.kernel(op.inputs[0], op.outputs[0], grad, dict(self.attributes(op)))


_raw = tf.raw_ops

NONLINEARITIES = {
    n.op_type: n
    for n in [
        Nonlinearity(
            "Relu", lambda z, y, grad, a: _raw.ReluGrad(gradients=grad, features=y), (),
            lambda z, a: _raw.Relu(features=z),
        ),
        Nonlinearity(
            "Relu6", lambda z, y, grad, a: _raw.Relu6Grad(gradients=grad, features=z), (),
            lambda z, a: _raw.Relu6(features=z),
        ),
        Nonlinearity(
            "LeakyRelu", lambda z, y, grad, a: _raw.LeakyReluGrad(gradients=grad, features=z, alpha=a["alpha"]),
            ("alpha",), lambda z, a: _raw.LeakyRelu(features=z, alpha=a["alpha"]),
        ),
        Nonlinearity("Elu", lambda z, y, grad, a: _raw.EluGrad(gradients=grad, outputs=y)),
        Nonlinearity("Selu", lambda z, y, grad, a: _raw.SeluGrad(gradients=grad, outputs=y)),
        Nonlinearity("Sigmoid", lambda z, y, grad, a: _raw.SigmoidGrad(y=y, dy=grad)),
        Nonlinearity("Tanh", lambda z, y, grad, a: _raw.TanhGrad(y=y, dy=grad)),
        Nonlinearity("Softplus", lambda z, y, grad, a: _raw.SoftplusGrad(gradients=grad, features=z)),
        Nonlinearity("Softsign", lambda z, y, grad, a: _raw.SoftsignGrad(gradients=grad, features=z)),
    ]
}
"""The op types whose gradient a method may replace, with their ordinary gradients."""



class Reduction(NamedTuple):
    """An op whose every output is the maximum (or minimum) of some of its inputs.

    ``select`` is ``tf.maximum`` or ``tf.minimum``; ``route(op, x, y, grad)`` sends ``grad``
    back to the selected inputs of ``x`` (whose outputs are ``y``), as the op's own
    gradient does: ``route(op, op.inputs[0], op.outputs[0], grad)`` is the plain gradient.
    """

    op_type: str
    select: Callable
    route: Callable


def _pool_attrs(op, *names):
    return {name: op.get_attr(name) for name in names}


def _route_max_pool(op, x, y, grad):
    attrs = _pool_attrs(op, "ksize", "strides", "padding", "data_format", "explicit_paddings")
    return _raw.MaxPoolGrad(orig_input=x, orig_output=y, grad=grad, **attrs)


def _route_max_pool_v2(op, x, y, grad):
    attrs = _pool_attrs(op, "padding", "data_format")
    return _raw.MaxPoolGradV2(orig_input=x, orig_output=y, grad=grad, ksize=op.inputs[1], strides=op.inputs[2], **attrs)


def _route_max_pool_3d(op, x, y, grad):
    attrs = _pool_attrs(op, "ksize", "strides", "padding", "data_format")
    return _raw.MaxPool3DGrad(orig_input=x, orig_output=y, grad=grad, **attrs)


def _route_reduction(op, x, y, grad):
    """``grad`` split evenly between the inputs equal to their reduced value (TensorFlow's own rule)."""
    if not op.get_attr("keep_dims"):
        rank = tf.rank(x)
        axes = tf.reshape((tf.cast(op.inputs[1], tf.int32) + rank) % rank, [-1, 1])
        kept = tf.tensor_scatter_nd_update(tf.shape(x), axes, tf.ones_like(axes[:, 0]))
        y, grad = tf.reshape(y, kept), tf.reshape(grad, kept)
    selected = tf.cast(tf.equal(x, y), grad.dtype)
    count = tf.reduce_sum(selected, op.inputs[1], keepdims=True)
    return selected / count * grad


REDUCTIONS = {
    r.op_type: r
    for r in [
        Reduction("MaxPool", tf.maximum, _route_max_pool),
        Reduction("MaxPoolV2", tf.maximum, _route_max_pool_v2),
        Reduction("MaxPool3D", tf.maximum, _route_max_pool_3d),
        Reduction("Max", tf.maximum, _route_reduction),
        Reduction("Min", tf.minimum, _route_reduction),
    ]
}
"""Max-pooling and the Max/Min reductions: the ops a rule may cover with ``covers_reductions``."""

OVERRIDE_MAP = {
    op_type: GRADIENT_NAME
    for op_type in sorted({*NONLINEARITIES, *REDUCTIONS, *units.ELEMENTWISE, *units.PRODUCTS, "Softmax"}
                          - units.TRANSPARENT)
}
"""The op types stamped with the DeepExplain gradient: the members of every kind of unit (see
:mod:`deepexplain.units`). An op that belongs to no unit of the active rule keeps its own gradient."""

RECTIFIERS = frozenset({"Relu", "Relu6", "LeakyRelu", "Elu", "Selu"})
"""The ReLU family: the op types guided backpropagation and DeconvNet modify."""

_ORIGINAL = "_deepexplain_gradient"
"""The attribute keeping the gradient type of a ``tf.custom_gradient`` op taken over by a rule."""

_active_rule = contextvars.ContextVar("deepexplain_active_rule", default=(None, {}))


def covers(rule, unit):
    """Whether ``rule`` replaces the gradient of ``unit``: every rule covers the single nonlinearities of
    :data:`NONLINEARITIES`; reductions need :func:`covers_reductions`; other units need ``rule.covers_unit``
    (a function of the unit)."""
    if rule is None:
        return False
    if isinstance(unit, units.Group) and len(unit.ops) == 1 and unit.exit.type in NONLINEARITIES:
        return True
    if isinstance(unit, units.Reduction):
        return getattr(rule, "covers_reductions", False)
    covers_unit = getattr(rule, "covers_unit", None)
    return covers_unit is not None and covers_unit(unit)


def _take_over(op):
    """Give ``op`` (a ``tf.custom_gradient`` wrapper in a unit) the DeepExplain gradient, keeping its own."""
    original = op.get_attr("_gradient_op_type")
    if original != GRADIENT_NAME.encode():
        op._set_attr(_ORIGINAL, attr_value_pb2.AttrValue(s=original))
        op._set_attr("_gradient_op_type", attr_value_pb2.AttrValue(s=GRADIENT_NAME.encode()))


@contextlib.contextmanager
def active_rule(rule, ruled=()):
    """Make ``rule`` the rule of the units ``ruled`` (from :func:`ruled_ops`) while gradients are built
    in this block; every other stamped op keeps its own gradient.

    ``rule(op, grad, nonlinearity)`` is called for a single nonlinearity (with its :class:`Nonlinearity`)
    and a reduction (with its :class:`Reduction`); ``rule(unit, grad, None)`` for the other units: it
    returns the gradient at a group's entry, a product's two operand gradients, a softmax's input
    gradient."""
    roles = {}
    for unit in ruled:
        for op in unit.ops:
            if op.type == "IdentityN":
                _take_over(op)
            roles[op] = (unit, unit.chain.get(op) if isinstance(unit, units.Group) else None)
    token = _active_rule.set((rule, roles))
    try:
        yield
    finally:
        _active_rule.reset(token)


def covers_reductions(rule):
    """Mark ``rule`` as handling the ops of :data:`REDUCTIONS` too: it is then called with
    a :class:`Reduction` in place of the :class:`Nonlinearity`. Other rules leave those
    ops their plain gradient."""
    rule.covers_reductions = True
    return rule


def covers_units(predicate):
    """Mark a rule as replacing the gradient of every unit (a :class:`~deepexplain.units.Group`,
    :class:`~deepexplain.units.Product` or :class:`~deepexplain.units.Softmax`) for which
    ``predicate(unit)`` holds; it is then called as ``rule(unit, grad, None)``."""

    def mark(rule):
        rule.covers_unit = predicate
        return rule

    return mark


class Substituted:
    """``op`` seen with other input tensors ``inputs``, for calling its gradient function at other
    operand values (a bilinear op's gradient with respect to one operand reads only the other)."""

    def __init__(self, op, inputs):
        self._op = op
        self.inputs = inputs

    def __getattr__(self, name):
        return getattr(self._op, name)


def unbroadcast(grad, operand):
    """``grad`` (shaped like a broadcast op's output) summed over the axes ``operand`` was broadcast along."""
    axes, _ = tf.raw_ops.BroadcastGradientArgs(s0=tf.shape(operand), s1=tf.shape(grad))
    return tf.reshape(tf.reduce_sum(grad, axes), tf.shape(operand))


def plain_gradient(op, grad, nonlinearity):
    """The ordinary chain rule ``grad · f'(x)``, by TensorFlow's own fused kernel."""
    return nonlinearity.gradient(op, grad)


def _rectifier(unit):
    return isinstance(unit, units.Group) and unit.rectifier


@covers_units(_rectifier)
def guided_rule(op, grad, nonlinearity):
    """Guided backpropagation (Springenberg et al., ICLR 2015 workshop): a rectifier passes
    back its ordinary gradient where the incoming gradient is positive, zero elsewhere. The
    gated rectifiers of current networks (swish, GELU, hard-swish, mish: groups ``x·g(x)``) are
    rectifiers too."""
    if isinstance(op, units.Group):
        return group_gradient(op, tf.nn.relu(grad))
    plain = nonlinearity.gradient(op, grad)
    return tf.where(grad > 0, plain, tf.zeros_like(plain)) if op.type in RECTIFIERS else plain


@covers_units(_rectifier)
def deconvnet_rule(op, grad, nonlinearity):
    """DeconvNet (Zeiler & Fergus, ECCV 2014): a rectifier (the ReLU family, and the gated
    rectifiers swish, GELU, hard-swish, mish) passes back ``relu(grad)``, whatever its forward input."""
    if isinstance(op, units.Group) or op.type in RECTIFIERS:
        return tf.nn.relu(grad)
    return nonlinearity.gradient(op, grad)


def original_gradient(op, *grads):
    """The op's own gradient (for a custom-gradient op taken over by a rule, its custom one)."""
    if op.type in NONLINEARITIES:
        return NONLINEARITIES[op.type].gradient(op, grads[0])
    if op.type in REDUCTIONS:
        return [REDUCTIONS[op.type].route(op, op.inputs[0], op.outputs[0], grads[0])] + [None] * (len(op.inputs) - 1)
    try:
        name = op.get_attr(_ORIGINAL).decode()
    except ValueError:
        name = op.type
    return tf_ops._gradient_registry.lookup(name)(op, *grads)


def group_gradient(group, grad):
    """``grad · f'(x)``: the ordinary gradient of a group's output ``f(x)`` at its entry ``x``."""
    with active_rule(None):
        return tf.gradients(group.output, group.entry, grad_ys=grad)[0]


def group_recipe(group):
    """The group's ``f`` as ``(steps, constants)``, to be recomputed on another entry by :func:`replay`.

    ``steps`` is hashable (one ``(type, sources, attributes)`` per op, inputs first; a source is
    ``("entry",)``, ``("op", k, j)`` for output ``j`` of step ``k``, or ``("constant", i)``), so that
    a compiled function taking it traces once per kind of group; ``constants`` are the operands that
    do not depend on the entry (constants, weights), as tensors."""
    sources, steps, constants = {group.entry.name: ("entry",)}, [], []
    for k, op in enumerate(group.ops):
        inputs = []
        for t in op.inputs:
            if t.name not in sources:
                sources[t.name] = ("constant", len(constants))
                constants.append(t)
            inputs.append(sources[t.name])
        sources.update({t.name: ("op", k, j) for j, t in enumerate(op.outputs)})
        attributes = tuple(sorted((name, value.SerializeToString()) for name, value in op.node_def.attr.items()
                                  if not name.startswith("_")))
        steps.append((op.type, tuple(inputs), attributes))
    return tuple(steps), tuple(constants)


def replay(steps, entry, constants):
    """The output of the group of :func:`group_recipe`, ``f(entry)``, built again in the current graph
    (ops of the same types and attributes, without the gradient stamps)."""
    graph = tf.compat.v1.get_default_graph()
    outputs = []
    for op_type, sources, attributes in steps:
        inputs = [entry if s[0] == "entry" else constants[s[1]] if s[0] == "constant" else outputs[s[1]][s[2]]
                  for s in sources]
        attrs = {name: attr_value_pb2.AttrValue.FromString(value) for name, value in attributes}
        outputs.append(graph.create_op(op_type, inputs, attrs=attrs).outputs)
    return outputs[-1][0]


@tf.RegisterGradient(GRADIENT_NAME)
def _deepexplain_gradient(op, *grads):
    rule, roles = _active_rule.get()
    role = roles.get(op)
    if role is None:
        return original_gradient(op, *grads)
    unit, toward = role
    result = [None] * len(op.inputs)
    if op is not unit.exit:
        if toward is not None:
            result[toward] = grads[0]
        return result
    if isinstance(unit, units.Reduction):
        result[0] = rule(op, grads[0], REDUCTIONS[op.type])
    elif isinstance(unit, units.Group) and len(unit.ops) == 1 and op.type in NONLINEARITIES:
        result[0] = rule(op, grads[0], NONLINEARITIES[op.type])
    elif isinstance(unit, units.Group):
        result[toward] = rule(unit, grads[0], None)
    elif isinstance(unit, units.Product):
        result[:2] = rule(unit, grads[0], None)
    else:
        result[0] = rule(unit, grads[0], None)
    return result


def ruled_ops(inputs, output, rule):
    """The units on the paths from ``inputs`` to ``output`` whose gradient ``rule`` replaces, inputs first.

    The order depends only on the graph's structure, so two graphs built by the same code
    (one model traced twice) list corresponding units at the same positions."""
    if rule is None:
        return []
    return [unit for unit in units.find_units(inputs, output)[0] if covers(rule, unit)]


def _stamped(op):
    try:
        return op.get_attr("_gradient_op_type") == GRADIENT_NAME.encode() or op.type in units.TRANSPARENT
    except ValueError:
        return op.type in units.TRANSPARENT and op.type != "IdentityN"


def _nested_is_linear(op):
    """Whether the function a nested-call op runs is linear in its inputs (a grouped convolution, an affine map)."""
    if op.type not in ("PartitionedCall", "StatefulPartitionedCall"):
        return False
    try:
        body = op.graph._get_function(op.get_attr("f").name)
    except (AttributeError, ValueError):
        return False
    graph = getattr(body, "graph", None)
    return graph is not None and not units.is_nonlinear(graph)


def _reached(path, ruled, stops):
    """The ops on ``path`` that the modified gradient reaches from the output: all of them, except
    behind the operands a rule passes nothing to (``stops(unit)``: their indices, such as a gate's)."""
    blocked = {}
    if stops is not None:
        blocked = {unit.exit: set(stops(unit)) for unit in ruled}
    on_path, reached, stack = set(path.ops), set(), [path.output.op]
    while stack:
        op = stack.pop()
        if op in reached or op not in on_path:
            continue
        reached.add(op)
        stack.extend(t.op for i, t in enumerate(op.inputs) if i not in blocked.get(op, ()))
    return reached


def audit(inputs, output, rule=None):
    """What on the path from ``inputs`` to ``output`` the modified chain rule will not see.

    Returns ``(unstamped, unsupported)``: the op types of units that were created outside
    any override scope (they would silently get plain gradients), and the nonlinear or
    multiplicative op types that keep their plain gradient under ``rule``: those in no unit,
    and those of units ``rule`` does not cover (max-pooling excepted: its plain gradient, the
    winner takes all, is what LRP and guided backpropagation prescribe).
    """
    found, path, loose = units.find_units(inputs, output)
    reached = _reached(path, [unit for unit in found if covers(rule, unit)], getattr(rule, "stops", None))
    found = [unit for unit in found if unit.exit in reached]
    loose = {name for name in loose if any(op in reached and name.startswith(op.type) for op in path.ops)}
    unstamped, unsupported = set(), set()
    for name in loose:
        if name in units.NESTED:
            ops = [op for op in path.ops if op.type == name and op in reached]
            if all(_nested_is_linear(op) for op in ops):
                continue
            name = f"{name} (a loop, conditional or nested function: the nonlinearities inside it)"
        unsupported.add(name)
    for unit in found:
        if covers(rule, unit):
            unstamped.update(op.type for op in unit.ops if not _stamped(op) and op.type != "IdentityN")
        elif isinstance(unit, units.Group):
            unsupported.update(unit.nonlinear_types())
        elif isinstance(unit, units.Product):
            unsupported.add(f"{unit.exit.type} (of two input-dependent tensors)")
        elif not unit.exit.type.startswith("MaxPool"):
            unsupported.add(unit.exit.type)
    return sorted(unstamped), sorted(unsupported)
