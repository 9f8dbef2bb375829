"""The result of the SHAP explainers (``KernelShap``, ``TreeShap``, ``DeepShap``): an
:class:`~deepexplain.explanation.Explanation` with one output selected by ``output``.

The rule, as shap's: a model with one output gives ``values`` shaped like the samples and a
scalar ``expected_value``; a model with ``k`` outputs (a classifier's classes) gives
``values`` with a last axis of ``k`` outputs and ``expected_value`` of shape ``(k,)``, unless
``output=j`` selects output ``j`` (then shaped as for one output, so that loops such as
``values[0, i]`` and the plots of one output work). In every case
``values.sum(features) + expected_value`` is the explained output at each sample.
"""
import numpy as np

from ...explanation import Explanation, check_output


def shap_result(method, values, expected_value, data, output=None, **meta):
    """The ``Explanation`` ``{"values", "expected_value", "data"}`` of ``values`` (``data.shape``
    or ``data.shape + (k,)``) and ``expected_value`` (``k`` values) with ``output`` applied;
    ``meta`` holds the ``Explanation`` keywords (``params``, ``model``, ``feature_names``, ...)."""
    values = np.asarray(values)
    expected = np.asarray(expected_value, dtype=np.float64).reshape(-1)
    if values.ndim == np.ndim(data):
        values = values[..., None]
    j = check_output(output, expected.size)
    if j is None and expected.size > 1:
        return Explanation({"values": values, "expected_value": expected.copy(), "data": data}, method, **meta)
    j = 0 if j is None else j
    return Explanation({"values": values[..., j], "expected_value": float(expected[j]), "data": data}, method, **meta)
