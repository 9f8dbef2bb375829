"""DeepLIFT with the Rescale rule (Shrikumar et al., 2017), as a modified chain rule.

Each nonlinearity ``y = f(z)`` passes back ``grad · Δy / Δz``, the differences
taken against the reference activations that the baseline produces; where
``|Δz| ≤ 1e-5`` it passes back the ordinary gradient ``grad · f'(z)``, the limit
of that ratio. The attribution is ``(x − baseline) ⊙`` the modified gradient,
and sums to ``T(x) − T(baseline)`` on networks of linear layers, supported
nonlinearities, max-pooling and Max/Min reductions.

Max-pooling and Max/Min (``y = max_j x_j`` over a window) use the DeepLIFT rule
for max units (Shrikumar et al., 2017, section 3.5; shap's DeepExplainer has the
same): split ``Δy = [max(y, y_r) − y_r] + [y − max(y, y_r)]``; the first part (not
negative, non-zero only if ``y > y_r``) goes to the input that wins the input's
window, the second (not positive) to the input that wins the reference's window,
and each input passes back the share it received divided by its own ``Δx``. The
shares add up to ``Δy``, so completeness holds; an input receiving a share has
``|Δx| ≥ |Δy_share|``, so the multipliers lie in [0, 1]. (For Min, swap max and min.)

The reference activations are computed in the same pass: the first ``references``
rows of every model call are reference rows, and row ``i`` is compared with row
``i mod references``. DeepLIFT puts its baseline first (one reference row);
DeepShap puts a block of background rows first. This needs a model whose rows
are independent (true of inference-mode Keras models) and a free batch dimension.
"""
import numpy as np
import tensorflow as tf

from ..overrides import Reduction, covers_reductions
from .base import GradientMethod, check_baseline

_THRESHOLD = 1e-5


def reference_rows(t, references):
    """Each row's reference: row ``i`` of ``t`` is paired with row ``i mod references``."""
    if references == 1:
        return t[:1]
    return tf.gather(t, tf.range(tf.shape(t)[0]) % references)


@tf.function(jit_compile=True, autograph=False)
def _rescale(z, y, grad, references, kernel, attrs):
    """``grad · Δy/Δz`` against the reference rows, else the ordinary gradient ``kernel``;
    fused into one kernel by XLA."""
    dz = z - reference_rows(z, references)
    secant = tf.math.divide_no_nan(y - reference_rows(y, references), dz)
    return tf.where(tf.abs(dz) > _THRESHOLD, grad * secant, kernel(z, y, grad, dict(attrs)))


def _reduction_rule(op, grad, reduction, references):
    """The DeepLIFT rule for max (or min) units, routed by the op's own gradient kernel."""
    x, y = op.inputs[0], op.outputs[0]
    x_ref = tf.broadcast_to(reference_rows(x, references), tf.shape(x))
    y_ref = tf.broadcast_to(reference_rows(y, references), tf.shape(y))
    cross = reduction.select(y, y_ref)
    own = reduction.route(op, x, y, grad * (cross - y_ref))
    theirs = reduction.route(op, x_ref, y_ref, grad * (y - cross))
    dx = x - x_ref
    plain = reduction.route(op, x, y, grad)
    return tf.where(tf.abs(dx) > _THRESHOLD, tf.math.divide_no_nan(own + theirs, dx), plain)


class ReferenceRule(GradientMethod):
    """Methods that compare every row with a reference row of the same model call.

    ``references`` is the number of reference rows at the start of every call, fixed
    when the gradients are built (after ``check``).
    """

    references = 1

    @covers_reductions
    def rule(self, op, grad, nonlinearity):
        # Reference rows have zero target weights, so their upstream gradient is zero and
        # the rule can run on the whole batch: no slicing, no copies.
        if isinstance(nonlinearity, Reduction):
            return _reduction_rule(op, grad, nonlinearity, self.references)
        return _rescale(
            op.inputs[0], op.outputs[0], grad, self.references, nonlinearity.kernel, nonlinearity.attributes(op)
        )


class DeepLIFT(ReferenceRule):
    name = "deeplift"
    extra_rows = 1

    def __init__(self, baseline=None):
        self.baseline = baseline
        self._baselines = None

    def check(self, xs):
        self._baselines = check_baseline(self.baseline, xs)

    def attribute_batch(self, model, xs, ys, batch_size):
        inputs = [np.concatenate([b[None], x]) for x, b in zip(xs, self._baselines)]
        weights = np.concatenate([np.zeros_like(ys[:1]), ys])
        grads = model.gradients(inputs, weights)
        return [g[1:] * (x - b) for g, x, b in zip(grads, xs, self._baselines)]
