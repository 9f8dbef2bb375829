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

The reference activations (the inputs and outputs of every ruled op on the reference
rows) are computed once, by a forward pass of the reference rows when the explainer is
compiled, and held by the compiled function (``Explainer.refresh()`` recomputes them after the
weights change); row ``i`` of every model call is compared
with reference row ``i mod R``. DeepLIFT has one reference row, its baseline; DeepShap
has its background rows. This needs a model whose rows are independent (true of
inference-mode Keras models).

On large tensors (``_FUSED_TOTAL``, ``_FUSED_SIZE``) each rule runs as one XLA-compiled kernel (a group's derivative
taken on the group rebuilt inside it); on smaller ones as separate ops, which cost less than launching
a compiled kernel.
"""
import tensorflow as tf

from .. import units
from ..overrides import (
    NONLINEARITIES,
    Reduction,
    Substituted,
    active_rule,
    covers_reductions,
    covers_units,
    group_gradient,
    group_recipe,
    original_gradient,
    replay,
    unbroadcast,
)
from .base import GradientMethod, check_baseline

_THRESHOLD = 1e-5
_ELEMENTWISE_PRODUCTS = frozenset({"Mul", "RealDiv", "Div", "SquaredDifference"})
_FUSED_SIZE = 2048
"""A rule compiled by XLA runs so on tensors of at least this many values per row times the number of
reference rows (a row count it runs on at least) when the batch is unknown; on smaller tensors (a text
transformer's) its ops run one by one, which costs less than launching a compiled kernel. A higher per-row
cut-off leaves the layers of small CNNs, run on large batches, unfused (deeplift 1.3x -> 1.6x its floor on a
28x28 CNN)."""
_FUSED_TOTAL = 16384
"""The cut-off in values of the whole tensor, when its batch is known (an eager explainer's function is
traced for the shapes of its first call)."""


def _fused(rule, tensor, reference):
    """``rule`` (a function compiled by XLA), or its uncompiled form on a small ``tensor``: fewer than
    ``_FUSED_TOTAL`` values, or, with the batch unknown, fewer than ``_FUSED_SIZE`` per row times the rows of
    ``reference``."""
    shape = tensor.shape
    if shape.is_fully_defined():
        small = shape.num_elements() < _FUSED_TOTAL
    else:
        row = shape[1:]
        small = row.is_fully_defined() and row.num_elements() * (reference.shape[0] or 1) < _FUSED_SIZE
    return rule.python_function if small else rule


def reference_rows(reference, t):
    """Each row's reference activations: row ``i`` of ``t`` is paired with row ``i mod R`` of
    the ``R`` rows of ``reference``."""
    count = reference.shape[0]
    if count == 1:
        return reference
    return tf.gather(reference, tf.range(tf.shape(t)[0]) % count)


def _secant_or(x, y, grad, x_ref, y_ref, derivative):
    """``grad · Δy/Δx`` where ``|Δx| > 1e-5``, else ``derivative`` (``grad · f'(x)``)."""
    dx = x - reference_rows(x_ref, x)
    secant = tf.math.divide_no_nan(y - reference_rows(y_ref, y), dx)
    return tf.where(tf.abs(dx) > _THRESHOLD, grad * secant, derivative)


@tf.function(jit_compile=True, autograph=False)
def _rescale(z, y, grad, z_ref, y_ref, forward, kernel, attrs):
    """``grad · Δy/Δz`` against the reference activations, else the ordinary gradient ``kernel``;
    fused into one kernel by XLA (on large tensors, see ``_fused``). With ``y`` None, ``y = forward(z)``
    and ``y_ref = forward(z_ref)`` are recomputed."""
    if y is None:
        y, y_ref = forward(z, dict(attrs)), forward(z_ref, dict(attrs))
    return _secant_or(z, y, grad, z_ref, y_ref, kernel(z, y, grad, dict(attrs)))


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
def _tiled_max_rule(x, y, grad, x_ref, y_ref, ksize):
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
    x_ref = tf.reshape(reference_rows(x_ref, x)[covered], window_shape)
    y_ref = tf.reshape(reference_rows(y_ref, y), output_shape)

    def winners(t, u):
        selected = tf.cast(tf.equal(t, u), t.dtype)
        return selected / tf.reduce_sum(selected, axes, keepdims=True)

    cross = tf.maximum(yw, y_ref)
    own = winners(xw, yw)
    theirs = winners(x_ref, y_ref) * (gw * (yw - cross))
    dx = xw - x_ref
    shares = own * (gw * (cross - y_ref)) + theirs
    result = tf.where(tf.abs(dx) > _THRESHOLD, tf.math.divide_no_nan(shares, dx), own * gw)
    result = tf.reshape(result, [-1] + [p * k for p, k in zip(pooled, ksize)])
    return tf.pad(result, [[0, 0]] + [[0, n - p * k] for n, p, k in zip(sizes, pooled, ksize)])


def _reduction_rule(op, grad, reduction, x_ref, y_ref):
    """The DeepLIFT rule for max (or min) units, routed by the op's own gradient kernel."""
    x, y = op.inputs[0], op.outputs[0]
    x_ref = tf.broadcast_to(reference_rows(x_ref, x), tf.shape(x))
    y_ref = tf.broadcast_to(reference_rows(y_ref, y), tf.shape(y))
    cross = reduction.select(y, y_ref)
    own = reduction.route(op, x, y, grad * (cross - y_ref))
    theirs = reduction.route(op, x_ref, y_ref, grad * (y - cross))
    dx = x - x_ref
    plain = reduction.route(op, x, y, grad)
    return tf.where(tf.abs(dx) > _THRESHOLD, tf.math.divide_no_nan(own + theirs, dx), plain)


@tf.function(jit_compile=True, autograph=False)
def _group_rescale(x, y, grad, x_ref, y_ref, constants, steps):
    """``_secant_or`` for a group ``y = f(x)``, ``f'(x)`` taken on ``f`` rebuilt from its recipe
    ``(steps, constants)`` (see ``group_recipe``), so that XLA fuses the group's backward pass with the
    rule into one kernel."""
    derivative = tf.gradients(replay(steps, x, constants), x, grad_ys=grad)[0]
    return _secant_or(x, y, grad, x_ref, y_ref, derivative)


def _group_rule(group, grad, x_ref, y_ref):
    """Rescale over a group ``y = f(x)`` of elementwise ops: ``grad · Δy/Δx``, else ``grad · f'(x)``; fused
    by XLA on large tensors (see ``_fused``)."""
    x, y = group.entry, group.output
    if _fused(_group_rescale, x, x_ref) is not _group_rescale:
        return _secant_or(x, y, grad, x_ref, y_ref, group_gradient(group, grad))
    steps, constants = group_recipe(group)
    with active_rule(None):
        return _group_rescale(x, y, grad, x_ref, y_ref, constants, steps)


@tf.function(jit_compile=True, autograph=False)
def _elementwise_product_rule(a, b, grad, a_ref, b_ref, op_type):
    """The operand gradients of ``_product_rule`` for the elementwise ``op_type``, fused by XLA (on large
    tensors, see ``_fused``)."""
    a_ref, b_ref = reference_rows(a_ref, a), reference_rows(b_ref, b)
    if op_type == "SquaredDifference":
        multiplied = grad * ((a - b) + (a_ref - b_ref))
        return unbroadcast(multiplied, a), -unbroadcast(multiplied, b)
    if op_type in ("RealDiv", "Div"):
        return unbroadcast(grad * (1 / b + 1 / b_ref) / 2, a), unbroadcast(-grad * (a + a_ref) / (2 * b * b_ref), b)
    return unbroadcast(grad * (b + b_ref) / 2, a), unbroadcast(grad * (a + a_ref) / 2, b)


@tf.function(jit_compile=True, autograph=False)
def _midpoints(a, b, a_ref, b_ref):
    """``(a + a_r)/2`` and ``(b + b_r)/2``, fused by XLA (on large tensors, see ``_fused``)."""
    return (a + reference_rows(a_ref, a)) / 2, (b + reference_rows(b_ref, b)) / 2


@tf.function(jit_compile=True, autograph=False)
def _scale_rule(a, s, grad, a_ref, s_ref, op_type):
    """The operand gradients of ``_product_rule`` for ``a`` times, or over, a normalisation's scale ``s``: the
    path that moves ``s`` first, ``Δ(a·s) = Δa·s + a_r·Δs`` and ``Δ(a/s) = Δa/s + a_r·Δ(1/s)``; fused by XLA
    (on large tensors, see ``_fused``)."""
    a_ref = reference_rows(a_ref, a)
    if op_type == "Mul":
        return unbroadcast(grad * s, a), unbroadcast(grad * a_ref, s)
    return unbroadcast(grad / s, a), unbroadcast(-grad * a_ref / (s * reference_rows(s_ref, s)), s)


def _product_rule(unit, grad, a_ref, b_ref):
    """The two-player Shapley split of a product of input-dependent ``a`` and ``b``:
    ``Δ(ab) = Δa·(b_r + Δb/2) + Δb·(a_r + Δa/2)``, exact for any bilinear op (``Mul``, ``MatMul``,
    ``Einsum``): each operand's gradient is the op's own, read at the midpoint of the other operand.
    A quotient ``a/b`` is ``a·(1/b)`` with the Rescale multiplier ``−1/(b·b_r)`` of ``1/b``; a squared
    difference ``(a − b)²`` has the multiplier ``(a − b) + (a_r − b_r)`` of ``d²`` in ``d = a − b``.

    A normalisation's scale ``s = 1/√(v + ε)`` (``unit.scale``) takes its share only where the reference
    itself is not centred: ``Δ(a·s) = Δa·s + a_r·Δs``, the normalisation read at the input's own scale
    (as Ali et al., ICML 2022, do for LRP) and exact all the same. Before a constant reference row (zeros)
    ``a_r = 0``; the Shapley split would then cancel terms ``s_r/s`` times larger than the result (31.6×
    for ``ε = 10⁻³``), and lose float32 precision in a stack of normalisations."""
    op = unit.exit
    a, b = op.inputs[0], op.inputs[1]
    if unit.scale is not None:  # the scale second
        order = 1 if unit.scale == 1 else -1
        grads = _fused(_scale_rule, grad, a_ref)(*(a, b)[::order], grad, *(a_ref, b_ref)[::order], op.type)
        return list(grads[::order])
    if op.type in _ELEMENTWISE_PRODUCTS:
        return list(_fused(_elementwise_product_rule, grad, a_ref)(a, b, grad, a_ref, b_ref, op.type))
    midpoints = _fused(_midpoints, a, a_ref)(a, b, a_ref, b_ref)
    return list(original_gradient(Substituted(op, list(midpoints)), grad))[:2]


@tf.function(jit_compile=True, autograph=False)
def _softmax_rule(z, grad, z_ref):
    """Softmax ``s = e/S`` (``e = exp(z)``, ``S = Σe`` over the last axis) as the exp group, a sum and the
    quotient rule: ``grad_z = m ⊙ (grad·(1/S + 1/S_r)/2 − Σ grad·(e + e_r)/2 / (S·S_r))``, ``m = Δe/Δz`` (the
    exponentials shifted by one common maximum per row pair, which cancels); fused by XLA on large tensors."""
    z_ref = reference_rows(z_ref, z)
    shift = tf.maximum(tf.reduce_max(z, -1, keepdims=True), tf.reduce_max(z_ref, -1, keepdims=True))
    e, e_ref = tf.exp(z - shift), tf.exp(z_ref - shift)
    total, total_ref = tf.reduce_sum(e, -1, keepdims=True), tf.reduce_sum(e_ref, -1, keepdims=True)
    dz = z - z_ref
    rescale = tf.where(tf.abs(dz) > _THRESHOLD, tf.math.divide_no_nan(e - e_ref, dz), e)
    shared = tf.reduce_sum(grad * (e + e_ref), -1, keepdims=True) / (2 * total * total_ref)
    return rescale * (grad * (1 / total + 1 / total_ref) / 2 - shared)


class ReferenceRule(GradientMethod):
    """Methods that compare every row of a model call with reference rows.

    ``reference_inputs()`` gives the ``R`` reference rows of each input (after ``check``).
    Before gradients are built, ``bind`` hands the rule the reference activations of the
    units it replaces (see :mod:`deepexplain.units`): Rescale for single nonlinearities and
    elementwise groups, the max rule for max units, the Shapley split for products and the
    softmax rule.
    """

    def reference_inputs(self):
        raise NotImplementedError

    @staticmethod
    def held_references(unit):
        """The tensors of ``unit`` whose reference values the rule reads: its ``references``, less
        the output of a single rectifier (recomputed from its input)."""
        z, y = unit.references
        nonlinearity = NONLINEARITIES.get(unit.exit.type) if len(unit.ops) == 1 else None
        return (z,) if nonlinearity is not None and nonlinearity.forward is not None else (z, y)

    def bind(self, ops, activations):
        """Keep, for each unit of ``ops``, the tensors ``activations`` holding the reference values of
        its ``held_references`` (``R`` rows each)."""
        self._activations = {unit.exit: (*values, None)[:2] for unit, values in zip(ops, activations)}

    @covers_units(lambda unit: True)
    @covers_reductions
    def rule(self, op, grad, nonlinearity):
        if isinstance(op, units.Group):
            return _group_rule(op, grad, *self._activations[op.exit])
        if isinstance(op, units.Product):
            return _product_rule(op, grad, *self._activations[op.exit])
        if isinstance(op, units.Softmax):
            z = op.exit.inputs[0]
            z_ref = self._activations[op.exit][0]
            return _fused(_softmax_rule, z, z_ref)(z, grad, z_ref)
        z_ref, y_ref = self._activations[op]
        if isinstance(nonlinearity, Reduction):
            ksize = _tiled_windows(op)
            if ksize is not None:
                return _tiled_max_rule(op.inputs[0], op.outputs[0], grad, z_ref, y_ref, ksize)
            return _reduction_rule(op, grad, nonlinearity, z_ref, y_ref)
        forward = nonlinearity.forward
        return _fused(_rescale, op.inputs[0], z_ref)(
            op.inputs[0], None if forward else op.outputs[0], grad, z_ref, y_ref, forward, nonlinearity.kernel,
            nonlinearity.attributes(op),
        )


class DeepLIFT(ReferenceRule):
    """DeepLIFT (Rescale rule): differences from a reference input, propagated as multipliers.

    Each nonlinearity ``y = f(z)`` passes back ``grad · Δy / Δz`` (the differences taken against
    the baseline's activations; the ordinary gradient where ``|Δz| ≤ 1e-5``), max-pooling and
    Max/Min the DeepLIFT rule for max units. ``φ(x) = (x − x̄) ⊙`` the modified gradient of
    ``Σ(T·ys)``, and ``Σ φ = T(x) − T(x̄)`` exactly (completeness).

    Parameters
    ----------
    baseline : numpy.ndarray or list of numpy.ndarray, optional
        The reference ``x̄``, shaped like one sample (no batch dimension; a list for several
        inputs). Default: zeros.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("deeplift", ...)`` or ``get_explainer("deeplift", ...).run(...)``.

    References
    ----------
    .. [1] A. Shrikumar, P. Greenside, A. Kundaje, "Learning important features through
       propagating activation differences", ICML, 2017. arXiv:1704.02685
    """

    name = "deeplift"

    def __init__(self, baseline=None):
        self.baseline = baseline
        self._baselines = None

    def check(self, xs):
        self._baselines = check_baseline(self.baseline, xs)

    def reference_inputs(self):
        return [b[None] for b in self._baselines]

    def attribute_batch(self, model, xs, ys, batch_size):
        grads = model.gradients(xs, ys)
        return [g * (x - b) for g, x, b in zip(grads, xs, self._baselines)]
