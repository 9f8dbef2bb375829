"""The model as a method sees it: a compiled function on NumPy batches.

* ``gradients(inputs, weights)``: ``∂ Σ(T·weights) / ∂ inputs`` under the method's
  gradient rule, one array per input (gradient methods);
* ``outputs(inputs, weights)``: ``Σ_{non-batch} T·weights``, one value per row
  (perturbation methods; gradient methods get them from the same function).

``compile`` builds the one a method needs, once, with the explainer's runtime.
``weights`` has one row per input row and at most the rank of ``T`` (missing
trailing dimensions broadcast). Every call checks that ``T`` has one row per
input row, feeds placeholders of fixed batch size ``max_rows`` exactly that many
rows (padding at the end with zero-weighted rows), and counts the NaN and
infinite values the model produced in ``nonfinite``.

:class:`ArrayModel` offers ``outputs`` for black-box models (NumPy functions,
``clf.predict_proba``), called on NumPy arrays.
"""
import warnings

import numpy as np
import tensorflow as tf

from .batching import in_fixed_calls
from .overrides import active_rule, audit, ruled_ops
from .runtime import static_shape
from .targets import BLACK_BOX_METHODS
from .unfused import unfused

DISCONNECTED = (
    "X: the target does not depend differentiably on input {index} (tf.gradients returned None). "
    "This happens when the input is integer ids that go through an embedding lookup, or when it is "
    "not used by T at all. Explain at the embedding output with layer=: "
    "deepexplain.explain(method, model, ids, layer='embedding') (the Embedding layer's name or object; "
    "with a model as T in either style), or in session style de.explain(method, T, X, ids, "
    "layer=embedding_output_tensor); the attributions then have one value per token (sum_embedding=False "
    "keeps the embedding axis)."
)

ROWS_CHECK = "deepexplain: T has one row per input row"

NOT_PER_SAMPLE = (
    "{label}: expected an output whose first dimension is the batch (one row per input row), got {got} "
    "for {inputs}. A reduction over the batch (tf.reduce_sum(logits), a mean, a loss) would "
    "make the attributions scale with the rows per call and change with batch_size. Explain the per-sample "
    "output instead (e.g. the logits, shape (batch, classes)) and weight or pick its units with ys."
)


def _weighted(output, weights):
    """``output · weights``, ``weights`` extended by trailing unit dimensions to the rank of
    ``output``, after checking at run time that ``output`` has one row per row of ``weights``."""
    rows = tf.concat([tf.shape(output), [-1]], 0)[0]  # -1 for a scalar
    check = tf.debugging.assert_equal(rows, tf.shape(weights)[0], message=ROWS_CHECK)
    with tf.control_dependencies([check]):
        extra = tf.maximum(tf.rank(output) - tf.rank(weights), 0)
        return output * tf.reshape(weights, tf.concat([tf.shape(weights), tf.ones([extra], tf.int32)], 0))


def _row_sums(weighted):
    return tf.reduce_sum(tf.reshape(weighted, [tf.shape(weighted)[0], -1]), axis=1)


def as_float_output(label, output, differentiable):
    """``output`` as float32: floats and (for perturbation methods) integers are cast; others rejected."""
    dtype = tf.as_dtype(output.dtype)
    if dtype == tf.float32:
        return output
    if dtype.is_floating:
        return tf.cast(output, tf.float32)
    if (dtype.is_integer or dtype == tf.bool) and not differentiable:
        return tf.cast(output, tf.float32)
    if dtype.is_integer or dtype == tf.bool:
        raise TypeError(
            f"{label}: expected a floating-point output to differentiate, got dtype {dtype.name} (integer outputs "
            f"have no gradient); explain the model's float scores, or use a perturbation method {BLACK_BOX_METHODS}"
        )
    raise TypeError(f"{label}: expected a real-valued numeric output, got dtype {dtype.name}")


class _Calls:
    """Checks shared by compiled and black-box models: rows of ``T``, non-finite values."""

    max_rows = None

    def __init__(self, label):
        self.label = label
        self.output_shape = None
        self.nonfinite = 0

    def _checked(self, results, keep):
        """``results`` as float32 arrays of their first ``keep`` rows; counts non-finite values."""
        results = [np.asarray(r, np.float32)[:keep] for r in results]
        self.nonfinite += sum(_count_nonfinite(r) for r in results)
        return results


def _count_nonfinite(values):
    """The number of NaN and infinite entries of ``values``; one cheap sum when there are none
    (a finite sum means no NaN or infinity; an overflowing one is recounted)."""
    if np.isfinite(np.sum(values)):
        return 0
    return int(values.size - np.count_nonzero(np.isfinite(values)))


class CompiledModel(_Calls):
    def __init__(self, runtime, target, signature, method):
        super().__init__(target.label)
        self.runtime = runtime
        self.target = target
        self.method = method
        self.signature = list(signature)
        self.max_rows = target.fixed_batch
        self._run = None
        self._reference_ops = None  # the op types whose reference activations are held, in order
        self._fetch_references = None
        self._held = None  # the reference activations, held for the gradient function
        self._forward = None  # a gradient method's forward function, for ``outputs``

    def _output(self, inputs):
        with unfused(getattr(self.target, "model", None) if self.method.rule is not None else None):
            output = as_float_output(self.label, tf.convert_to_tensor(self.target(inputs)), self.method.needs_gradients)
        shape, batch = static_shape(output), static_shape(inputs[0])
        if shape == () or (shape and batch and shape[0] is not None and shape[0] != batch[0]):
            inputs = f"inputs of shape {tuple('batch' if d is None else d for d in batch)}" if batch else "its inputs"
            raise ValueError(NOT_PER_SAMPLE.format(label=self.label, got=f"shape {shape}", inputs=inputs))
        self.output_shape = None if shape is None else shape[1:]
        return output

    def _build_gradients(self, *tensors):
        inputs, weights = list(tensors[:-1]), tensors[-1]
        output = self._output(inputs)
        if self.method.rule is not None:
            self._warn_unmodified(inputs, output)
        ruled = ruled_ops(inputs, output, self.method.rule)
        if self._held is not None:
            self._bind_references(ruled)
        weighted = _weighted(output, weights)
        with active_rule(self.method.rule, ruled):
            grads = tf.gradients(tf.reduce_sum(weighted), inputs)
        for index, grad in enumerate(grads):
            if grad is None:
                raise ValueError(DISCONNECTED.format(index=index))
        return grads + [_row_sums(weighted)]

    def _build_activations(self, *inputs):
        """The inputs and outputs of the ops the method's rule replaces (see ``ruled_ops``).

        Each is fetched through an identity: a session's graph optimiser may otherwise fuse
        the op that makes a fetched tensor into its consumer (FusedBatchNormV3 into LeakyRelu)
        and then fail to find the tensor."""
        inputs = list(inputs)
        ops = ruled_ops(inputs, self._output(inputs), self.method.rule)
        self._reference_ops = [op.type for op in ops]
        return [tf.identity(t) for unit in ops for t in self.method.held_references(unit)]

    def _bind_references(self, ops):
        """Give the method's rule the reference activations of the units ``ops`` it replaces."""
        if [op.type for op in ops] != self._reference_ops:
            raise RuntimeError(
                f"{self.method.name}: the model built other ops for the reference rows ({self._reference_ops}) than "
                f"for the samples ({[op.type for op in ops]})"
            )
        held = iter(self._held)
        self.method.bind(ops, [[next(held).read() for _ in self.method.held_references(unit)] for unit in ops])

    def _build_outputs(self, *tensors):
        inputs, weights = list(tensors[:-1]), tensors[-1]
        output = self._output(inputs)
        return [_row_sums(_weighted(output, weights))]

    def _warn_unmodified(self, inputs, output):
        unstamped, unsupported = audit(inputs, output, self.method.rule)
        if unstamped:
            warnings.warn(
                f"{self.method.name}: the nonlinearities {unstamped} between X and T were created outside the "
                "DeepExplain context, so they keep their plain gradients and the result is not "
                f"{self.method.name}. Build the model inside `with DeepExplain(...)`, or pass the Keras "
                "model itself as T so that it is rebuilt there.",
                stacklevel=5,
            )
        if unsupported:
            warnings.warn(
                f"{self.method.name}: the ops {unsupported} between X and T have no {self.method.name} rule "
                "and propagate plain gradients",
                stacklevel=5,
            )

    def compile(self):
        """Build the one function the method needs (gradients or outputs); sets ``output_shape``.

        A method with reference rows (``reference_inputs``) first has their activations
        computed, by a forward pass through a function of their own. A gradient function of an
        eager runtime is traced on its first call, for that call's shapes (see ``Specialised``); the
        model's forward pass is traced now all the same (the reference function, else the forward
        function that serves ``outputs``), so that the output shape is known, and a model that cannot
        be traced refused, before any call."""
        weights = tf.TensorSpec(None, tf.float32, name="target_weights")
        if not self.method.needs_gradients:
            self._run = self.runtime.compile(self._build_outputs, self.signature + [weights])
            return
        if getattr(self.method, "reference_inputs", None) is not None:
            self._fetch_references = self.runtime.compile(self._build_activations, self.signature)
            self._held = [self.runtime.hold(a) for a in self._reference_activations()]
        elif self.runtime.specialises:
            self._forward = self.runtime.compile(self._build_outputs, self.signature + [weights])
        self._run = self.runtime.compile(self._build_gradients, self.signature + [weights], specialise=True)

    def _reference_activations(self):
        return self._in_calls(self._fetch_references, self.method.reference_inputs())

    def refresh(self):
        """Recompute the reference activations with the model's current weights, in place: the
        gradient function keeps reading them without being compiled again."""
        if self._held is not None:
            self.runtime.assign(self._held, self._reference_activations())

    def _in_calls(self, run, arrays):
        return in_fixed_calls(run, arrays, self.max_rows)

    def _call(self, inputs, weights, run=None):
        try:
            results = self._in_calls(run or self._run, inputs + [weights])
        except tf.errors.InvalidArgumentError as error:
            if ROWS_CHECK not in error.message:
                raise
            got = "an output with another number of rows (or none)"
            raise ValueError(
                NOT_PER_SAMPLE.format(label=self.label, got=got, inputs=f"a batch of {len(weights)} rows")
            ) from None
        return self._checked(results, len(weights))

    def gradients(self, inputs, weights):
        return self._call(inputs, weights)[:-1]

    def outputs(self, inputs, weights):
        """``Σ_{non-batch} T·weights`` per row (for a gradient method, from its forward function where it
        has one, else from the gradient function, which computes them on the way)."""
        return self._call(inputs, weights, self._forward)[-1]


class ArrayModel(_Calls):
    """A black-box model called on NumPy arrays: ``outputs`` only, for perturbation methods."""

    def __init__(self, model, label, xs):
        super().__init__(label)
        self.model = model
        probe = [x[:1] if len(x) else np.zeros((1,) + x.shape[1:], np.float32) for x in xs]
        self.output_shape = self._call(probe).shape[1:]

    def _call(self, inputs):
        output = np.asarray(self.model(inputs if len(inputs) > 1 else inputs[0]))
        if output.dtype.kind not in "biuf":
            raise TypeError(f"{self.label}: expected a real-valued numeric output, got dtype {output.dtype}")
        rows = len(output) if output.ndim else -1
        if rows != len(inputs[0]):
            got = "a scalar" if rows < 0 else f"{rows} rows"
            raise ValueError(
                NOT_PER_SAMPLE.format(label=self.label, got=got, inputs=f"a batch of {len(inputs[0])} rows")
            )
        return output.astype(np.float32)

    def outputs(self, inputs, weights):
        output = self._call(inputs)
        weights = weights.reshape(weights.shape + (1,) * max(output.ndim - weights.ndim, 0))
        values = (output * weights).reshape(len(output), -1).sum(axis=1)
        return self._checked([values], len(output))[0]
