"""Loading saved models without running code from the file.

* ``model.keras`` (Keras 3): ``keras.saving.load_model(..., safe_mode=True)``, which refuses
  ``Lambda`` layers holding Python code;
* ``model.h5`` (tf_keras / Keras 2): Keras 3's reader of that format, also with
  ``safe_mode=True`` (tf_keras's own reader would unmarshal a ``Lambda`` layer's bytecode);
* a SavedModel directory: ``tf.saved_model.load``, which restores TensorFlow graphs only. Its
  ``serving_default`` signature is called as a frozen function, so its ops cannot take the
  modified chain rule of ``elrp``/``deeplift``: those methods refuse a SavedModel.
"""
import os

import tensorflow as tf

from .sources import DataError


class SavedModelFunction(tf.Module):
    """The single-input, single-output ``serving_default`` signature of a SavedModel."""

    def __init__(self, path):
        super().__init__(name="saved_model")
        self.loaded = tf.saved_model.load(path)
        signature = self.loaded.signatures.get("serving_default")
        if signature is None:
            raise DataError(f"model: the SavedModel {path} has no serving_default signature")
        inputs = signature.structured_input_signature[1]
        outputs = signature.structured_outputs
        if len(inputs) != 1 or len(outputs) != 1:
            raise DataError(
                f"model: expected a SavedModel with one input and one output, got inputs {sorted(inputs)} "
                f"and outputs {sorted(outputs)}"
            )
        self.signature = signature
        self.input_name = next(iter(inputs))
        self.input_spec = inputs[self.input_name]
        self.output_name = next(iter(outputs))

    def __call__(self, x):
        x = tf.cast(x, self.input_spec.dtype)
        return self.signature(**{self.input_name: x})[self.output_name]


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


def load_model(path):
    """The model saved at ``path`` (see the module docstring), loaded in safe mode."""
    import keras

    kind = model_kind(path)
    try:
        if kind == "savedmodel":
            return SavedModelFunction(path)
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except DataError:
        raise
    except Exception as e:  # Keras raises many types for unreadable or unsafe files
        message = " ".join(str(e).split())
        raise DataError(f"model: cannot load {path}: {message[:400]}") from None


def check_method_for_model(method_class, path):
    """Refuse methods with a modified chain rule on SavedModels (frozen graphs)."""
    if getattr(method_class, "rule", None) is not None and model_kind(path) == "savedmodel":
        raise DataError(
            f"method: {method_class.name} needs the model's ops rebuilt under its gradient rule, which a "
            "SavedModel's frozen graph does not allow; save the model as .keras or .h5"
        )
