"""DeepLIFT with the Rescale rule (Shrikumar et al., 2017), as a modified chain rule.

Each nonlinearity ``y = f(z)`` passes back ``grad · Δy / Δz``, the differences
taken against the reference activations that the baseline produces; where
``|Δz| ≤ 1e-5`` it passes back the ordinary gradient ``grad · f'(z)``, the limit
of that ratio. The attribution is ``(x − baseline) ⊙`` the modified gradient,
and sums to ``T(x) − T(baseline)`` on networks of linear layers and supported
nonlinearities.

The reference activations are computed in the same pass: the baseline is
appended to every batch as one extra row, so each nonlinearity sees its
reference input in its own last row. This needs a model whose rows are
independent (true of inference-mode Keras models) and a free batch dimension.
"""
import numpy as np
import tensorflow as tf

from .base import GradientMethod, check_baseline

_THRESHOLD = 1e-5


@tf.function(jit_compile=True, autograph=False)
def _rescale(z, y, grad, plain):
    """``grad · Δy/Δz`` against the last row, else ``plain``; fused into one kernel by XLA."""
    dz = z - z[-1:]
    secant = tf.math.divide_no_nan(y - y[-1:], dz)
    return tf.where(tf.abs(dz) > _THRESHOLD, grad * secant, plain)


class DeepLIFT(GradientMethod):
    name = "deeplift"

    def __init__(self, baseline=None):
        self.baseline = baseline
        self._baselines = None

    def check(self, xs):
        self._baselines = check_baseline(self.baseline, xs)

    def rule(self, op, grad, nonlinearity):
        # The reference row's own upstream gradient is zero (its target weights are zero),
        # so the rule can run on the whole batch: no slicing, no copies.
        return _rescale(op.inputs[0], op.outputs[0], grad, nonlinearity.gradient(op, grad))

    def attribute_batch(self, model, xs, ys, batch_size):
        inputs = [np.concatenate([x, b[None]]) for x, b in zip(xs, self._baselines)]
        weights = np.concatenate([ys, np.zeros_like(ys[:1])])
        grads = model.gradients(inputs, weights)
        return [g[:-1] * (x - b) for g, x, b in zip(grads, xs, self._baselines)]
