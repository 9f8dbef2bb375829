"""The neural-network side of the toolbox: one deepexplain context per explained model.

``ExplainedNetwork(model, session, logits, batch_size)`` holds what ``DeepShap``,
``FeatureImportance`` and ``ActivationVisualization`` share: compiled-once deepexplain
explainers (cached by method and parameters), the model adapter's compiled forward passes
(the output ``T``, optionally with layer activations) and target weights for classes.
"""
import numpy as np

from ...context import DeepExplain
from ...keras_models import is_tensorflow_model
from ...models import Predictor, resolve_model
from ...validation import as_float_array, describe


class ExplainedNetwork:
    def __init__(self, model, session=None, logits=True, batch_size=None):
        model = resolve_model(model)  # a Keras model's bound predict is the model
        if not is_tensorflow_model(model) and (not callable(model) or hasattr(model, "predict")):
            raise TypeError(f"model: expected a Keras model, tf.Module or function of tensors (a network to "
                            f"differentiate), got {describe(model)}; explain other models with KernelShap or "
                            "LimeTabular")
        self.model = model
        self.session = session
        self.logits = logits
        self.batch_size = batch_size
        self._explainers = {}
        self._predictor = None

    def explainer(self, method, **params):
        """The compiled-once explainer of ``method`` with ``params`` (cached by their values)."""
        key = (method,) + tuple(sorted((name, _hashable(value)) for name, value in params.items()))
        if key not in self._explainers:
            with DeepExplain(session=self.session) as de:
                self._explainers[key] = de.get_explainer(method, self.model, logits=self.logits, **params)
        return self._explainers[key]

    def forward(self, X, layers=(), name="layer", rows_name="X"):
        """``[activations of layers..., output]`` for the rows ``X``, through the model adapter's
        compiled forward pass (``rows_name`` names ``X`` in errors)."""
        if self._predictor is None:
            self._predictor = Predictor(self.model, self.batch_size, self.session, logits=self.logits)
        return self._predictor.forward(X, layers, name, rows_name)

    def outputs(self, X, name="X"):
        """The explained output ``T`` (pre-softmax with ``logits``) per row, shape ``(n, outputs)``."""
        output = self.forward(X, rows_name=name)[0]
        if output.ndim < 2:
            raise ValueError(f"model: expected outputs of shape (n, outputs) (a batch of output vectors), got shape "
                             f"{output.shape}; wrap the model to return one output vector per row")
        return output.reshape(len(output), -1)

    def class_weights(self, X, target_class, name="target_class", rows_name="X"):
        """One-hot target weights ``(n, outputs)`` for ``target_class`` (an int, one per row,
        or None for each row's highest output) and the classes chosen (``rows_name`` names ``X``
        in errors)."""
        outputs = self.outputs(X, rows_name)
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
        expected = "a batch of samples"
        if rank is not None:
            expected = f"one sample of rank {rank} or a batch of rank {rank + 1}"
        raise ValueError(f"{name}: expected {expected}, got shape {array.shape}")
    return array, False


def sample_rank(model):
    """The rank of one input sample of a Keras model (None if unknown)."""
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return len(shape) - 1
