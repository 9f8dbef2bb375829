"""The model as a method sees it: a compiled function on NumPy batches.

* ``gradients(inputs, weights)``: ``∂ Σ(T·weights) / ∂ inputs`` under the method's
  gradient rule, one array per input (gradient methods);
* ``outputs(inputs, weights)``: ``Σ_{non-batch} T·weights``, one value per row
  (perturbation methods).

``compile`` builds the one a method needs, once, with the explainer's runtime.
"""
import warnings

import tensorflow as tf

from .overrides import active_rule, audit

DISCONNECTED = (
    "X: the target does not depend differentiably on input {index} (tf.gradients returned None). "
    "This happens when the input is integer ids that go through an embedding lookup, or when it is "
    "not used by T at all. Explain with respect to the embedding output instead: evaluate the "
    "embedding on your ids, pass that tensor as X (or split the model after its Embedding layer), "
    "and sum the attributions over the embedding axis to get one value per token."
)


def _rows(output, weights):
    weighted = output * weights
    return tf.reduce_sum(tf.reshape(weighted, [tf.shape(weighted)[0], -1]), axis=1)


class CompiledModel:
    def __init__(self, runtime, target, signature, method):
        self.runtime = runtime
        self.target = target
        self.method = method
        self.signature = list(signature)
        self.output_shape = None
        self._run = None

    def _output(self, inputs):
        output = self.target(inputs)
        self.output_shape = tuple(output.shape[1:])
        return output

    def _build_gradients(self, *tensors):
        inputs, weights = list(tensors[:-1]), tensors[-1]
        output = self._output(inputs)
        if self.method.rule is not None:
            self._warn_unmodified(inputs, output)
        with active_rule(self.method.rule):
            grads = tf.gradients(tf.reduce_sum(output * weights), inputs)
        for index, grad in enumerate(grads):
            if grad is None:
                raise ValueError(DISCONNECTED.format(index=index))
        return grads

    def _build_outputs(self, *tensors):
        inputs, weights = list(tensors[:-1]), tensors[-1]
        return _rows(self._output(inputs), weights)

    def _warn_unmodified(self, inputs, output):
        unstamped, unsupported = audit(inputs, output)
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
        """Build the one function the method needs (gradients or outputs); sets ``output_shape``."""
        build = self._build_gradients if self.method.needs_gradients else self._build_outputs
        weights = tf.TensorSpec(None, tf.float32, name="target_weights")
        self._run = self.runtime.compile(build, self.signature + [weights])

    def gradients(self, inputs, weights):
        return list(self._run(*inputs, weights))

    def outputs(self, inputs, weights):
        return self._run(*inputs, weights)
