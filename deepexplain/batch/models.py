"""Loading saved models without running code from the file.

* ``model.keras`` (Keras 3): ``keras.saving.load_model(..., safe_mode=True)``, which refuses
  ``Lambda`` layers holding Python code;
* ``model.h5`` (tf_keras / Keras 2): Keras 3's reader of that format, also with
  ``safe_mode=True`` (tf_keras's own reader would unmarshal a ``Lambda`` layer's bytecode);
* a SavedModel directory: ``tf.saved_model.load``, after checking that its graphs hold
  computations on tensors only (:mod:`deepexplain.batch.graph_ops`: no file or network I/O, no
  Python calls) unless ``trust_model_code``. Its ``serving_default`` signature is frozen and its
  ops rebuilt in the explainer's graph.
"""
import os

import tensorflow as tf

from .graph_ops import check_saved_model
from .sources import DataError


class SavedModelFunction(tf.Module):
    """The single-input, single-output ``serving_default`` signature of a SavedModel, rebuilt.

    The signature's graph is frozen (variables become constants) and imported afresh into
    whatever graph calls it, so its ops are created there: under the gradient override of the
    methods with a modified chain rule, and with a final softmax that ``logits`` can strip.
    """

    def __init__(self, path):
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

        super().__init__(name="saved_model")
        loaded = tf.saved_model.load(path)
        signature = loaded.signatures.get("serving_default")
        if signature is None:
            raise DataError(f"model: the SavedModel {path} has no serving_default signature")
        frozen = convert_variables_to_constants_v2(signature)
        if len(frozen.inputs) != 1 or len(frozen.outputs) != 1:
            raise DataError(
                f"model: expected a SavedModel with one input and one output, got {len(frozen.inputs)} inputs "
                f"and {len(frozen.outputs)} outputs"
            )
        self.graph_def = frozen.graph.as_graph_def()
        self.input_name, self.output_name = frozen.inputs[0].name, frozen.outputs[0].name
        self.input_dtype = frozen.inputs[0].dtype
        self.input_shape = tuple(frozen.inputs[0].shape.as_list())

    def __call__(self, x):
        (output,) = tf.graph_util.import_graph_def(
            self.graph_def, input_map={self.input_name: tf.cast(x, self.input_dtype)},
            return_elements=[self.output_name], name="saved_model",
        )
        return output


def model_kind(path):
    """``'keras'``, ``'h5'`` or ``'savedmodel'``, from the path; raises for anything else."""
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise DataError(f"model: the directory {path} is not a SavedModel (no saved_model.pb)")
        return "savedmodel"
    if not os.path.isfile(path):
        raise DataError(f"model: no such file or directory {path!r}")
    lower = path.lower()
    if lower.endswith(".keras"):
        return "keras"
    if lower.endswith((".h5", ".hdf5")):
        return "h5"
    raise DataError(f"model: expected a .keras file, a .h5 file or a SavedModel directory, got {path!r}")


def check_model(path, trust_model_code=False):
    """The kind of the model file at ``path`` (:func:`model_kind`), after refusing a SavedModel
    whose graphs hold more than computations on tensors, unless ``trust_model_code``."""
    kind = model_kind(path)
    if kind == "savedmodel" and not trust_model_code:
        check_saved_model(path)
    return kind


def load_model(path, trust_model_code=False):
    """The model saved at ``path`` (see the module docstring), loaded in safe mode."""
    import keras

    kind = check_model(path, trust_model_code)
    try:
        if kind == "savedmodel":
            return SavedModelFunction(path)
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except DataError:
        raise
    except Exception as e:  # Keras raises many types for unreadable or unsafe files
        message = " ".join(str(e).split())
        raise DataError(f"model: cannot load {path}: {message[:400]}") from None


def input_shape(model):
    """The shape of the model's single input (batch first, None for free sizes), or None if unknown."""
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, list):
        return None
    return tuple(shape) if shape is not None else None


def check_rows(model, rows):
    """Raise :class:`DataError` unless ``rows`` fit the model's input."""
    shape = input_shape(model)
    if shape is None:
        return
    expected = shape[1:]
    if len(expected) != rows.ndim - 1 or any(e is not None and e != r for e, r in zip(expected, rows.shape[1:])):
        raise DataError(f"data: expected rows of shape {expected} for the model's input, "
                        f"got rows of shape {rows.shape[1:]}")
