"""Adam on the generative model's variables, as ops of the compiled training step.

Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015 (the optimiser of the
GCE paper). The learning rate and the betas are tensors fed at every step, so one compiled
step serves every ``train`` call; the same ops run in a ``tf.function`` and in a session graph.
"""
import tensorflow as tf

EPSILON = 1e-8


class Adam:
    """Moment estimates for ``variables`` and the update ``θ ← θ − lr·m̂/(√v̂ + ε)``."""

    def __init__(self, variables):
        self.variables = list(variables)
        self.iterations = tf.Variable(0.0, trainable=False, name="gce_adam_iterations")
        self.moments = [(tf.Variable(tf.zeros(tf.TensorShape(v.shape).as_list(), v.dtype), trainable=False),
                         tf.Variable(tf.zeros(tf.TensorShape(v.shape).as_list(), v.dtype), trainable=False))
                        for v in self.variables]

    def slots(self):
        """The optimiser's own variables (to initialise in a session)."""
        return [self.iterations] + [slot for pair in self.moments for slot in pair]

    def apply(self, gradients, lr, beta1, beta2):
        """The update ops for ``gradients`` (one per variable; None leaves a variable unchanged)."""
        t = self.iterations.assign_add(1.0)
        corrected_first, corrected_second = 1.0 - tf.pow(beta1, t), 1.0 - tf.pow(beta2, t)
        updates = []
        for variable, gradient, (m, v) in zip(self.variables, gradients, self.moments):
            if gradient is None:
                continue
            m_t = m.assign(beta1 * m + (1.0 - beta1) * gradient)
            v_t = v.assign(beta2 * v + (1.0 - beta2) * tf.square(gradient))
            step = lr * (m_t / corrected_first) / (tf.sqrt(v_t / corrected_second) + EPSILON)
            updates.append(variable.assign_sub(step))
        return updates
