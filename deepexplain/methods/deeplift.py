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
Max-pooling whose windows tile the input (strides equal to the window) routes the
shares elementwise in one XLA-compiled function, tied winners sharing evenly as
for Max/Min; other pooling routes them with the op's own gradient kernel.

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
def _rescale(z, y, grad, references, forward, kernel, attrs):
    """``grad · Δy/Δz`` against the reference rows, else the ordinary gradient ``kernel``;
    fused into one kernel by XLA. With ``y`` None, ``y = forward(z)`` is recomputed."""
    if y is None:
        y = forward(z, dict(attrs))
    dz = z - reference_rows(z, references)
    secant = tf.math.divide_no_nan(y - reference_rows(y, references), dz)
    return tf.where(tf.abs(dz) > _THRESHOLD, grad * secant, kernel(z, y, grad, dict(attrs)))


def _tiled_windows(op):
    """The pooling factors of a max-pooling op whose windows tile its input (strides equal
    to the window, none over the batch, no padding to add), else None."""
    if op.type not in ("MaxPool", "MaxPool3D"):
        return None
    ksize, padding = op.get_attr("ksize"), op.get_attr("padding")
    sizes = op.inputs[0].shape.as_list()[1:]
    if ksize != op.get_attr("strides") or ksize[0] != 1 or None in sizes:
        return None
    if padding == b"VALID" or (padding == b"SAME" and all(n % k == 0 for n, k in zip(sizes, ksize[1:]))):
        return tuple(ksize[1:])
    return None


@tf.function(jit_compile=True, autograph=False)
def _tiled_max_rule(x, y, grad, references, ksize):
    """The max rule on windows that tile ``x``: ``x`` viewed as ``(N, H/k, k, W/k, k, C)`` next to
    the pooled ``y`` as ``(N, H/k, 1, W/k, 1, C)``, so that the routing is elementwise and XLA fuses
    it. Tied winners share evenly (as for Max/Min); rows and columns left over by VALID padding get 0."""
    sizes = x.shape.as_list()[1:]
    pooled = [n // k for n, k in zip(sizes, ksize)]
    window_shape = [-1] + [d for p, k in zip(pooled, ksize) for d in ((p, k) if k > 1 else (p,))]
    output_shape = [-1] + [d for p, k in zip(pooled, ksize) for d in ((p, 1) if k > 1 else (p,))]
    axes = [i for i, d in enumerate(window_shape) if i > 0 and d != output_shape[i]]
    covered = tuple([slice(None)] + [slice(0, p * k) for p, k in zip(pooled, ksize)])
    xw, yw = tf.reshape(x[covered], window_shape), tf.reshape(y, output_shape)
    gw = tf.reshape(grad, output_shape)

    def winners(t, u):
        selected = tf.cast(tf.equal(t, u), t.dtype)
        return selected / tf.reduce_sum(selected, axes, keepdims=True)

    x_ref, y_ref = reference_rows(xw, references), reference_rows(yw, references)
    cross = tf.maximum(yw, y_ref)
    own = winners(xw, yw)
    theirs = winners(x_ref, y_ref) * (gw * (yw - cross))
    dx = xw - x_ref
    result = tf.where(tf.abs(dx) > _THRESHOLD, tf.math.divide_no_nan(own * (gw * (cross - y_ref)) + theirs, dx), own * gw)
    result = tf.reshape(result, [-1] + [p * k for p, k in zip(pooled, ksize)])
    return tf.pad(result, [[0, 0]] + [[0, n - p * k] for n, p, k in zip(sizes, pooled, ksize)])


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
            ksize = _tiled_windows(op)
            if ksize is not None:
                return _tiled_max_rule(op.inputs[0], op.outputs[0], grad, self.references, ksize)
            return _reduction_rule(op, grad, nonlinearity, self.references)
        forward = nonlinearity.forward
        return _rescale(
            op.inputs[0], None if forward else op.outputs[0], grad, self.references, forward, nonlinearity.kernel,
            nonlinearity.attributes(op),
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
