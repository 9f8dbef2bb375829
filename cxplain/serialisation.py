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

from .masking import WordDropMasking, ZeroMasking
from .model_builders import MLPModelBuilder, RNNModelBuilder, UNetModelBuilder

FORMAT_VERSION = 1
CONFIG_FILE = "cxplain.json"
WEIGHTS_FILE = "weights.h5"
BUILDERS = {cls.__name__: cls for cls in (MLPModelBuilder, RNNModelBuilder, UNetModelBuilder)}
MASKINGS = {cls.__name__: cls for cls in (ZeroMasking, WordDropMasking)}


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
    existing = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if (directory / name).exists()]
    if existing and not overwrite:
        raise ValueError(f"directory: {directory} already holds a saved CXPlain ({', '.join(existing)}); pass overwrite=True to replace it")
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
        raise ValueError(f"directory: saved with {label} format version {config.get('version')!r}, this version reads version {version}")
    if config.get("weights_sha256") != _sha256(directory / weights_file):
        raise ValueError(f"directory: {weights_file} does not match the checksum in {config_file}; the files were modified or corrupted")
    return config


def _registered(config, key, registry):
    entry = config.get(key)
    name = entry.get("class") if isinstance(entry, dict) else None
    if name not in registry:
        raise ValueError(f"directory: {key} class {name!r} in {CONFIG_FILE} is not one of {sorted(registry)}")
    params = entry.get("params", {})
    if not isinstance(params, dict):
        raise ValueError(f"directory: {key} params in {CONFIG_FILE} must be a JSON object, got {params!r}")
    try:
        return registry[name](**params)
    except TypeError as error:
        raise ValueError(f"directory: invalid {key} params in {CONFIG_FILE} ({error})") from None


def load(cls, directory, explained_model=None, loss=None):
    directory = Path(directory)
    config = _read_config(directory)
    builder = _registered(config, "model_builder", BUILDERS)
    masking = _registered(config, "masking_operation", MASKINGS)
    try:
        sample_shape = tuple(int(s) for s in config["sample_shape"])
        factors = tuple(int(f) for f in config["downsample_factors"])
        explainer = cls(explained_model, builder, masking, loss if loss is not None else config["loss"],
                        num_models=int(config["num_models"]), downsample_factors=factors,
                        flatten_for_explained_model=bool(config["flatten_for_explained_model"]),
                        random_state=config["random_state"])
        dtype = str(config["input_dtype"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"directory: {CONFIG_FILE} is missing or has an invalid entry ({error!r})") from None
    _, ids, _ = explainer._removal(sample_shape)
    models = []
    with h5py.File(directory / WEIGHTS_FILE, "r") as weights_file:
        for i in range(explainer.num_models):
            model = builder.build(sample_shape, factors, dtype)
            group = weights_file.get(f"model_{i}")
            arrays = [group[str(j)][()] for j in range(len(group))] if group is not None else []
            try:
                model.set_weights(arrays)
            except ValueError as error:
                raise ValueError(f"directory: the weights of model {i} in {WEIGHTS_FILE} do not fit the saved configuration ({error})") from None
            models.append(model)
    explainer._set_fitted(models, sample_shape, dtype, factors, ids)
    explainer.validation_losses_ = list(config.get("validation_losses", []))
    return explainer
