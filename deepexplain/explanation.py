"""One result type for every explainer of the distribution: :class:`Explanation`.

An ``Explanation`` is a ``dict`` of results, so the seeds' keys keep working
(``result["values"]``, ``result["PN"]``), with attribute access to the same entries
(``result.values``, ``result.PN``, as alibi users write), a ``meta`` dict saying how it was
made (method, parameters, model, library versions) and conversions to the containers of the
anchor libraries: :meth:`Explanation.to_shap` gives a ``shap.Explanation`` for
``shap.plots.*`` and :meth:`Explanation.to_frame` a pandas ``DataFrame``.
"""
import functools
import json
import numbers
from importlib import metadata

import numpy as np

from .validation import is_integer

_VERSIONED = ("deepexplain", "tensorflow", "keras", "numpy")


@functools.cache
def _installed_versions():
    versions = {}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def library_versions():
    """The installed versions of the libraries a result depends on (``None`` where absent),
    looked up once per process."""
    return dict(_installed_versions())


def describe_model(model):
    """A short text naming a model: its class, and its name where it has one (Keras models)."""
    if model is None:
        return None
    kind = type(model)
    text = f"{kind.__module__}.{kind.__qualname__}"
    name = getattr(model, "name", None)
    return f"{text} {name!r}" if isinstance(name, str) else text


def check_output(output, n_outputs):
    """``output`` as an index in ``[0, n_outputs)`` (negative indices count from the end), or None."""
    if output is None:
        return None
    if not is_integer(output) or not -n_outputs <= output < n_outputs:
        raise ValueError(f"output: expected None or an output index in [0, {n_outputs}) of the model's {n_outputs} "
                         f"outputs, got {output!r}")
    return int(output) % n_outputs


def _plain(value):
    """``value`` with NumPy arrays and scalars turned into lists and Python numbers (for JSON)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, bool, numbers.Number)) or value is None:
        return value
    return repr(value)


class Explanation(dict):
    """The results of one explainer call: a dict with attribute access and ``meta``.

    Parameters
    ----------
    results : mapping
        The results by name (``values``, ``expected_value``, ``data``, ``PN``, ...).
    method : str
        The explainer that made them (e.g. ``"KernelShap"``).
    params : mapping, optional
        The parameters of the call that matter to reproduce it.
    model : object, optional
        The explained model; ``meta["model"]`` holds its description, not the model.
    feature_names : sequence of str, optional
        Names of the input features, used by :meth:`to_shap` and :meth:`to_frame`.
    output_names : sequence of str, optional
        Names of the model outputs (classes).
    unpack : str or tuple of str, optional
        What the result stands for where the seeds' code used a list or a tuple: a tuple of
        entry names makes iteration yield those entries (``images, probabilities = result``
        unpacks as the tuple did); one entry name makes iteration, ``len()`` and integer
        indexing go through that entry's items (``for cf in result``, ``result[0]``, as the
        list did). String keys always work as in a dict, and ``keys()``/``items()`` are the
        entries. By default a result iterates over its entry names, as a dict.

    Attributes
    ----------
    meta : dict
        ``method``, ``params``, ``model``, ``versions``, ``feature_names``, ``output_names``.
    data : object
        The explained samples where the result holds them (``result["data"]``, as in
        ``shap.Explanation.data``); otherwise the results as a plain dict (as in alibi).

    Examples
    --------
    >>> result = explainer.explain(X)            # doctest: +SKIP
    >>> result["values"] is result.values        # doctest: +SKIP
    True
    >>> shap.plots.waterfall(result.to_shap()[0])  # doctest: +SKIP
    """

    def __init__(self, results, method, params=None, model=None, feature_names=None, output_names=None,
                 unpack=None):
        super().__init__(results)
        names = (unpack,) if isinstance(unpack, str) else tuple(unpack or ())
        missing = [k for k in names if k not in self]
        if missing:
            raise ValueError(f"unpack: expected entries of the result {sorted(self.keys())}, got {missing}")
        object.__setattr__(self, "_unpack", unpack)
        meta = {
            "method": method,
            "params": dict(params or {}),
            "model": describe_model(model),
            "versions": library_versions(),
            "feature_names": list(feature_names) if feature_names is not None else None,
            "output_names": list(output_names) if output_names is not None else None,
        }
        object.__setattr__(self, "meta", meta)

    def _sequence(self):
        """The list or tuple the result stands for (``unpack``), or None."""
        unpack = self.__dict__.get("_unpack")
        if unpack is None:
            return None
        return tuple(dict.__getitem__(self, k) for k in unpack) if isinstance(unpack, tuple) else dict.__getitem__(
            self, unpack)

    def __iter__(self):
        sequence = self._sequence()
        return super().__iter__() if sequence is None else iter(sequence)

    def __len__(self):
        sequence = self._sequence()
        return super().__len__() if sequence is None else len(sequence)

    def __getitem__(self, key):
        sequence = self._sequence()
        if sequence is not None and (isinstance(key, slice) or is_integer(key)
                                     and not dict.__contains__(self, key)):
            return sequence[key]
        return super().__getitem__(key)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("meta", "_unpack"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} of {self.meta['method']} has no entry {name!r}; its entries are "
                f"{sorted(self.keys())}"
            ) from None

    def __setattr__(self, name, value):
        if name == "meta":
            raise AttributeError("meta: an Explanation's meta is set when it is made")
        self[name] = value

    def __dir__(self):
        return sorted(set(super().__dir__()) | {k for k in self if isinstance(k, str) and k.isidentifier()})

    def __repr__(self):
        return f"Explanation(method={self.meta['method']!r}, entries={sorted(self.keys())})"

    @property
    def values(self):
        """The ``values`` entry where the result has one (SHAP values, as ``shap.Explanation.values``);
        else the dict method, so ``result.values()`` works on results without that entry."""
        return self["values"] if "values" in self else super().values

    @property
    def data(self):
        """The explained samples (``self["data"]``) where the result holds them, else the results as a dict."""
        return self["data"] if "data" in self else dict(self)

    def _require(self, *keys):
        missing = [k for k in keys if k not in self]
        if missing:
            raise ValueError(
                f"{self.meta['method']}: this result has no {', '.join(repr(k) for k in missing)} entry; "
                f"its entries are {sorted(self.keys())}"
            )

    def to_shap(self, output=None):
        """The result as a ``shap.Explanation`` (for ``shap.plots.waterfall``, ``beeswarm``, ``bar``).

        Parameters
        ----------
        output : int, optional
            For a result with an output axis (``values`` of shape ``(n, features, outputs)``),
            the output to keep; ``None`` keeps them all.

        Returns
        -------
        shap.Explanation
            ``values``, ``base_values`` (one per row), ``data`` and ``feature_names``.
        """
        import shap

        self._require("values", "expected_value")
        values = np.asarray(self["values"])
        base = np.asarray(self["expected_value"], dtype=np.float64)
        multi = base.ndim == 1 and base.size > 1 or values.ndim == 3 and base.ndim == 1
        if output is not None:
            if not multi:
                raise ValueError(f"output: this result has one output, got output={output!r}; pass output=None")
            output = check_output(output, values.shape[-1])
            values, base, multi = values[..., output], base[output], False
        n = values.shape[0]
        base_values = np.broadcast_to(base, (n,) + base.shape).copy() if base.ndim else np.full(n, float(base))
        data = self.get("data")
        data = np.asarray(data) if data is not None and not isinstance(data, str) else None
        if data is not None and data.shape[:2] != values.shape[:2]:
            data = None
        output_names = self.meta["output_names"] if multi else None
        return shap.Explanation(values=values, base_values=base_values, data=data,
                                feature_names=self.meta["feature_names"], output_names=output_names)

    def to_frame(self, key=None):
        """One entry of the result as a pandas ``DataFrame``, columns named by the features.

        Parameters
        ----------
        key : str, optional
            The entry to tabulate; by default ``"values"`` (SHAP family), else ``"importances_mean"``
            (permutation importance), else the first entry holding a 1-D or 2-D numeric array.

        Returns
        -------
        pandas.DataFrame
            Rows are samples (a 1-D entry gives one row), columns the features (or outputs).
        """
        import pandas as pd

        if key is None:
            key = next((k for k in ("values", "importances_mean") if k in self), None)
            if key is None:
                key = next((k for k, v in self.items() if isinstance(v, np.ndarray) and v.ndim in (1, 2)
                            and v.dtype.kind in "iuf"), None)
        if key is None or key not in self:
            raise ValueError(f"key: expected one of the entries {sorted(self.keys())} holding a 1-D or 2-D array, "
                             f"got {key!r}")
        table = np.asarray(self[key])
        if table.ndim == 1:
            table = table[None]
        if table.ndim != 2:
            raise ValueError(
                f"key: the entry {key!r} has shape {table.shape}; to_frame tabulates 1-D or 2-D entries (for "
                "values with an output axis, pick an output first: to_shap(output=k).values)"
            )
        names = self.meta["feature_names"]
        columns = names if names is not None and len(names) == table.shape[1] else None
        return pd.DataFrame(table, columns=columns)

    def to_json(self):
        """The result and its ``meta`` as a JSON text (arrays become nested lists)."""
        return json.dumps({"meta": _plain(self.meta), "data": _plain(dict(self))})
