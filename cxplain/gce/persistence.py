"""Saving a trained GCE as a relocatable directory: ``gce.json`` + ``weights.h5``.

The same rules as CXPlain's (:mod:`cxplain.serialisation`): the JSON holds the format version,
the explainer's settings and the sample shape; the HDF5 file holds the encoder's and the
decoder's weight arrays, checked against their SHA-256 in the JSON. Loading rebuilds the default
VAE from the settings (or takes the custom encoder and decoder passed again) and sets the
weights: no code is read from the directory and no pickle. The classifier is not saved.
"""
import json
import os
from pathlib import Path

import h5py

from deepexplain.validation import boolean, describe

from ..serialisation import _json_value, _read_config, _sha256

FORMAT_VERSION = 1
CONFIG_FILE = "gce.json"
WEIGHTS_FILE = "weights.h5"
MODELS = ("encoder", "decoder")


def _directory(directory):
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"directory: expected a path (str or os.PathLike), got {describe(directory)}")
    return Path(directory)


def save(explainer, directory, overwrite=False):
    directory = _directory(directory)
    overwrite = boolean("overwrite", overwrite)
    if not hasattr(explainer, "input_shape_"):
        raise ValueError("GenerativeCausalExplainer is not trained yet: call train(X) before save")
    existing = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if (directory / name).exists()]
    if existing and not overwrite:
        raise ValueError(f"directory: {directory} already holds a saved GCE ({', '.join(existing)}); "
                         "pass overwrite=True to replace it")
    directory.mkdir(parents=True, exist_ok=True)
    with h5py.File(directory / WEIGHTS_FILE, "w") as weights_file:
        for name in MODELS:
            group = weights_file.create_group(name)
            for j, array in enumerate(getattr(explainer, name).get_weights()):
                group.create_dataset(str(j), data=array)
    config = {
        "format": "gce",
        "version": FORMAT_VERSION,
        "K": explainer.K,
        "L": explainer.L,
        "width": explainer.width,
        "random_state": _json_value("random_state", explainer.random_state),
        "default_vae": explainer.default_vae_,
        "unit_interval": getattr(explainer, "unit_interval_", None),
        "input_shape": list(explainer.input_shape_),
        "Nalpha": getattr(explainer, "Nalpha_", None),
        "Nbeta": getattr(explainer, "Nbeta_", None),
        "weights_sha256": _sha256(directory / WEIGHTS_FILE),
    }
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")


def load(cls, directory, classifier, encoder=None, decoder=None):
    directory = _directory(directory)
    config = _read_config(directory, CONFIG_FILE, WEIGHTS_FILE, "gce", "GenerativeCausalExplainer", FORMAT_VERSION)
    try:
        default = bool(config["default_vae"])
        if default and encoder is not None:
            raise ValueError("encoder: the saved explainer uses the default VAE; pass no encoder or decoder")
        if not default and (encoder is None or decoder is None):
            raise ValueError("encoder, decoder: the saved explainer has a custom VAE; pass the encoder and decoder, "
                             "built as before training, to receive the saved weights")
        explainer = cls(classifier, int(config["K"]), int(config["L"]), encoder, decoder, width=int(config["width"]),
                        random_state=config["random_state"])
        shape = tuple(int(s) for s in config["input_shape"])
        try:
            explainer._check_classifier_rows("classifier", shape)
        except ValueError as error:
            raise ValueError(f"classifier: expected a classifier of the saved samples of shape {shape} "
                             f"({str(error).removeprefix('classifier: ')})") from None
        explainer._build(shape, config["unit_interval"])
        for name in ("Nalpha", "Nbeta"):
            if config[name] is not None:
                setattr(explainer, name + "_", int(config[name]))
    except (KeyError, TypeError) as error:
        raise ValueError(f"directory: {CONFIG_FILE} is missing or has an invalid entry ({error!r})") from None
    with h5py.File(directory / WEIGHTS_FILE, "r") as weights_file:
        for name in MODELS:
            group = weights_file.get(name)
            arrays = [group[str(j)][()] for j in range(len(group))] if group is not None else []
            try:
                getattr(explainer, name).set_weights(arrays)
            except ValueError as error:
                raise ValueError(f"directory: the {name} weights in {WEIGHTS_FILE} do not fit the saved "
                                 f"configuration or the {name} passed ({error})") from None
    return explainer
