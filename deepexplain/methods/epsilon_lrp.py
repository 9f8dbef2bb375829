"""epsilon-LRP (Bach et al., 2015) as a modified chain rule (Ancona et al., 2018).

Each nonlinearity ``y = f(z)`` passes back ``grad · y / (z + ε·sign(z))`` with
sign(0) = +1; linear layers keep their gradient, and the attribution is
``x ⊙`` the modified gradient. On ReLU networks it equals gradient*input up to ε.

For transformers and gated units the rule is conservative in the manner of Ali et al.,
"XAI for transformers: better explanations through conservative propagation", ICML 2022
(and of Arras et al.'s LRP for LSTMs): a group of elementwise ops ``y = f(x)`` (GELU, swish)
passes back ``grad · y / (x + ε·sign(x))``; in a product whose one operand is a gate (attention
weights from a softmax, a normalisation's scale ``1/√(var + ε)``, an LSTM or squeeze-excitation
sigmoid) the gate is a constant, so relevance flows through the other operand only, and none
into the attention scores. Products of two operands neither of which is a gate keep their plain
gradient (and are named in the warning).
"""
import tensorflow as tf

from .. import units
from ..overrides import covers_units, original_gradient
from ..validation import positive_float
from .base import GradientMethod


@tf.function(jit_compile=True, autograph=False)
def _epsilon_rule(z, y, grad, epsilon):
    """``grad · y / (z + ε·sign(z))``, fused into one kernel by XLA. For a ReLU ``z`` is not
    needed (None): ``z = y`` wherever ``y > 0`` and the quotient is 0 elsewhere, so it is
    ``grad · y / (y + ε)``; the pre-activation then need not be kept, and TensorFlow can fuse
    the layer that makes it with the ReLU."""
    if z is None:
        return grad * y / (y + epsilon)
    return grad * y / (z + tf.where(z >= 0, epsilon, -epsilon))


def _conservative(unit):
    """The units with an epsilon-LRP rule: elementwise groups (the ratio rule over the group), products
    with a gate (the gate a constant) and softmax (no relevance into the attention scores)."""
    return isinstance(unit, (units.Group, units.Softmax)) or (isinstance(unit, units.Product) and unit.gate is not None)


def _stops(unit):
    """The operands of ``unit`` that receive no relevance: a gate, a softmax's input (the attention scores)."""
    if isinstance(unit, units.Softmax):
        return [0]
    return [unit.gate] if isinstance(unit, units.Product) else []


class EpsilonLRP(GradientMethod):
    """epsilon-LRP, computed as a modified chain rule.

    Each nonlinearity ``y = f(z)`` passes back ``grad · y / (z + ε·sign(z))`` instead of
    ``grad · f'(z)``; the attribution is ``φ(x) = x ⊙`` the modified gradient of ``Σ(T·ys)``.

    Parameters
    ----------
    epsilon : float, default 1e-4
        ``ε > 0``, the stabiliser of the division.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("elrp", ...)`` or ``get_explainer("elrp", ...).run(...)``.

    References
    ----------
    .. [1] S. Bach, A. Binder, G. Montavon, F. Klauschen, K.-R. Müller, W. Samek, "On pixel-wise
       explanations for non-linear classifier decisions by layer-wise relevance propagation",
       PLoS ONE 10(7), 2015.
    .. [2] M. Ancona, E. Ceolini, C. Öztireli, M. Gross, "Towards better understanding of
       gradient-based attribution methods for deep neural networks", ICLR, 2018. arXiv:1711.06104
    """

    name = "elrp"

    def __init__(self, epsilon=1e-4):
        self.epsilon = positive_float("epsilon", epsilon)

    @covers_units(_conservative)
    def rule(self, op, grad, nonlinearity):
        if isinstance(op, units.Group):
            return _epsilon_rule(op.entry, op.output, grad, tf.constant(self.epsilon, grad.dtype))
        if isinstance(op, units.Softmax):
            return tf.zeros_like(op.exit.inputs[0])
        if isinstance(op, units.Product):
            grads = list(original_gradient(op.exit, grad))[:2]
            grads[op.gate] = None
            return grads
        y = op.outputs[0]
        z = None if op.type == "Relu" else op.inputs[0]
        return _epsilon_rule(z, y, grad, tf.constant(self.epsilon, y.dtype))

    rule.stops = _stops

    def attribute_batch(self, model, xs, ys, batch_size):
        return [g * x for g, x in zip(model.gradients(xs, ys), xs)]
