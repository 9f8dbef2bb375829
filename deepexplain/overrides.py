"""Gradient overrides for the modified chain rule.

Every supported nonlinearity created inside a DeepExplain context (or inside a
compiled eager explainer) is stamped with the gradient type ``DeepExplainGrad``.
That one registered gradient dispatches to the rule of the method that is
building gradients at the moment (held in a context variable, so concurrent
explainers in other threads never see each other's rule); with no rule active
it returns TensorFlow's own gradient, so training inside the context still works.

Ancona et al., "Towards better understanding of gradient-based attribution
methods for deep neural networks", ICLR 2018.
"""
import contextlib
import contextvars
from typing import Callable, NamedTuple

import tensorflow as tf

GRADIENT_NAME = "DeepExplainGrad"


class Nonlinearity(NamedTuple):
    """An elementwise op type and its ordinary gradient ``grad · f'(x)``, by
    TensorFlow's own fused kernel (``tf.raw_ops``)."""

    op_type: str
    gradient: Callable


_raw = tf.raw_ops

NONLINEARITIES = {
    n.op_type: n
    for n in [
        Nonlinearity("Relu", lambda op, grad: _raw.ReluGrad(gradients=grad, features=op.outputs[0])),
        Nonlinearity("Relu6", lambda op, grad: _raw.Relu6Grad(gradients=grad, features=op.inputs[0])),
        Nonlinearity(
            "LeakyRelu",
            lambda op, grad: _raw.LeakyReluGrad(gradients=grad, features=op.inputs[0], alpha=op.get_attr("alpha")),
        ),
        Nonlinearity("Elu", lambda op, grad: _raw.EluGrad(gradients=grad, outputs=op.outputs[0])),
        Nonlinearity("Selu", lambda op, grad: _raw.SeluGrad(gradients=grad, outputs=op.outputs[0])),
        Nonlinearity("Sigmoid", lambda op, grad: _raw.SigmoidGrad(y=op.outputs[0], dy=grad)),
        Nonlinearity("Tanh", lambda op, grad: _raw.TanhGrad(y=op.outputs[0], dy=grad)),
        Nonlinearity("Softplus", lambda op, grad: _raw.SoftplusGrad(gradients=grad, features=op.inputs[0])),
        Nonlinearity("Softsign", lambda op, grad: _raw.SoftsignGrad(gradients=grad, features=op.inputs[0])),
    ]
}
"""The op types whose gradient a method may replace, with their ordinary gradients."""

OVERRIDE_MAP = {op_type: GRADIENT_NAME for op_type in NONLINEARITIES}

UNSUPPORTED_NONLINEARITIES = frozenset(
    {"Erf", "Erfc", "Exp", "Expm1", "Log", "Log1p", "Square", "Sqrt", "Rsqrt", "Pow", "Abs",
     "Sin", "Cos", "Tan", "Atan", "Reciprocal", "Softmax", "LogSoftmax", "Maximum", "Minimum",
     "Min", "Max"}
)
"""Nonlinear op types that keep their plain gradient under every method."""

_MULTIPLICATIVE = frozenset({"Mul", "RealDiv", "Div", "DivNoNan", "BatchMatMulV2", "BatchMatMulV3", "Einsum"})

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


def plain_gradient(op, grad, nonlinearity):
    """The ordinary chain rule ``grad · f'(x)``, by TensorFlow's own fused kernel."""
    return nonlinearity.gradient(op, grad)


@tf.RegisterGradient(GRADIENT_NAME)
def _deepexplain_gradient(op, grad):
    rule = _active_rule.get() or plain_gradient
    return rule(op, grad, NONLINEARITIES[op.type])


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


def audit(inputs, output):
    """What on the path from ``inputs`` to ``output`` the modified chain rule will not see.

    Returns ``(unstamped, unsupported)``: the overridable nonlinearities that were
    created outside any override scope (they would silently get plain gradients),
    and the nonlinear or multiplicative op types that keep their plain gradient.
    """
    depends = input_dependence(inputs, output)
    input_ops = {x.op for x in inputs}
    unstamped, unsupported = set(), set()
    for op in (op for op, dep in depends.items() if dep and op not in input_ops):
        if op.type in NONLINEARITIES:
            try:
                stamped = op.get_attr("_gradient_op_type") == GRADIENT_NAME.encode()
            except ValueError:
                stamped = False
            if not stamped:
                unstamped.add(op.type)
        elif op.type in UNSUPPORTED_NONLINEARITIES:
            unsupported.add(op.type)
        elif op.type in _MULTIPLICATIVE and sum(depends.get(t.op, False) for t in op.inputs) > 1:
            unsupported.add(f"{op.type} (of two input-dependent tensors)")
    return sorted(unstamped), sorted(unsupported)
