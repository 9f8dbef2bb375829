"""The neural-network side of the toolbox: one deepexplain context per explained model.

``ExplainedNetwork(model, session, logits, batch_size)`` holds the runtime and target that
``DeepShap``, ``FeatureImportance`` and ``ActivationVisualization`` share: compiled-once
deepexplain explainers (cached by method and parameters), compiled forward passes
(the output ``T``, optionally with layer activations) and target weights for classes.
"""
import numpy as np

from ..context import DeepExplain
from ..layers import forward_function
from ..validation import as_float_array, describe


class ExplainedNetwork:
    def __init__(self, model, session=None, logits=True, batch_size=None):
        self.model = model
        self.session = session
        self.logits = logits
        self.batch_size = batch_size
        self._explainers = {}
        self._forward = {}

    def explainer(self, method, **params):
        """The compiled-once explainer of ``method`` with ``params`` (cached by their values)."""
        key = (method,) + tuple(sorted((name, _hashable(value)) for name, value in params.items()))
        if key not in self._explainers:
            with DeepExplain(session=self.session) as de:
                self._explainers[key] = de.get_explainer(method, self.model, logits=self.logits, **params)
        return self._explainers[key]

    def forward(self, X, layers=(), name="layer"):
        """``[activations of layers..., output]`` for the rows ``X``, in one compiled forward pass."""
        key = tuple(id(layer) if not isinstance(layer, str) else layer for layer in layers) + (X.shape[1:],)
        if key not in self._forward:
            explainer = self.explainer("saliency")
            signature = explainer.target.signature([X])
            self._forward[key] = forward_function(explainer.runtime, explainer.target, signature, layers, name)
        run = self._forward[key]
        step = self.batch_size or len(X)
        chunks = [run(X[start:start + step]) for start in range(0, len(X), step)]
        return [np.concatenate(parts) for parts in zip(*chunks)]

    def outputs(self, X):
        """The explained output ``T`` (pre-softmax with ``logits``) per row, shape ``(n, outputs)``."""
        output = self.forward(X)[0]
        return output.reshape(len(output), -1)

    def class_weights(self, X, target_class, name="target_class"):
        """One-hot target weights ``(n, outputs)`` for ``target_class`` (an int, one per row,
        or None for each row's highest output) and the classes chosen."""
        outputs = self.outputs(X)
        n, n_outputs = outputs.shape
        if target_class is None:
            classes = outputs.argmax(axis=1)
        else:
            classes = np.asarray(target_class)
            if classes.ndim == 2 and classes.shape == (n, n_outputs):
                return as_float_array(name, classes), classes.argmax(axis=1)
            if classes.dtype.kind not in "iu" or classes.ndim > 1 or classes.size not in (1, n):
                raise ValueError(
                    f"{name}: expected a class index, one per sample ({n}), or one-hot rows ({n}, {n_outputs}), "
                    f"got {describe(target_class)}"
                )
            classes = np.broadcast_to(classes.reshape(-1), (n,))
            if classes.min() < 0 or classes.max() >= n_outputs:
                raise ValueError(f"{name}: expected class indices in [0, {n_outputs}), got {describe(target_class)}")
        return np.eye(n_outputs, dtype=np.float32)[classes], classes


def _hashable(value):
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype.str, value.tobytes()
    try:
        hash(value)
    except TypeError:
        return id(value)
    return value


def as_batch(name, value, rank):
    """``(rows, single)``: ``value`` as float32 rows; one sample (of rank ``rank``) gets a batch axis."""
    array = as_float_array(name, value)
    if rank is not None and array.ndim == rank:
        return array[None], True
    if array.ndim == 0 or (rank is not None and array.ndim != rank + 1):
        expected = f"one sample of rank {rank} or a batch of rank {rank + 1}" if rank is not None else "a batch of samples"
        raise ValueError(f"{name}: expected {expected}, got shape {array.shape}")
    return array, False


def sample_rank(model):
    """The rank of one input sample of a Keras model (None if unknown)."""
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return len(shape) - 1
