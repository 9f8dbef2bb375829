"""Compiled-once explainers: ``get_explainer(...).run(xs, ys, batch_size)``."""
import warnings

import numpy as np

from .batching import fit_fixed_batch, in_fixed_calls, row_slices
from .compiled_model import ArrayModel, CompiledModel
from .layers import LayerSplit
from .methods import make_method, method_parameters
from .targets import BLACK_BOX_METHODS, BlackBoxModel
from .validation import as_array_list, as_float_array, boolean, check_batch, describe, positive_int

NOT_DIFFERENTIABLE = (
    "T: {method} is a gradient method and needs a TensorFlow-differentiable model (a Keras model, a "
    "tf.Module, or a function of TensorFlow ops), but {error}. A black box such as a NumPy function or "
    "clf.predict_proba can be explained only by the perturbation methods {black_box}."
)


class Explainer:
    """One attribution method bound to one target and runtime.

    The TensorFlow function is compiled on the first ``run`` (shapes come from
    the first ``xs``) and reused by every later ``run``: no new graph ops, no
    retracing.
    """

    def __init__(self, method, target, runtime, layer=None, sum_embedding=True, **params):
        if not isinstance(method, str):
            raise TypeError(f"method: expected a method name (a str such as 'deeplift'), got {describe(method)}")
        boolean("sum_embedding", sum_embedding)
        if layer is not None and "layer" in method_parameters(method):
            params["layer"] = layer  # the method's own layer (Grad-CAM's feature map)
            layer = None
        self.method = make_method(method, params)
        if layer is not None and not self.method.needs_gradients:
            raise TypeError(f"layer: {method} explains the model's inputs only; layer= is for the gradient methods")
        self.target = target
        self.runtime = runtime
        self.split = None if layer is None else LayerSplit(target, layer)
        self._explained = target if self.split is None else self.split.tail  # the target the method sees
        self.sum_embedding = bool(sum_embedding)
        self._model = None
        self._layer_run = None
        self._input_shapes = None
        self._input_references = None  # {name: rows}: a baseline or background given as model inputs (with layer=)
        self._stale = False

    @property
    def last_delta(self):
        """The convergence delta of the last run, ``Σ attributions − (T(x) − T(baseline))`` per sample,
        for the methods that report it (``intgrad``); else None."""
        return getattr(self.method, "delta", None)

    def refresh(self):
        """Let the next ``run`` recompute what the compiled explainer holds from the model's current
        weights: the activations of deeplift's baseline and deepshap's background (computed on the first
        ``run``), and, with ``layer=``, a baseline or background given as model inputs. Call it after the
        weights change (a training step); the other methods read the weights on every ``run``. One
        forward pass of the reference rows; no new trace, no new graph ops."""
        self._stale = self._model is not None

    def run(self, xs, ys=None, batch_size=None):
        """Attributions for ``xs`` (an array, or a list for several inputs).

        ``ys`` weights the target ``T`` per sample (one-hot to pick a unit),
        shaped like ``T``; all ones when omitted. ``batch_size`` bounds the
        number of rows passed to the model at once. Returns arrays shaped like
        ``xs`` (a list for a list of inputs); with ``layer``, shaped like the
        layer's output (one value per token for an embedding with ``sum_embedding``).
        """
        xs_list, multiple = as_array_list("xs", xs)
        batch_size = positive_int("batch_size", batch_size, allow_none=True)
        self._check_inputs(xs_list, multiple)
        n = check_batch("xs", xs_list)
        if self._input_shapes is None:
            self._input_shapes = [x.shape[1:] for x in xs_list]
        if self.split is not None:
            xs_list, multiple = [self._at_layer(xs_list, batch_size)], False
        self.method.check(xs_list)
        model = self._compiled(xs_list)
        if self._stale and isinstance(model, CompiledModel):
            model.refresh()
        self._stale = False
        ys = self._weights(ys, n, model.output_shape)
        ys = self._explained.sample_weights(ys, n)
        batch_size = fit_fixed_batch(batch_size, model.max_rows)
        model.nonfinite = 0
        result = self.method.attribute(model, xs_list, ys, batch_size)
        if self.split is not None and self.split.embedding and self.sum_embedding:
            result = [r.sum(axis=-1) for r in result]
        if model.nonfinite:
            warnings.warn(
                f"{model.label}: the model produced {model.nonfinite} NaN or infinite values (outputs or gradients) "
                f"on these inputs, so {self.method.name} attributions may be NaN or infinite; check the model and xs",
                RuntimeWarning,
                stacklevel=2,
            )
        return result if multiple else result[0]

    def _expected_inputs(self):
        """``(what, [(name, shape)])``: the input shapes xs must match, or None when unknown."""
        specs = self.target.input_specs()
        if specs is not None:
            return "the model" if self.target.label != "T" else "X", specs
        if self._input_shapes is not None:
            return "the first run of this explainer", [(None, (None,) + s) for s in self._input_shapes]
        return None, None

    def _check_inputs(self, xs_list, multiple):
        what, specs = self._expected_inputs()
        if specs is None:
            return
        if len(xs_list) != len(specs):
            hint = ""
            if multiple and len(specs) == 1:
                hint = "; a list is read as one array per input: pass np.asarray(rows) for a list of rows"
            raise ValueError(
                f"xs: expected {len(specs)} input array(s) for {what} (shapes {[_shown(s) for _, s in specs]}), "
                f"got {len(xs_list)}{hint}"
            )
        for i, (x, (name, shape)) in enumerate(zip(xs_list, specs)):
            if shape is None:
                continue
            shape = (None,) + tuple(shape[1:])  # a fixed batch size is fed in chunks of that size
            if len(x.shape) != len(shape) or not _fits(x.shape, shape):
                label = f"xs[{i}]" if len(specs) > 1 else "xs"
                source = f"input {name!r} of {what}" if name else what
                hint = ""
                if x.shape == tuple(shape[1:]) or (len(x.shape) == len(shape) - 1 and _fits(x.shape, shape[1:])):
                    hint = " (one sample without its batch dimension? pass xs[None])"
                raise ValueError(f"{label}: expected shape {_shown(shape)} ({source}), got {x.shape}{hint}")

    def _layer_outputs(self, xs_list, batch_size):
        """The layer's output for ``xs_list`` (float32), by a forward function compiled on the first run,
        at most ``batch_size`` rows per call."""
        if self._layer_run is None:
            head = self.split.head
            run = self.runtime.compile(lambda *inputs: [head(list(inputs))], head.signature(xs_list))
            self._layer_run = lambda *arrays: in_fixed_calls(run, arrays, head.fixed_batch)
        n = len(xs_list[0])
        slices = list(row_slices(n, batch_size)) if batch_size else [slice(0, n)]
        parts = [self._layer_run(*[x[rows] for x in xs_list])[0] for rows in slices]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _at_layer(self, xs_list, batch_size):
        """The layer's outputs for ``xs_list``; on the first run and after ``refresh``, also those of the
        references given as model inputs, handed to the method."""
        outputs = self._layer_outputs(xs_list, batch_size)
        if self._model is None:
            self._input_references = self._given_as_inputs(outputs.shape[1:])
        if self._input_references and (self._model is None or self._stale):
            for name, arrays in self._input_references.items():
                mapped = self._layer_outputs(arrays, batch_size)
                setattr(self.method, name, mapped[0] if name == "baseline" else mapped)
        return outputs

    def _given_as_inputs(self, layer_shape):
        """``{name: rows}``: the method's ``baseline`` (one sample) or ``background`` (rows) when given as model
        inputs, shaped like ``xs`` and not like the layer's output (text models: reference token ids). Given at
        the layer, a reference is used as it is."""
        given = {}
        for name, rows in (("baseline", lambda a: a[None]), ("background", lambda a: a)):
            value = getattr(self.method, name, None)
            if value is None:
                continue
            arrays = [rows(a) for a in as_array_list(name, value)[0]]
            if [a.shape[1:] for a in arrays] == list(self._input_shapes) and (
                len(arrays) > 1 or arrays[0].shape[1:] != layer_shape
            ):
                given[name] = arrays
        return given

    def _compiled(self, xs_list):
        if self._model is None:
            target = self._explained
            model = CompiledModel(self.runtime, target, target.signature(xs_list), self.method)
            try:
                model.compile()
            except BlackBoxModel as error:
                if self.method.needs_gradients:
                    raise TypeError(
                        NOT_DIFFERENTIABLE.format(method=self.method.name, error=error, black_box=BLACK_BOX_METHODS)
                    ) from error.__cause__
                model = ArrayModel(self.target.model, self.target.label, xs_list)
            self._model = model
        return self._model

    @staticmethod
    def _weights(ys, n, output_shape):
        if ys is None:  # all ones, shaped like T (one row per sample when T's rank is unknown)
            shape = () if output_shape is None else tuple(1 if d is None else d for d in output_shape)
            return np.ones((n,) + shape, np.float32)
        ys = as_float_array("ys", ys)
        if ys.ndim == 0 or ys.shape[0] != n:
            raise ValueError(f"ys: expected the same number of samples as xs ({n}), got shape {ys.shape}")
        if output_shape is not None:
            expected = (None,) + tuple(output_shape)
            if ys.ndim != len(expected) or not _fits(ys.shape, expected):
                raise ValueError(f"ys: expected shape {_shown(expected)}, got {ys.shape} (ys is shaped like T)")
        return ys


def _fits(shape, expected):
    return all(e is None or s == e for s, e in zip(shape, expected))


def _shown(shape):
    """A shape for messages, with the batch dimension named."""
    return tuple("batch" if e is None and i == 0 else e for i, e in enumerate(shape))
