"""epsilon-LRP (Bach et al., 2015) as a modified chain rule (Ancona et al., 2018).

Each nonlinearity ``y = f(z)`` passes back ``grad · y / (z + ε·sign(z))`` with
sign(0) = +1; linear layers keep their gradient, and the attribution is
``x ⊙`` the modified gradient. On ReLU networks it equals gradient*input up to ε.
"""
import tensorflow as tf

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


class EpsilonLRP(GradientMethod):
    name = "elrp"

    def __init__(self, epsilon=1e-4):
        self.epsilon = positive_float("epsilon", epsilon)

    def rule(self, op, grad, nonlinearity):
        y = op.outputs[0]
        z = None if op.type == "Relu" else op.inputs[0]
        return _epsilon_rule(z, y, grad, tf.constant(self.epsilon, y.dtype))

    def attribute_batch(self, model, xs, ys, batch_size):
        return [g * x for g, x in zip(model.gradients(xs, ys), xs)]
