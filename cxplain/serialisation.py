"""Saving a fitted CXPlain as a relocatable directory: ``cxplain.json`` + ``weights.h5``.

The JSON holds the format version, the names and parameters of the model builder
and masking operation, the loss name and the fitted shapes; the HDF5 file holds
each explanation model's weight arrays. Loading rebuilds the models from the
named builder (looked up among this package's builders, never imported from the
files) and sets the weights, so no code from the directory is executed and no
pickle is read. The weights' SHA-256 in the JSON detects a modified file.
The explained model is not saved: pass it to ``load`` to fit or score again.
"""
import hashlib
import json
from pathlib import Path

import h5py
import numpy as np

from deepexplain.validation import boolean, is_number, positive_int, random_generator

from .causal_objective import resolve_loss
from .masking import WordDropMasking, ZeroMasking
from .model_builders import MLPModelBuilder, RNNModelBuilder, UNetModelBuilder

FORMAT_VERSION = 1
CONFIG_FILE = "cxplain.json"
WEIGHTS_FILE = "weights.h5"
BUILDERS = {cls.__name__: cls for cls in (MLPModelBuilder, RNNModelBuilder, UNetModelBuilder)}
MASKINGS = {cls.__name__: cls for cls in (ZeroMasking, WordDropMasking)}
INPUT_DTYPES = ("float32", "int32")


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _loss_name(loss):
    """The Keras name of ``loss`` when ``keras.losses.get`` gives it back, else None."""
    import keras

    if isinstance(loss, str):
        return loss
    name = getattr(loss, "__name__", None)
    module = getattr(loss, "__module__", "") or ""
    if name and module.split(".")[0] in ("keras", "tf_keras"):
        try:
            keras.losses.get(name)
            return name
        except ValueError:
            return None
    return None


def _json_value(name, value):
    try:
        json.dumps(value)
    except TypeError:
        raise ValueError(f"{name}: cannot be saved as JSON, got {type(value).__name__} {value!r}") from None
    return value


def save(explainer, directory, overwrite=False):
    directory = Path(directory)
    if not hasattr(explainer, "models_"):
        raise ValueError("CXPlain is not fitted yet: call fit(X, y) before save")
    for cls_name, registry, label in ((type(explainer.model_builder).__name__, BUILDERS, "model_builder"),
                                      (type(explainer.masking_operation).__name__, MASKINGS, "masking_operation")):
        if cls_name not in registry:
            raise ValueError(f"{label}: save supports {sorted(registry)}, got {cls_name}")
    if directory.exists() and not directory.is_dir():
        raise ValueError(
            f"directory: expected a directory (new or written by CXPlain.save), got the existing file {directory}"
        )
    existing = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if (directory / name).exists()]
    if existing and not overwrite:
        raise ValueError(
            f"directory: {directory} already holds a saved CXPlain ({', '.join(existing)}); "
            "pass overwrite=True to replace it"
        )
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if (directory / name).is_dir():
            raise ValueError(f"directory: {directory / name} is a directory; expected a file written by CXPlain.save")
    directory.mkdir(parents=True, exist_ok=True)
    with h5py.File(directory / WEIGHTS_FILE, "w") as weights_file:
        for i, model in enumerate(explainer.models_):
            group = weights_file.create_group(f"model_{i}")
            for j, array in enumerate(model.get_weights()):
                group.create_dataset(str(j), data=array)
    random_state = explainer.random_state if isinstance(explainer.random_state, (int, np.integer)) else None
    config = {
        "format": "cxplain",
        "version": FORMAT_VERSION,
        "model_builder": {"class": type(explainer.model_builder).__name__,
                          "params": _json_value("model_builder", explainer.model_builder.get_params())},
        "masking_operation": {"class": type(explainer.masking_operation).__name__},
        "loss": _loss_name(explainer.loss),
        "num_models": len(explainer.models_),
        "downsample_factors": list(explainer.factors_),
        "flatten_for_explained_model": bool(explainer.flatten_for_explained_model),
        "random_state": None if random_state is None else int(random_state),
        "sample_shape": list(explainer.sample_shape_),
        "input_dtype": explainer.input_dtype_,
        "validation_losses": list(getattr(explainer, "validation_losses_", [])),
        "weights_sha256": _sha256(directory / WEIGHTS_FILE),
    }
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")


def _read_config(directory, config_file=CONFIG_FILE, weights_file=WEIGHTS_FILE, format_name="cxplain",
                 label="CXPlain", version=FORMAT_VERSION):
    path = directory / config_file
    if not path.is_file() or not (directory / weights_file).is_file():
        raise ValueError(f"directory: expected {config_file} and {weights_file} written by {label}.save in {directory}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"directory: {path} is not valid JSON ({error})") from None
    if not isinstance(config, dict) or config.get("format") != format_name:
        raise ValueError(f"directory: {path} is not a {label} configuration")
    if config.get("version") != version:
        raise ValueError(
            f"directory: saved with {label} format version {config.get('version')!r}, "
            f"this version reads version {version}"
        )
    if config.get("weights_sha256") != _sha256(directory / weights_file):
        raise ValueError(
            f"directory: {weights_file} does not match the checksum in {config_file}; "
            "the files were modified or corrupted"
        )
    return config


def _field(config, key, check):
    """``check(config[key])``; a missing or invalid field raises a ValueError naming it."""
    if key not in config:
        raise ValueError(f"directory: {CONFIG_FILE} has no field {key!r}")
    try:
        return check(config[key])
    except (TypeError, ValueError) as error:
        raise ValueError(f"directory: invalid field {key!r} in {CONFIG_FILE}: {error}") from None


def _registered(registry, takes_params):
    def check(entry):
        if not isinstance(entry, dict) or entry.get("class") not in registry:
            raise ValueError(f"expected {{'class': one of {sorted(registry)}, ...}}, got {entry!r}")
        params = entry.get("params", {})
        if not isinstance(params, dict) or (params and not takes_params):
            raise ValueError(f"expected params as a JSON object of the class's parameters, got {params!r}")
        return registry[entry["class"]](**params)
    return check


def _positive_ints(value):
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of positive integers, got {value!r}")
    return tuple(positive_int("entry", v) for v in value)


def _loss(value):
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected a Keras loss name or null, got {value!r}")
    if value is not None:
        resolve_loss(value)
    return value


def _random_state(value):
    random_generator("random_state", value)
    return value


def _dtype(value):
    if value not in INPUT_DTYPES:
        raise ValueError(f"expected one of {list(INPUT_DTYPES)}, got {value!r}")
    return value


def _losses(value):
    if not isinstance(value, list) or not all(is_number(v) for v in value):
        raise ValueError(f"expected a list of numbers, got {value!r}")
    return [float(v) for v in value]


def _config_fields(config):
    """Every field of a CXPlain configuration, checked before anything is built."""
    fields = {
        "model_builder": _field(config, "model_builder", _registered(BUILDERS, True)),
        "masking_operation": _field(config, "masking_operation", _registered(MASKINGS, False)),
        "loss": _field(config, "loss", _loss),
        "num_models": _field(config, "num_models", lambda v: positive_int("num_models", v)),
        "downsample_factors": _field(config, "downsample_factors", _positive_ints),
        "flatten_for_explained_model": _field(config, "flatten_for_explained_model", lambda v: boolean("value", v)),
        "random_state": _field(config, "random_state", _random_state),
        "sample_shape": _field(config, "sample_shape", _positive_ints),
        "input_dtype": _field(config, "input_dtype", _dtype),
        "validation_losses": _field(config, "validation_losses", _losses),
    }
    if len(fields["validation_losses"]) not in (0, fields["num_models"]):
        raise ValueError(f"directory: invalid field 'validation_losses' in {CONFIG_FILE}: expected "
                         f"{fields['num_models']} values (one per model), got {len(fields['validation_losses'])}")
    return fields


def _weight_arrays(weights_file, num_models):
    """Each model's weight arrays; the file must hold exactly ``num_models`` groups ``model_i``."""
    names = sorted(weights_file.keys())
    expected = sorted(f"model_{i}" for i in range(num_models))
    if names != expected:
        raise ValueError(
            f"directory: {WEIGHTS_FILE} holds groups {names}, expected {expected} for num_models={num_models}"
        )
    arrays = []
    for i in range(num_models):
        group = weights_file[f"model_{i}"]
        if not isinstance(group, h5py.Group) or set(group.keys()) != {str(j) for j in range(len(group))} \
                or not all(isinstance(group[key], h5py.Dataset) for key in group):
            raise ValueError(f"directory: model_{i} in {WEIGHTS_FILE} is not a group of numbered weight arrays")
        arrays.append([group[str(j)][()] for j in range(len(group))])
    return arrays


def load(cls, directory, explained_model=None, loss=None):
    directory = Path(directory)
    fields = _config_fields(_read_config(directory))
    sample_shape, factors, dtype = fields["sample_shape"], fields["downsample_factors"], fields["input_dtype"]
    explainer = cls(explained_model, fields["model_builder"], fields["masking_operation"],
                    loss if loss is not None else fields["loss"], num_models=fields["num_models"],
                    downsample_factors=factors, flatten_for_explained_model=fields["flatten_for_explained_model"],
                    random_state=fields["random_state"], progress=False)
    try:
        factors, ids, _ = explainer._removal(sample_shape)
        explainer.model_builder.check_samples(np.zeros((0,) + sample_shape, dtype))
    except ValueError as error:
        raise ValueError(f"directory: the fields of {CONFIG_FILE} do not fit together: {error}") from None
    try:
        with h5py.File(directory / WEIGHTS_FILE, "r") as weights_file:
            arrays = _weight_arrays(weights_file, explainer.num_models)
    except OSError as error:
        raise ValueError(f"directory: {WEIGHTS_FILE} is not a readable HDF5 file ({error})") from None
    models = []
    for i, weights in enumerate(arrays):
        model = explainer.model_builder.build(sample_shape, factors, dtype)
        try:
            model.set_weights(weights)
        except ValueError as error:
            raise ValueError(
                f"directory: the weights of model {i} in {WEIGHTS_FILE} do not fit the saved configuration ({error})"
            ) from None
        models.append(model)
    explainer._set_fitted(models, sample_shape, dtype, factors, ids)
    explainer.validation_losses_ = fields["validation_losses"]
    return explainer
