"""Compiled-once explainers: ``get_explainer(...).run(xs, ys, batch_size)``."""
import numpy as np

from .compiled_model import CompiledModel
from .methods import make_method
from .targets import TensorTarget
from .validation import as_array_list, as_float_array, check_batch, positive_int


class Explainer:
    """One attribution method bound to one target and runtime.

    The TensorFlow function is compiled on the first ``run`` (shapes come from
    the first ``xs``) and reused by every later ``run``: no new graph ops, no
    retracing.
    """

    def __init__(self, method, target, runtime, **params):
        self.method = make_method(method, params)
        self.target = target
        self.runtime = runtime
        self._model = None
        self._input_shapes = None

    def run(self, xs, ys=None, batch_size=None):
        """Attributions for ``xs`` (an array, or a list for several inputs).

        ``ys`` weights the target ``T`` per sample (one-hot to pick a unit),
        shaped like ``T``; all ones when omitted. ``batch_size`` bounds the
        number of rows passed to the model at once. Returns arrays shaped like
        ``xs`` (a list for a list of inputs).
        """
        xs_list, multiple = as_array_list("xs", xs)
        n = check_batch("xs", xs_list)
        batch_size = positive_int("batch_size", batch_size, allow_none=True)
        self._check_inputs(xs_list)
        model = self._compiled(xs_list)
        ys = self._weights(ys, n, model.output_shape)
        result = self.method.attribute(model, xs_list, ys, batch_size)
        return result if multiple else result[0]

    def _check_inputs(self, xs_list):
        if isinstance(self.target, TensorTarget):
            expected = [tuple(x.shape) for x in self.target.inputs]
            if len(xs_list) != len(expected):
                raise ValueError(f"xs: expected {len(expected)} input arrays (one per tensor in X), got {len(xs_list)}")
            for i, (x, shape) in enumerate(zip(xs_list, expected)):
                _check_shape(f"xs[{i}]" if len(expected) > 1 else "xs", x.shape, shape)
        elif self._input_shapes is not None:
            if len(xs_list) != len(self._input_shapes):
                raise ValueError(f"xs: expected {len(self._input_shapes)} input arrays as in the first run, got {len(xs_list)}")
            for i, (x, shape) in enumerate(zip(xs_list, self._input_shapes)):
                if x.shape[1:] != shape:
                    label = f"xs[{i}]" if len(xs_list) > 1 else "xs"
                    raise ValueError(
                        f"{label}: expected samples of shape {shape} as in the first run of this explainer, "
                        f"got {x.shape[1:]}; create a new explainer for inputs of another shape"
                    )
        self.method.check(xs_list)

    def _compiled(self, xs_list):
        if self._model is None:
            model = CompiledModel(self.runtime, self.target, self.target.signature(xs_list), self.method)
            model.compile()
            self._model = model
            self._input_shapes = [x.shape[1:] for x in xs_list]
        return self._model

    @staticmethod
    def _weights(ys, n, output_shape):
        if ys is None:
            return np.ones((n,) + tuple(d if d is not None else 1 for d in output_shape), np.float32)
        ys = as_float_array("ys", ys)
        if ys.ndim == 0 or ys.shape[0] != n:
            raise ValueError(f"ys: expected the same number of samples as xs ({n}), got shape {ys.shape}")
        _check_shape("ys", ys.shape, (None,) + tuple(output_shape))
        return ys


def _check_shape(name, shape, expected):
    """Raise unless ``shape`` matches ``expected`` (None matches any size)."""
    expected = tuple(expected)
    if len(shape) != len(expected) or any(e is not None and s != e for s, e in zip(shape, expected)):
        shown = tuple("batch" if e is None and i == 0 else e for i, e in enumerate(expected))
        raise ValueError(f"{name}: expected shape {shown}, got {tuple(shape)}")
