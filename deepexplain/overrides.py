"""Gradient overrides for the modified chain rule.

Every supported nonlinearity created inside a DeepExplain context (or inside a
compiled eager explainer) is stamped with the gradient type ``DeepExplainGrad``.
That one registered gradient dispatches to the rule of the method that is
building gradients at the moment (held in a context variable, so concurrent
explainers in other threads never see each other's rule); with no rule active
it returns TensorFlow's own gradient, so training inside the context still works.

Two kinds of ops are stamped: the elementwise nonlinearities (:data:`NONLINEARITIES`),
whose gradient every rule replaces, and max-pooling and the Max/Min reductions
(:data:`REDUCTIONS`), which keep their ordinary gradient unless the active rule is
marked with :func:`covers_reductions` (DeepLIFT's and DeepShap's max rule). The rules
of guided backpropagation and DeconvNet live here too.

Ancona et al., "Towards better understanding of gradient-based attribution
methods for deep neural networks", ICLR 2018.
"""
import contextlib
import contextvars
from typing import Callable, NamedTuple

import tensorflow as tf

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
            "Relu", lambda z, y, grad, a: _raw.ReluGrad(gradients=grad, features=y), (), lambda z, a: _raw.Relu(features=z)
        ),
        Nonlinearity(
            "Relu6", lambda z, y, grad, a: _raw.Relu6Grad(gradients=grad, features=z), (), lambda z, a: _raw.Relu6(features=z)
        ),
        Nonlinearity(
            "LeakyRelu", lambda z, y, grad, a: _raw.LeakyReluGrad(gradients=grad, features=z, alpha=a["alpha"]), ("alpha",),
            lambda z, a: _raw.LeakyRelu(features=z, alpha=a["alpha"]),
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

OVERRIDE_MAP = {op_type: GRADIENT_NAME for op_type in [*NONLINEARITIES, *REDUCTIONS]}

UNSUPPORTED_NONLINEARITIES = frozenset(
    {"Erf", "Erfc", "Exp", "Expm1", "Log", "Log1p", "Square", "Sqrt", "Rsqrt", "Pow", "Abs",
     "Sin", "Cos", "Tan", "Atan", "Reciprocal", "Softmax", "LogSoftmax", "Maximum", "Minimum"}
)
"""Nonlinear op types that keep their plain gradient under every method (and the
reductions Max/Min under rules that do not cover reductions)."""

RECTIFIERS = frozenset({"Relu", "Relu6", "LeakyRelu", "Elu", "Selu"})
"""The ReLU family: the op types guided backpropagation and DeconvNet modify."""

_MULTIPLICATIVE = frozenset({"Mul", "RealDiv", "Div", "DivNoNan", "BatchMatMulV2", "BatchMatMulV3", "Einsum"})

_NESTED = frozenset({"While", "StatelessWhile", "If", "StatelessIf", "Case", "StatelessCase", "PartitionedCall",
                     "StatefulPartitionedCall"})
"""Op types that run a function of their own (loops, conditionals, nested ``tf.function`` calls):
the nonlinearities inside them keep their plain gradients."""

_active_rule = contextvars.ContextVar("deepexplain_active_rule", default=None)


@contextlib.contextmanager
def active_rule(rule):
    """Make ``rule(op, grad, nonlinearity) -> input gradient`` the rule of every
    overridden nonlinearity while gradients are built in this block."""
    token = _active_rule.set(rule)
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


def plain_gradient(op, grad, nonlinearity):
    """The ordinary chain rule ``grad · f'(x)``, by TensorFlow's own fused kernel."""
    return nonlinearity.gradient(op, grad)


def guided_rule(op, grad, nonlinearity):
    """Guided backpropagation (Springenberg et al., ICLR 2015 workshop): a rectifier passes
    back its ordinary gradient where the incoming gradient is positive, zero elsewhere."""
    plain = nonlinearity.gradient(op, grad)
    return tf.where(grad > 0, plain, tf.zeros_like(plain)) if op.type in RECTIFIERS else plain


def deconvnet_rule(op, grad, nonlinearity):
    """DeconvNet (Zeiler & Fergus, ECCV 2014): a rectifier passes back ``relu(grad)``,
    whatever its forward input."""
    return tf.nn.relu(grad) if op.type in RECTIFIERS else nonlinearity.gradient(op, grad)


@tf.RegisterGradient(GRADIENT_NAME)
def _deepexplain_gradient(op, grad):
    rule = _active_rule.get() or plain_gradient
    if op.type in NONLINEARITIES:
        return rule(op, grad, NONLINEARITIES[op.type])
    reduction = REDUCTIONS[op.type]
    if getattr(rule, "covers_reductions", False):
        input_grad = rule(op, grad, reduction)
    else:
        input_grad = reduction.route(op, op.inputs[0], op.outputs[0], grad)
    return [input_grad] + [None] * (len(op.inputs) - 1)


def _post_order(output_op, stop_ops):
    """Ops reachable backwards from ``output_op`` (not expanding ``stop_ops``), inputs first."""
    order, seen, stack = [], set(), [(output_op, False)]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
        elif op not in seen:
            seen.add(op)
            stack.append((op, True))
            if op not in stop_ops:
                stack.extend((t.op, False) for t in op.inputs if t.op not in seen)
    return order


def input_dependence(inputs, output):
    """Map each op that ``output`` depends on to whether it depends on any of ``inputs``."""
    input_ops = {x.op for x in inputs}
    depends = {}
    for op in _post_order(output.op, input_ops):
        depends[op] = op in input_ops or any(depends.get(t.op, False) for t in op.inputs)
    return depends


def _stamped(op):
    try:
        return op.get_attr("_gradient_op_type") == GRADIENT_NAME.encode()
    except ValueError:
        return False


def ruled_ops(inputs, output, rule):
    """The stamped ops on the paths from ``inputs`` to ``output`` whose gradient ``rule``
    replaces (the nonlinearities, and the reductions when it covers them), inputs first.

    The order depends only on the graph's structure, so two graphs built by the same code
    (one model traced twice) list corresponding ops at the same positions."""
    reductions = getattr(rule, "covers_reductions", False)
    return [
        op for op, dep in input_dependence(inputs, output).items()
        if dep and _stamped(op) and (op.type in NONLINEARITIES or (reductions and op.type in REDUCTIONS))
    ]


def audit(inputs, output, rule=None):
    """What on the path from ``inputs`` to ``output`` the modified chain rule will not see.

    Returns ``(unstamped, unsupported)``: the overridable ops that were created outside
    any override scope (they would silently get plain gradients), and the nonlinear or
    multiplicative op types that keep their plain gradient. With a ``rule`` that covers
    reductions, max-pooling and Max/Min count as overridable; otherwise Max/Min are
    reported as keeping their plain gradient (max-pooling's plain gradient, the winner
    takes all, is what LRP and guided backpropagation prescribe).
    """
    reductions = getattr(rule, "covers_reductions", False)
    depends = input_dependence(inputs, output)
    input_ops = {x.op for x in inputs}
    unstamped, unsupported = set(), set()
    for op in (op for op, dep in depends.items() if dep and op not in input_ops):
        if op.type in NONLINEARITIES or (reductions and op.type in REDUCTIONS):
            if not _stamped(op):
                unstamped.add(op.type)
        elif op.type in UNSUPPORTED_NONLINEARITIES or op.type in ("Max", "Min"):
            unsupported.add(op.type)
        elif op.type in _MULTIPLICATIVE and sum(depends.get(t.op, False) for t in op.inputs) > 1:
            unsupported.add(f"{op.type} (of two input-dependent tensors)")
        elif op.type in _NESTED:
            unsupported.add(f"{op.type} (a loop, conditional or nested function: the nonlinearities inside it)")
    return sorted(unstamped), sorted(unsupported)
