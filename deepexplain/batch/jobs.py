"""What a batch run computes for a chunk of rows: a job.

A job is a small, picklable description (file paths, their hashes, the method and its
parameters): ``identity()`` is recorded in the output file so that a resume can check it is
the same job, and ``setup()`` loads the model and compiles the explainer, once per process
(see :mod:`deepexplain.batch.worker`). The result of ``setup`` maps one chunk of rows to
a dict of output arrays, one row per input row.
"""
import dataclasses
import inspect
import json
import os
import warnings

import numpy as np

from .errors import InputError
from .models import check_model, check_rows, load_model
from .sources import file_sha256

TARGETS_HELP = ("predicted (the model's top class), labels (from --labels), index:K (output unit K) or all "
                "(every output unit summed)")


def parse_targets(targets):
    """``targets`` checked: ``'predicted'``, ``'labels'``, ``'all'`` or ``'index:K'``."""
    if targets in ("predicted", "labels", "all"):
        return targets
    if isinstance(targets, str) and targets.startswith("index:") and targets[6:].isdigit():
        return targets
    raise InputError(f"targets: expected {TARGETS_HELP}, got {targets!r}")


def accepted_parameters(cls):
    parameters = inspect.signature(cls).parameters.values()
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def quiet_parameters(cls, params):
    """``params`` with the progress bar of ``cls`` off, where it has one."""
    params = dict(params)
    if "progress" in accepted_parameters(cls):
        params["progress"] = False
    return params


def target_indices(targets, labels, predictions):
    """The explained output unit of every row (-1 for ``'all'``)."""
    n = len(predictions)
    if targets == "predicted":
        return np.argmax(predictions, axis=1).astype(np.int64)
    if targets == "all":
        return np.full(n, -1, np.int64)
    if targets == "labels":
        labels = np.asarray(labels)
        indices = labels.astype(np.int64) if labels.ndim == 1 else np.argmax(labels.reshape(n, -1), axis=1)
    else:
        indices = np.full(n, int(targets[6:]), np.int64)
    outputs = predictions.shape[1]
    if indices.min() < 0 or indices.max() >= outputs:
        raise InputError(f"targets: expected output units in [0, {outputs}), got {sorted(set(indices.tolist()))[:10]}")
    return indices


def one_hot(indices, outputs):
    """Target weights ``ys``: one-hot rows, or all ones where the index is -1."""
    ys = np.zeros((len(indices), outputs), np.float32)
    ys[indices < 0] = 1.0
    rows = np.flatnonzero(indices >= 0)
    ys[rows, indices[rows]] = 1.0
    return ys


class _Loaded:
    """A model loaded once, with the hash it was checked against."""

    def __init__(self, path, sha256, trust_model_code=False):
        from ..models import Predictor

        actual = file_sha256(path)
        if actual != sha256:
            raise InputError(f"model: {path} differs here from the file the run was started with "
                             f"(sha256 {actual[:12]} != {sha256[:12]})")
        self.model = load_model(path, trust_model_code)
        self.predictor = Predictor(self.model)

    def predict(self, xs):
        check_rows(self.model, xs)
        return self.predictor(xs)


@dataclasses.dataclass(frozen=True)
class ExplainJob:
    """Attributions of every row by one or more ``deepexplain`` methods."""

    model: str
    model_sha256: str
    methods: tuple  # ((name, json parameters), ...)
    targets: str = "predicted"
    logits: bool = True
    batch_size: int = None
    trust_model_code: bool = False
    kind = "explain"

    @classmethod
    def make(cls, model, methods, params=None, targets="predicted", logits=True, batch_size=None,
             trust_model_code=False):
        """A job for ``methods`` (names of :data:`deepexplain.METHODS`), each given the entries of
        ``params`` (a dict, or ``{method: dict}`` per method) that it accepts. A SavedModel whose
        graphs do more than compute on tensors is refused unless ``trust_model_code``."""
        from .. import METHODS

        check_model(model, trust_model_code)
        methods = [methods] if isinstance(methods, str) else list(methods)
        if not methods or len(set(methods)) != len(methods):
            raise InputError(f"method: expected one or more distinct method names, got {methods}")
        params = dict(params or {})
        per_method = {m: dict(params.pop(m)) for m in methods if isinstance(params.get(m), dict)}
        unused = set(params)
        chosen = []
        for name in methods:
            if name not in METHODS:
                raise InputError(f"method: expected one of {sorted(METHODS)}, got {name!r}")
            accepted = [p for p in accepted_parameters(METHODS[name]) if p != "progress"]
            mine = {k: v for k, v in params.items() if k in accepted}
            unused -= set(mine)
            extra = set(per_method.get(name, {})) - set(accepted)
            if extra:
                raise InputError(f"param: {name} does not take {sorted(extra)}; it takes {accepted or 'no parameters'}")
            mine.update(per_method.get(name, {}))
            chosen.append((name, json.dumps(mine, sort_keys=True)))
        if unused:
            raise InputError(f"param: no method among {methods} takes {sorted(unused)}")
        return cls(model, file_sha256(model), tuple(chosen), parse_targets(targets), bool(logits), batch_size,
                   bool(trust_model_code))

    def identity(self):
        return {"kind": self.kind, "model_sha256": self.model_sha256, "methods": [list(m) for m in self.methods],
                "targets": self.targets, "logits": self.logits, "batch_size": self.batch_size}

    def dataset_attrs(self):
        return {f"attributions/{name}": {"method": name, "parameters": params} for name, params in self.methods}

    def setup(self):
        from .. import METHODS, get_explainer

        loaded = _Loaded(self.model, self.model_sha256, self.trust_model_code)
        explainers = {}
        for name, params in self.methods:
            method_params = quiet_parameters(METHODS[name], json.loads(params))
            explainers[name] = get_explainer(name, loaded.model, logits=self.logits, **method_params)

        def compute(xs, labels):
            predictions = loaded.predict(xs)
            targets = target_indices(self.targets, labels, predictions)
            ys = one_hot(targets, predictions.shape[1])
            outputs = {"targets": targets}
            for name, explainer in explainers.items():
                outputs[f"attributions/{name}"] = explainer.run(xs, ys, batch_size=self.batch_size)
            return outputs

        return compute


@dataclasses.dataclass(frozen=True)
class CemJob:
    """Pertinent negatives or positives of every row (:class:`cem.CEM`)."""

    model: str
    model_sha256: str
    mode: str
    row_shape: tuple
    params: str  # json
    targets: str = "predicted"
    trust_model_code: bool = False
    kind = "cem"

    @classmethod
    def make(cls, model, mode, row_shape, params=None, targets="predicted", trust_model_code=False):
        from cem import CEM

        check_model(model, trust_model_code)
        if mode not in ("PN", "PP"):
            raise InputError(f"mode: expected 'PN' or 'PP', got {mode!r}")
        if targets not in ("predicted", "labels"):
            raise InputError(f"targets: expected predicted or labels for CEM, got {targets!r}")
        params = dict(params or {})
        accepted = [p for p in accepted_parameters(CEM) if p not in ("sess", "predict", "mode", "shape", "ae_model")]
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise InputError(f"param: CEM does not take {unknown}; it takes {accepted}")
        return cls(model, file_sha256(model), mode, tuple(row_shape), json.dumps(params, sort_keys=True), targets,
                   bool(trust_model_code))

    def identity(self):
        return {"kind": self.kind, "model_sha256": self.model_sha256, "mode": self.mode, "parameters": self.params,
                "targets": self.targets}

    def dataset_attrs(self):
        return {self.mode: {"method": "cem", "mode": self.mode, "parameters": self.params}}

    def setup(self):
        from cem import CEM

        loaded = _Loaded(self.model, self.model_sha256, self.trust_model_code)
        cem = CEM(None, loaded.model, self.mode, (1,) + self.row_shape, **json.loads(self.params))

        def compute(xs, labels):
            check_rows(loaded.model, xs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = cem.explain(xs, Y=labels if self.targets == "labels" else None, verbose=False)
            return {
                self.mode: np.asarray(result[self.mode], np.float32),
                "found": np.asarray(result["found"], bool),
                "X_pred": np.asarray(result["X_pred"], np.int64),
                f"{self.mode}_pred": np.asarray(result[f"{self.mode}_pred"], np.int64),
                "distance": np.asarray(result["distance"], np.float32),
                "c": np.asarray(result["c"], np.float32),
            }

        return compute


@dataclasses.dataclass(frozen=True)
class CxplainJob:
    """Attributions (and, for an ensemble, intervals) of a saved CXPlain explainer."""

    explainer: str
    explainer_sha256: str
    confidence_level: float = 0.95
    kind = "cxplain"

    @classmethod
    def make(cls, explainer, confidence_level=0.95):
        if not os.path.isdir(explainer):
            raise InputError(f"explainer: expected a directory saved by `deepexplain cxplain fit`, got {explainer!r}")
        return cls(explainer, file_sha256(explainer), float(confidence_level))

    def identity(self):
        return {"kind": self.kind, "explainer_sha256": self.explainer_sha256, "confidence_level": self.confidence_level}

    def dataset_attrs(self):
        return {"attributions/cxplain": {"method": "cxplain"}}

    def setup(self):
        from cxplain import CXPlain

        if file_sha256(self.explainer) != self.explainer_sha256:
            raise InputError(f"explainer: {self.explainer} differs here from the directory the run was started with")
        explainer = CXPlain.load(self.explainer)

        def compute(xs, labels):
            attributions, intervals = explainer.explain(xs, confidence_level=self.confidence_level)
            if intervals is None:
                return {"attributions/cxplain": attributions}
            return {"attributions/cxplain": attributions, "intervals/cxplain": intervals}

        return compute
