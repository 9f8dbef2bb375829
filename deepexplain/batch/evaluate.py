"""``deepexplain evaluate``: the metrics of every method in a batch output file, written into it.

The rows are read a chunk at a time; per-row results go to ``/metrics/<method>/<metric>`` and
their means to the attributes of ``/metrics/<method>``. The file is updated through a copy
that replaces it atomically, so an interrupted evaluation leaves it as it was.
"""
import json
import os
import shutil

import numpy as np
from tqdm.auto import tqdm

from ..metrics.completeness import completeness
from ..metrics.deletion import deletion, insertion
from ..metrics.infidelity import infidelity, max_sensitivity
from ..metrics.scores import TargetScores
from ..metrics.sensitivity import default_ns, sensitivity_n
from .errors import InputError, OutputConflict
from .jobs import one_hot, quiet_parameters
from .lock import remove_file, temporary_path
from .models import load_model
from .sources import file_sha256, open_data
from .store import open_hdf5

METRICS = ("completeness", "sensitivity_n", "deletion", "insertion", "infidelity", "max_sensitivity")
CURVES = {"sensitivity_n": "correlation", "deletion": "curves", "insertion": "curves"}


def _metric(name, scores, explain, xs, attributions, targets, baseline, params):
    if name == "completeness":
        return {"error": completeness(scores, xs, attributions, targets, baseline)}
    if name == "sensitivity_n":
        return sensitivity_n(scores, xs, attributions, targets, baseline=baseline, **params)
    if name in ("deletion", "insertion"):
        curves = deletion if name == "deletion" else insertion
        return curves(scores, xs, attributions, targets, baseline=baseline, **params)
    if name == "infidelity":
        return {"infidelity": infidelity(scores, xs, attributions, targets, **params)}
    return {"max_sensitivity": max_sensitivity(explain, xs, attributions, targets, **params)}


def _summary(name, result):
    if name == "completeness":
        return float(np.mean(np.abs(result["error"])))
    if name == "sensitivity_n":
        return float(np.nanmean(result["correlation"]))
    if name in ("deletion", "insertion"):
        return float(np.mean(result["auc"]))
    return float(np.nanmean(result[name]))


def evaluate_file(model, data, path, metrics=None, params=None, rows=None, batch_size=None, plot=None, progress=True,
                  trust_model_code=False):
    """Compute ``metrics`` (default: all of :data:`METRICS`) for every ``attributions/<method>``
    in ``path``; returns ``{method: {metric: summary}}``. ``params`` holds metric parameters,
    shared or ``{metric: {...}}`` per metric; the randomised metrics draw with
    ``random_state=0`` unless it is given, so every method meets the same perturbations. A SavedModel
    whose graph does more than compute on tensors is loaded only with ``trust_model_code``."""
    from .. import METHODS, get_explainer

    metrics = list(metrics or METRICS)
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise InputError(f"metric: expected names among {list(METRICS)}, got {unknown}")
    with open_hdf5(path) as f:
        job = json.loads(f.attrs["job"])
        methods = {name: json.loads(f["attributions"][name].attrs["parameters"]) for name in f.get("attributions", {})}
        done = int(f["rows_done"][()])
        chunk_rows = int(f.attrs["chunk_rows"])
    if job.get("kind") != "explain" or not methods:
        raise InputError(f"attributions: expected the output of `deepexplain explain`, {path} holds a "
                         f"{job.get('kind')} run")
    if file_sha256(model) != job["model_sha256"]:
        raise OutputConflict(f"model: {model} is not the model {path} was made with")
    source = open_data(data)
    if source.sha256() != job["data_sha256"]:
        raise OutputConflict(f"data: {data} is not the data {path} was made with")
    rows = min(rows or done, done)
    if rows < 1:
        raise InputError(f"attributions: {path} has no finished rows")
    loaded = load_model(model, trust_model_code)
    scores = TargetScores(loaded, job["logits"], batch_size)
    explainers = {}

    def explainer_for(method):
        def explain(rows, targets):
            if method not in explainers:
                parameters = quiet_parameters(METHODS[method], methods[method])
                explainers[method] = get_explainer(method, loaded, logits=job["logits"], **parameters)
            return explainers[method].run(rows, one_hot(targets, scores.n_outputs(rows)), batch_size=batch_size)

        return explain

    params = params or {}
    shared = {k: v for k, v in params.items() if not isinstance(v, dict)}
    if "seed" not in shared:  # the same draws for every method, and a file that repeats
        shared.setdefault("random_state", 0)
    per_metric = {m: {**shared, **(params[m] if isinstance(params.get(m), dict) else {})} for m in metrics}
    if "sensitivity_n" in per_metric and "ns" not in per_metric["sensitivity_n"]:
        n_features = int(np.prod(source.shape[1:]))
        per_metric["sensitivity_n"]["ns"] = [k for k in default_ns(n_features) if k < n_features]
    per_metric = {m: _accepted(m, p) for m, p in per_metric.items()}
    results = {method: {} for method in methods}
    bar = tqdm(total=rows * len(methods), unit="rows", desc="evaluate", disable=not progress, dynamic_ncols=True)
    try:
        with bar, open_hdf5(path) as f:
            for start in range(0, rows, chunk_rows):
                stop = min(start + chunk_rows, rows)
                xs, targets = source.read(start, stop), f["targets"][start:stop]
                for method, method_params in methods.items():
                    attributions = f["attributions"][method][start:stop]
                    baseline = method_params.get("baseline")
                    for metric in metrics:
                        result = _metric(metric, scores, explainer_for(method), xs, attributions, targets, baseline,
                                         per_metric[metric])
                        _append(results[method].setdefault(metric, {}), result)
                    bar.update(stop - start)
    finally:
        source.close()
    summary = {method: {m: _summary(m, results[method][m]) for m in metrics} for method in methods}
    _write(path, results, summary)
    if plot:
        from ..metrics.plots import plot_metrics

        figure = plot_metrics(*({method: results[method][m] for method in methods} if m in metrics else {}
                                for m in ("sensitivity_n", "deletion", "insertion")))
        figure.savefig(plot, dpi=100)
        import matplotlib.pyplot as plt

        plt.close(figure)
    return summary


def _accepted(metric, params):
    import inspect

    function = {"completeness": completeness, "sensitivity_n": sensitivity_n, "deletion": deletion,
                "insertion": insertion, "infidelity": infidelity, "max_sensitivity": max_sensitivity}[metric]
    names = inspect.signature(function).parameters
    return {k: v for k, v in params.items() if k in names and k not in ("targets", "baseline", "logits", "batch_size")}


def _append(store, result):
    for key, value in result.items():
        if key in ("n", "fraction"):
            store[key] = value
        else:
            store[key] = np.concatenate([store[key], value]) if key in store else value


def _write(path, results, summary):
    tmp = temporary_path(path, "metrics")
    shutil.copyfile(path, tmp)
    try:
        with open_hdf5(tmp, "r+") as f:
            for method, by_metric in results.items():
                group = f.require_group(f"metrics/{method}")
                for metric, metric_summary in summary[method].items():
                    for key, value in by_metric[metric].items():
                        name = f"{metric}/{key}"
                        if name in group:
                            del group[name]
                        group[name] = value
                    group.attrs[metric] = metric_summary
        os.replace(tmp, path)
    finally:
        remove_file(tmp)


def summary_table(summary):
    """The summary as a text table: one row per method, one column per metric."""
    metrics = list(next(iter(summary.values())))
    width = max(len(m) for m in summary) + 2
    lines = ["method".ljust(width) + "".join(m.rjust(17) for m in metrics)]
    for method, values in summary.items():
        lines.append(method.ljust(width) + "".join(f"{values[m]:17.4g}" for m in metrics))
    return "\n".join(lines)
